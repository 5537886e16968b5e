"""The citizen registry, service requests and coverage snapshots."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from regions.models import Desa
from registrations.nik import KKValidator, NIKValidator, mask_nik


class Citizen(models.Model):
    class Sex(models.TextChoices):
        MALE = "L", _("male")
        FEMALE = "P", _("female")

    class MaritalStatus(models.TextChoices):
        BELUM_KAWIN = "belum_kawin", _("not married")
        KAWIN = "kawin", _("married")
        CERAI_HIDUP = "cerai_hidup", _("divorced")
        CERAI_MATI = "cerai_mati", _("widowed")

    nik = models.CharField(_("NIK"), max_length=16, unique=True, validators=[NIKValidator()])
    kk = models.CharField(_("KK number"), max_length=16, validators=[KKValidator()])
    full_name = models.CharField(_("full name"), max_length=150)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    birth_place = models.CharField(_("birth place"), max_length=100)
    birth_date = models.DateField(_("birth date"))
    marital_status = models.CharField(
        _("marital status"), max_length=12, choices=MaritalStatus.choices, default=MaritalStatus.BELUM_KAWIN
    )
    desa = models.ForeignKey(Desa, on_delete=models.PROTECT, related_name="citizens", verbose_name=_("desa"))
    address = models.CharField(_("address"), max_length=255, blank=True)
    school = models.CharField(_("school"), max_length=150, blank=True, db_index=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    email = models.EmailField(_("e-mail"), max_length=254, blank=True)
    deceased = models.BooleanField(_("deceased"), default=False)
    moved_out = models.BooleanField(_("moved out"), default=False)
    recorded_at = models.DateTimeField(_("recorded at"), null=True, blank=True)
    printed_at = models.DateTimeField(_("printed at"), null=True, blank=True)
    ikd_activated_at = models.DateTimeField(_("IKD activated at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("citizen")
        verbose_name_plural = _("citizens")
        ordering = ["full_name", "id"]
        permissions = [
            ("view_full_nik", _("Can see full NIK, KK, birth date and contact details")),
            ("export_citizens", _("Can export citizen lists")),
        ]
        indexes = [
            # Coverage groups living residents by desa and birth date.
            models.Index(
                fields=["desa", "birth_date"],
                name="reg_citizen_living_desa_bd",
                condition=Q(deceased=False, moved_out=False),
            ),
            # Lists are ordered by name: the index serves ORDER BY … LIMIT without sorting 650k rows.
            models.Index(fields=["full_name", "id"], name="reg_citizen_name"),
            models.Index(fields=["birth_date"], name="reg_citizen_birth_date"),
            # The targets' birthdays ahead (who turns 16 / 17 by a date, per desa or school) read a
            # narrow band of birth dates among the living: an index-only scan with these columns.
            models.Index(
                fields=["birth_date"],
                include=["desa", "school"],
                name="reg_citizen_living_birth",
                condition=Q(deceased=False, moved_out=False),
            ),
            # The citizens list filters on a school case-insensitively (`UPPER(school) = UPPER(%s)`).
            models.Index(Upper("school"), name="reg_citizen_school_upper"),
            # Field-team exports and school targets read the living residents not yet recorded:
            # a small slice of the table (mostly children), so a partial index keeps it cheap.
            models.Index(
                fields=["desa", "birth_date"],
                name="reg_citizen_unrecorded_desa",
                condition=Q(deceased=False, moved_out=False, recorded_at__isnull=True),
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(nik__regex=r"^[0-9]{16}$"), name="reg_citizen_nik_16_digits"),
            models.CheckConstraint(condition=Q(kk__regex=r"^[0-9]{16}$"), name="reg_citizen_kk_16_digits"),
            models.CheckConstraint(condition=Q(sex__in=["L", "P"]), name="reg_citizen_sex_valid"),
            models.CheckConstraint(
                condition=Q(marital_status__in=["belum_kawin", "kawin", "cerai_hidup", "cerai_mati"]),
                name="reg_citizen_marital_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.masked_nik})"

    @property
    def masked_nik(self) -> str:
        return mask_nik(self.nik)

    @property
    def ever_married(self) -> bool:
        return self.marital_status != self.MaritalStatus.BELUM_KAWIN

    @property
    def is_living_resident(self) -> bool:
        return not self.deceased and not self.moved_out


class CardService(models.TextChoices):
    """The e-KTP card services: what a session offers, a booking takes and a visit serves."""

    RECORDING = "recording", _("recording")
    PRINTING = "printing", _("printing")
    IKD_ACTIVATION = "ikd_activation", _("IKD activation")


class ServiceRequest(models.Model):
    """A citizen's request for one card service, or for a correction of their data, moved through
    its states by `registrations.services.service_requests` only (every change is a
    `ServiceRequestEvent`)."""

    class Service(models.TextChoices):
        RECORDING = CardService.RECORDING.value, CardService.RECORDING.label
        PRINTING = CardService.PRINTING.value, CardService.PRINTING.label
        IKD_ACTIVATION = CardService.IKD_ACTIVATION.value, CardService.IKD_ACTIVATION.label
        # A resident's request to correct their data (UU 27/2022 Art. 6): staff record it, the
        # change asked for is in `notes` (and in the first event's detail). No card milestone.
        CORRECTION = "correction", _("data correction")

    class Reason(models.TextChoices):
        NEW = "new", _("new")
        DAMAGED = "damaged", _("damaged")
        LOST = "lost", _("lost")
        DATA_CHANGE = "data_change", _("data change")

    class Channel(models.TextChoices):
        OFFICE = "office", _("main office")
        KECAMATAN = "kecamatan", _("kecamatan office")
        CFD = "cfd", _("car-free day")
        SCHOOL = "school", _("school")
        ONLINE = "online", _("online")

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("submitted")
        IN_PROGRESS = "in_progress", _("in progress")
        COMPLETED = "completed", _("completed")
        CANCELLED = "cancelled", _("cancelled")
        REJECTED = "rejected", _("rejected")

    OPEN_STATUSES = (Status.SUBMITTED, Status.IN_PROGRESS)

    citizen = models.ForeignKey(
        Citizen, on_delete=models.PROTECT, related_name="service_requests", verbose_name=_("citizen")
    )
    service = models.CharField(_("service"), max_length=16, choices=Service.choices)
    reason = models.CharField(_("reason"), max_length=12, choices=Reason.choices, default=Reason.NEW)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.SUBMITTED, db_index=True
    )
    submitted_at = models.DateTimeField(_("submitted at"))
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    closed_at = models.DateTimeField(
        _("closed at"), null=True, blank=True, help_text=_("When it was cancelled or rejected.")
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("submitted by"),
    )
    served_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="served_requests",
        verbose_name=_("served by"),
    )
    location = models.ForeignKey(
        "blanks.StockLocation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="service_requests",
        verbose_name=_("serving location"),
    )
    notes = models.TextField(_("notes"), blank=True)
    status_reason = models.TextField(_("status reason"), blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("service request")
        verbose_name_plural = _("service requests")
        ordering = ["-submitted_at", "-id"]
        indexes = [
            models.Index(fields=["service", "status", "submitted_at"], name="reg_sr_service_status_at"),
            models.Index(fields=["submitted_at"], name="reg_sr_submitted_at"),
        ]
        constraints = [
            # One open request per citizen and service: the database decides under a race.
            models.UniqueConstraint(
                fields=["citizen", "service"],
                condition=Q(status__in=["submitted", "in_progress"]),
                name="registrations_one_open_request",
            ),
            models.CheckConstraint(
                condition=Q(service__in=["recording", "printing", "ikd_activation", "correction"]),
                name="reg_sr_service_valid",
            ),
            # A correction request says what is to be corrected.
            models.CheckConstraint(
                condition=~Q(service="correction") | ~Q(notes=""), name="reg_sr_correction_has_change"
            ),
            models.CheckConstraint(
                condition=Q(reason__in=["new", "damaged", "lost", "data_change"]), name="reg_sr_reason_valid"
            ),
            models.CheckConstraint(
                condition=Q(channel__in=["office", "kecamatan", "cfd", "school", "online"]),
                name="reg_sr_channel_valid",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["submitted", "in_progress", "completed", "cancelled", "rejected"]),
                name="reg_sr_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status="completed") | Q(completed_at__isnull=False),
                name="reg_sr_completed_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["cancelled", "rejected"]) | Q(closed_at__isnull=False),
                name="reg_sr_closed_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_service_display()} ({self.get_status_display()})"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


class ServiceRequestEvent(models.Model):
    """One transition of a service request: who, when, from, to, why. Append-only."""

    service_request = models.ForeignKey(
        ServiceRequest, on_delete=models.PROTECT, related_name="events", verbose_name=_("service request")
    )
    from_status = models.CharField(
        _("from status"), max_length=12, choices=ServiceRequest.Status.choices, blank=True
    )
    to_status = models.CharField(_("to status"), max_length=12, choices=ServiceRequest.Status.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("performed by"),
    )
    at = models.DateTimeField(_("time"))
    reason = models.TextField(_("reason"), blank=True)
    detail = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("service request event")
        verbose_name_plural = _("service request events")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"#{self.service_request_id}: {self.from_status or '-'} → {self.to_status}"


class CoverageRun(models.Model):
    """One coverage recompute. Its snapshot rows are written in the same transaction as this row,
    so every committed run is complete. The current run is the one with the latest reference
    date, then the latest computation (a run recomputed for a past date never displaces today's)."""

    # "started at" of a service request is when serving began ("mulai dilayani"): a context of its own.
    started_at = models.DateTimeField(pgettext_lazy("coverage run", "started at"))
    computed_at = models.DateTimeField(_("computed at"))
    reference_date = models.DateField(_("reference date"))
    requested_at = models.DateTimeField(_("requested at"), null=True, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)
    recent_days = models.PositiveSmallIntegerField(_("recent window (days)"))
    election_date = models.DateField(_("election date"))
    previous_election_date = models.DateField(_("previous election date"))

    class Meta:
        verbose_name = _("coverage run")
        verbose_name_plural = _("coverage runs")
        ordering = ["-reference_date", "-computed_at", "-id"]
        indexes = [
            models.Index(fields=["-reference_date", "-computed_at", "-id"], name="reg_coverage_run_latest"),
            models.Index(fields=["computed_at"], name="reg_coverage_run_computed"),  # thinning
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.computed_at:%Y-%m-%d %H:%M} ({self.reference_date})"


class CoverageSnapshot(models.Model):
    """The coverage of one area for one cohort in one run.

    `wajib_ktp` is the cohort's base: wajib KTP residents for `all`; first-time voters (17 by the
    election day) for `pemula`; unmarried 16-year-olds, who may record but are not yet wajib, for
    `age_16`. The other counts are among that base, as of the reference date.
    """

    class Level(models.TextChoices):
        KABUPATEN = "kabupaten", _("kabupaten")
        KECAMATAN = "kecamatan", _("kecamatan")
        DESA = "desa", _("desa/kelurahan")

    class Cohort(models.TextChoices):
        ALL = "all", _("all wajib KTP")
        PEMULA = "pemula", _("first-time voters")
        AGE_16 = "age_16", _("aged 16")

    # No separate index: the unique constraint's index starts with `run`.
    run = models.ForeignKey(CoverageRun, on_delete=models.CASCADE, related_name="snapshots", db_index=False)
    computed_at = models.DateTimeField(_("computed at"))
    reference_date = models.DateField(_("reference date"))
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    area_code = models.CharField(_("area code"), max_length=13)
    parent_code = models.CharField(_("parent area code"), max_length=13, blank=True)
    cohort = models.CharField(_("cohort"), max_length=8, choices=Cohort.choices)
    wajib_ktp = models.PositiveIntegerField(_("wajib KTP"))
    recorded = models.PositiveIntegerField(_("recorded"))
    unrecorded = models.PositiveIntegerField(_("not yet recorded"))
    printed = models.PositiveIntegerField(_("printed"))
    ikd_activated = models.PositiveIntegerField(_("IKD activated"))
    recorded_recent = models.PositiveIntegerField(_("recorded in the recent window"))

    class Meta:
        verbose_name = _("coverage snapshot")
        verbose_name_plural = _("coverage snapshots")
        ordering = ["run", "level", "area_code", "cohort"]
        constraints = [
            models.UniqueConstraint(fields=["run", "area_code", "cohort"], name="reg_coverage_one_per_area"),
            models.CheckConstraint(
                condition=Q(recorded__lte=models.F("wajib_ktp"))
                & Q(unrecorded=models.F("wajib_ktp") - models.F("recorded")),
                name="reg_coverage_counts_add_up",
            ),
            models.CheckConstraint(
                condition=Q(printed__lte=models.F("wajib_ktp"))
                & Q(ikd_activated__lte=models.F("wajib_ktp"))
                & Q(recorded_recent__lte=models.F("recorded")),
                name="reg_coverage_rates_at_most_100",
            ),
            models.CheckConstraint(
                condition=Q(level__in=["kabupaten", "kecamatan", "desa"]), name="reg_coverage_level_valid"
            ),
            models.CheckConstraint(
                condition=Q(cohort__in=["all", "pemula", "age_16"]), name="reg_coverage_cohort_valid"
            ),
        ]
        indexes = [
            # History of one area and cohort along the reference dates (the trend API).
            models.Index(
                fields=["area_code", "cohort", "-reference_date", "-computed_at"], name="reg_coverage_history"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.area_code} {self.cohort} {self.recorded}/{self.wajib_ktp}"

    @staticmethod
    def percent(part: int, whole: int) -> float | None:
        """`part` of `whole` in percent, rounded DOWN to 2 decimals so 100 means complete."""
        if not whole:
            return None
        return (part * 10_000 // whole) / 100

    @property
    def coverage_pct(self) -> float | None:
        return self.percent(self.recorded, self.wajib_ktp)

    @property
    def printed_pct(self) -> float | None:
        return self.percent(self.printed, self.wajib_ktp)

    @property
    def ikd_activated_pct(self) -> float | None:
        return self.percent(self.ikd_activated, self.wajib_ktp)


class SchoolCoverage(models.Model):
    """The service gaps among one school's living students who live in one kecamatan, in one run.

    Counted by the coverage run with its thresholds, so the targets page ranks schools from the
    run like it ranks desa, and a kecamatan's staff see only their own residents' share (the rows
    of their kecamatan). `gap_recording` counts students who may record and have not (the
    unmarried 16-year-olds included); `gap_printing` / `gap_ikd` wajib KTP students without a
    printed card / IKD; `gap_pemula` first-time voters not recorded.
    """

    run = models.ForeignKey(CoverageRun, on_delete=models.CASCADE, related_name="schools", db_index=False)
    school = models.CharField(_("school"), max_length=150)
    kecamatan_code = models.CharField(_("kecamatan code"), max_length=13)
    students = models.PositiveIntegerField(_("students"))
    gap_recording = models.PositiveIntegerField(_("not yet recorded"))
    gap_printing = models.PositiveIntegerField(_("not yet printed"))
    gap_ikd = models.PositiveIntegerField(_("IKD not activated"))
    gap_pemula = models.PositiveIntegerField(_("first-time voters not recorded"))

    class Meta:
        verbose_name = _("school coverage")
        verbose_name_plural = _("school coverage")
        ordering = ["run", "school", "kecamatan_code"]
        constraints = [
            # Its index (run first) serves every read: the rows of one run.
            models.UniqueConstraint(fields=["run", "school", "kecamatan_code"], name="reg_school_cov_one"),
            models.CheckConstraint(
                condition=Q(gap_recording__lte=models.F("students"))
                & Q(gap_printing__lte=models.F("students"))
                & Q(gap_ikd__lte=models.F("students"))
                & Q(gap_pemula__lte=models.F("students")),
                name="reg_school_cov_gaps_within",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.school} ({self.kecamatan_code})"
