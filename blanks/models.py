"""Blank e-KTP card stock: locations, an append-only movement ledger and maintained balances.

Every blank that enters, moves or leaves is a `StockMovement` row with a signed `delta` on exactly
one location; the `StockBalance` row of a location is updated in the same transaction and can never
go negative (CHECK constraint). Movements are never edited or deleted (on PostgreSQL a trigger
refuses it); a correction is a new movement. `check_blank_ledger` verifies balance = sum of deltas.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class StockLocation(models.Model):
    """A place that holds blanks and prints cards: the main office, a kecamatan office, a mobile unit."""

    class Kind(models.TextChoices):
        MAIN_OFFICE = "main_office", _("main office")
        KECAMATAN_OFFICE = "kecamatan_office", _("kecamatan office")
        MOBILE_UNIT = "mobile_unit", _("mobile unit")

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=150)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    kecamatan = models.ForeignKey(
        "regions.Kecamatan",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="stock_locations",
        verbose_name=_("kecamatan"),
    )
    low_stock_threshold = models.PositiveIntegerField(
        _("low-stock threshold"),
        default=0,
        help_text=_("An alert is raised when the balance falls below this many blanks."),
    )
    min_days_of_cover = models.PositiveSmallIntegerField(
        _("minimum days of cover"),
        default=3,
        help_text=_(
            "An alert is raised when the blanks left last fewer days than this at the issue rate "
            "of the last 7 days."
        ),
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("stock location")
        verbose_name_plural = _("stock locations")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["main_office", "kecamatan_office", "mobile_unit"]),
                name="blanks_location_kind_valid",
            ),
            models.CheckConstraint(condition=~Q(code=""), name="blanks_location_code_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class StockBalance(models.Model):
    """The maintained balance of one location, always equal to the sum of its movements."""

    location = models.OneToOneField(
        StockLocation, on_delete=models.PROTECT, primary_key=True, related_name="stock_balance"
    )
    balance = models.IntegerField(_("balance"), default=0)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("stock balance")
        verbose_name_plural = _("stock balances")
        constraints = [
            # The last guard against overselling: whatever the code does, a balance never goes negative.
            models.CheckConstraint(condition=Q(balance__gte=0), name="blanks_balance_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.location_id}: {self.balance}"


class StockMovement(models.Model):
    """One entry of the ledger: a signed change of one location's stock. Append-only."""

    class Kind(models.TextChoices):
        RECEIPT = "receipt", _("receipt")
        TRANSFER = "transfer", _("transfer")
        ISSUE = "issue", _("issue")
        SPOILAGE = "spoilage", _("spoilage")
        ADJUSTMENT = "adjustment", _("adjustment")

    location = models.ForeignKey(
        StockLocation, on_delete=models.PROTECT, related_name="movements", verbose_name=_("location")
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    delta = models.IntegerField(
        _("change in stock"), help_text=_("Blanks added (positive) or removed (negative).")
    )
    balance_after = models.IntegerField(_("balance after"))
    reference = models.CharField(
        _("reference"),
        max_length=100,
        blank=True,
        help_text=_("Client-supplied reference (delivery note for receipts); posting it twice is a no-op."),
    )
    reason = models.TextField(_("reason"), blank=True)
    # The other leg of a transfer: the incoming leg points at the outgoing one.
    transfer_from = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="transfer_to",
        verbose_name=_("outgoing leg"),
    )
    service_request = models.ForeignKey(
        "registrations.ServiceRequest",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="blank_movements",
        verbose_name=_("service request"),
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    # Written into the ledger; a citizen's "recorded at" is the e-KTP recording ("perekaman").
    created_at = models.DateTimeField(pgettext_lazy("stock movement", "recorded at"), db_index=True)

    class Meta:
        verbose_name = _("stock movement")
        verbose_name_plural = _("stock movements")
        ordering = ["-created_at", "-id"]
        indexes = [
            # Days of cover sums the last 7 days of issues per location.
            models.Index(fields=["location", "kind", "created_at"], name="blanks_mvt_loc_kind_at"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["receipt", "transfer", "issue", "spoilage", "adjustment"]),
                name="blanks_movement_kind_valid",
            ),
            models.CheckConstraint(condition=~Q(delta=0), name="blanks_movement_delta_not_zero"),
            models.CheckConstraint(
                condition=Q(balance_after__gte=0), name="blanks_movement_balance_after_ok"
            ),
            # Signs follow the kind: receipts add, issues and spoilage remove; adjustments go either way.
            models.CheckConstraint(
                condition=~Q(kind="receipt") | Q(delta__gt=0), name="blanks_movement_receipt_positive"
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=["issue", "spoilage"]) | Q(delta__lt=0),
                name="blanks_movement_removal_negative",
            ),
            models.CheckConstraint(
                condition=~Q(kind="issue") | (Q(delta=-1) & Q(service_request__isnull=False)),
                name="blanks_movement_issue_one_for_a_request",
            ),
            # One blank per printing request, ever.
            models.UniqueConstraint(
                fields=["service_request"],
                condition=Q(kind="issue"),
                name="blanks_one_issue_per_request",
            ),
            # Idempotency: a client reference is used once per kind and location (a transfer's two
            # legs are at two different locations).
            models.UniqueConstraint(
                fields=["kind", "location", "reference"],
                condition=~Q(reference=""),
                name="blanks_movement_reference_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.delta:+d} @ {self.location_id}"

    @property
    def quantity(self) -> int:
        """The quantity as posted: positive, except for adjustments which carry their sign."""
        return self.delta if self.kind == self.Kind.ADJUSTMENT else abs(self.delta)


class StockAlert(models.Model):
    """A low-stock alert of one location; at most one open at a time, closed when stock recovers."""

    location = models.ForeignKey(
        StockLocation, on_delete=models.PROTECT, related_name="alerts", verbose_name=_("location")
    )
    raised_at = models.DateTimeField(_("raised at"))
    balance = models.IntegerField(_("balance"))
    threshold = models.IntegerField(_("low-stock threshold"))
    daily_issue_rate = models.DecimalField(_("blanks issued per day"), max_digits=9, decimal_places=2)
    days_of_cover = models.DecimalField(
        _("days of cover"), max_digits=9, decimal_places=1, null=True, blank=True
    )
    message = models.TextField(_("message"))
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    class Meta:
        verbose_name = _("low-stock alert")
        verbose_name_plural = _("low-stock alerts")
        ordering = ["-raised_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["location"], condition=Q(resolved_at__isnull=True), name="blanks_one_open_alert"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.location_id} @ {self.raised_at:%Y-%m-%d %H:%M}"
