"""Every write of the blank stock: locations, ledger movements, balances and low-stock alerts.

A movement and its balance change are written in the same transaction. The balance is changed by
one conditional UPDATE (`balance + delta >= 0`), so the row lock serialises concurrent changes of a
location and the condition is re-checked once the lock is granted; the CHECK (balance >= 0)
constraint is the last guard. Receipts, transfers (and any movement given a reference) are
idempotent by their client reference: posting the same one again returns the first movement.

Who: receipts, transfers and spoilage by core.access.DESK_STAFF, adjustments by MANAGERS only (an
adjustment needs a person: `actor=None` is refused there), on locations in the actor's kecamatan or
tied to none (mobile units). Another role raises NotPermittedError (StockPermissionError for
adjustments, 403); a location outside the scope is not found (NotFoundError 404, on the field).
`actor=None` is the system (the demo seed, the printing issue inside service_request_complete).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.core.validators import MaxValueValidator
from django.db import IntegrityError, connection, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from blanks.exceptions import (
    InvalidMovementError,
    OutOfStockError,
    ReferenceReusedError,
    StockPermissionError,
)
from blanks.models import StockAlert, StockBalance, StockLocation, StockMovement
from blanks.selectors import stock_forecasts
from core.access import DESK_STAFF, MANAGERS, SUPERVISOR, has_role, in_scope, require_role
from core.bounds import column_range
from core.exceptions import NotFoundError
from core.outbox import outbox_enqueue

Kind = StockMovement.Kind

MSG_QUANTITY_POSITIVE = _("The quantity must be a positive whole number.")
MSG_QUANTITY_NOT_ZERO = _("An adjustment must change the stock (a non-zero quantity).")
MSG_REFERENCE_REQUIRED = _("A reference is required (the delivery note or transfer slip number).")
MSG_REASON_REQUIRED = _("A reason is required.")
MSG_SAME_LOCATION = _("A transfer needs two different locations.")
MSG_INACTIVE_LOCATION = _("This location is not active.")
MSG_NOT_PRINTING = _("Blanks are issued only for printing requests.")
MSG_UNKNOWN_LOCATION = _("No stock location with this code.")


def _check_may_move(actor, roles: frozenset[str], **locations: StockLocation) -> None:
    """The "who" rule of the module docstring; `locations` by form field name."""
    if actor is None:
        return
    require_role(actor, roles)
    for field, location in locations.items():
        if not in_scope(actor, location.kecamatan_id):
            raise NotFoundError(MSG_UNKNOWN_LOCATION, fields={field: [MSG_UNKNOWN_LOCATION]})


def _actor_or_none(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


# --- Locations -------------------------------------------------------------------------------


@transaction.atomic
def stock_location_create(
    *,
    code: str,
    name: str,
    kind: str,
    kecamatan=None,
    low_stock_threshold: int = 0,
    min_days_of_cover: int = 3,
    active: bool = True,
) -> StockLocation:
    """A new stock location with its balance row at 0."""
    location = StockLocation.objects.create(
        code=code,
        name=name,
        kind=kind,
        kecamatan=kecamatan,
        low_stock_threshold=low_stock_threshold,
        min_days_of_cover=min_days_of_cover,
        active=active,
    )
    StockBalance.objects.create(location=location, balance=0)
    return location


@transaction.atomic
def stock_location_update(*, location: StockLocation, **changes) -> StockLocation:
    """Change a location's name, kind, kecamatan, thresholds or active flag (never its stock)."""
    allowed = {"name", "kind", "kecamatan", "low_stock_threshold", "min_days_of_cover", "active"}
    unknown = set(changes) - allowed
    if unknown:
        raise TypeError(f"cannot change {sorted(unknown)}")
    for field, value in changes.items():
        setattr(location, field, value)
    location.save(update_fields=list(changes) or None)
    return location


# --- Balances --------------------------------------------------------------------------------


def _ensure_balance_row(location_id: int) -> None:
    StockBalance.objects.bulk_create(
        [StockBalance(location_id=location_id, balance=0)], ignore_conflicts=True
    )


def _change_balance(location_id: int, delta: int, now: dt.datetime) -> int:
    """Apply `delta` to the location's balance and return the new balance; OutOfStockError when it
    would go below zero (and nothing changes)."""
    table = StockBalance._meta.db_table
    highest = column_range(StockBalance, "balance")[1]
    # One statement: the UPDATE waits for the row lock of a concurrent change, then re-evaluates
    # `balance + delta >= 0` on the committed row, so the last blank is issued once only. The sum
    # is checked as a bigint: a balance beyond its column's range is refused, not a database error.
    sql = (
        f"UPDATE {connection.ops.quote_name(table)} SET balance = balance + %s, updated_at = %s "
        "WHERE location_id = %s AND CAST(balance AS bigint) + %s BETWEEN 0 AND %s RETURNING balance"
    )
    for _attempt in range(2):
        with connection.cursor() as cursor:
            cursor.execute(sql, [delta, now, location_id, delta, highest])
            row = cursor.fetchone()
        if row is not None:
            return row[0]
        balance = (
            StockBalance.objects.filter(location_id=location_id).values_list("balance", flat=True).first()
        )
        if balance is not None:
            if balance + delta > highest:
                # Django's own (translated) message: at most this many more blanks fit.
                message = MaxValueValidator(highest - balance).message % {"limit_value": highest - balance}
                raise InvalidMovementError(message, fields={"quantity": [message]})
            break
        _ensure_balance_row(location_id)  # a location created without the service
    raise OutOfStockError()


def _lock_balances(location_ids: list[int]) -> None:
    # Lock in primary-key order: two opposite transfers (A→B and B→A) cannot deadlock.
    for location_id in location_ids:
        _ensure_balance_row(location_id)
    list(
        StockBalance.objects.select_for_update()
        .filter(location_id__in=location_ids)
        .order_by("location_id")
        .values_list("location_id", flat=True)
    )


def _record(
    *,
    location: StockLocation,
    kind: str,
    delta: int,
    now: dt.datetime,
    actor,
    reference: str = "",
    reason: str = "",
    service_request=None,
    transfer_from: StockMovement | None = None,
) -> StockMovement:
    balance_after = _change_balance(location.pk, delta, now)
    return StockMovement.objects.create(
        location=location,
        kind=kind,
        delta=delta,
        balance_after=balance_after,
        reference=reference,
        reason=reason,
        service_request=service_request,
        transfer_from=transfer_from,
        actor=actor,
        created_at=now,
    )


# --- Idempotency -----------------------------------------------------------------------------


def _replayed(
    *,
    kind: str,
    reference: str,
    location: StockLocation,
    delta: int,
    to_location: StockLocation | None = None,
) -> StockMovement | None:
    """The movement already posted under `reference`, or None. ReferenceReusedError when the
    reference names a different movement."""
    if not reference:
        return None
    existing = StockMovement.objects.filter(kind=kind, reference=reference)
    if kind == Kind.TRANSFER:
        existing = existing.filter(delta__lt=0)  # the outgoing leg stands for the transfer
    movement = existing.select_related("location").order_by("id").first()
    if movement is None:
        return None
    same = movement.location_id == location.pk and movement.delta == delta
    if kind == Kind.TRANSFER:
        incoming = StockMovement.objects.filter(transfer_from=movement).first()
        same = same and incoming is not None and incoming.location_id == getattr(to_location, "pk", None)
    if not same:
        raise ReferenceReusedError(fields={"reference": [ReferenceReusedError.default_message]})
    return movement


def _post_once(
    post: Callable[[], StockMovement], replay: Callable[[], StockMovement | None]
) -> StockMovement:
    """Run `post` unless `replay` finds the movement already posted; a concurrent duplicate that
    loses the race on the reference constraint returns the winner's movement."""
    existing = replay()
    if existing is not None:
        return existing
    try:
        # A savepoint around balance change + insert: a duplicate rolls back both.
        with transaction.atomic():
            return post()
    except IntegrityError as exc:
        if "blanks_movement_reference_once" not in str(exc) and "reference" not in str(exc):
            raise
        existing = replay()
        if existing is None:
            raise
        return existing


def _check_quantity(quantity: int) -> None:
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity <= 0:
        raise InvalidMovementError(MSG_QUANTITY_POSITIVE, fields={"quantity": [MSG_QUANTITY_POSITIVE]})


def _check_active(location: StockLocation, field: str = "location") -> None:
    if not location.active:
        raise InvalidMovementError(MSG_INACTIVE_LOCATION, fields={field: [MSG_INACTIVE_LOCATION]})


def _require(value: str, field: str, message) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidMovementError(message, fields={field: [message]})
    return value


# --- Movements -------------------------------------------------------------------------------


@transaction.atomic
def blank_receive(
    *,
    location: StockLocation,
    quantity: int,
    reference: str,
    actor=None,
    reason: str = "",
    now: dt.datetime | None = None,
) -> StockMovement:
    """Blanks delivered by the ministry; `reference` is the delivery note (posting it again is a no-op)."""
    now = now or timezone.now()
    _check_may_move(actor, DESK_STAFF, location=location)
    _check_quantity(quantity)
    _check_active(location)
    reference = _require(reference, "reference", MSG_REFERENCE_REQUIRED)
    return _post_once(
        lambda: _record(
            location=location,
            kind=Kind.RECEIPT,
            delta=quantity,
            now=now,
            actor=_actor_or_none(actor),
            reference=reference,
            reason=reason,
        ),
        lambda: _replayed(kind=Kind.RECEIPT, reference=reference, location=location, delta=quantity),
    )


@transaction.atomic
def blank_transfer(
    *,
    from_location: StockLocation,
    to_location: StockLocation,
    quantity: int,
    reference: str,
    actor=None,
    reason: str = "",
    now: dt.datetime | None = None,
) -> StockMovement:
    """Move blanks between two locations: two linked ledger entries (returns the outgoing one).
    OutOfStockError when the source holds fewer than `quantity`."""
    now = now or timezone.now()
    _check_may_move(actor, DESK_STAFF, location=from_location, to_location=to_location)
    _check_quantity(quantity)
    if from_location.pk == to_location.pk:
        raise InvalidMovementError(MSG_SAME_LOCATION, fields={"to_location": [MSG_SAME_LOCATION]})
    _check_active(from_location)
    _check_active(to_location, "to_location")
    reference = _require(reference, "reference", MSG_REFERENCE_REQUIRED)
    actor = _actor_or_none(actor)

    def post() -> StockMovement:
        _lock_balances([from_location.pk, to_location.pk])
        outgoing = _record(
            location=from_location,
            kind=Kind.TRANSFER,
            delta=-quantity,
            now=now,
            actor=actor,
            reference=reference,
            reason=reason,
        )
        _record(
            location=to_location,
            kind=Kind.TRANSFER,
            delta=quantity,
            now=now,
            actor=actor,
            reference=reference,
            reason=reason,
            transfer_from=outgoing,
        )
        return outgoing

    return _post_once(
        post,
        lambda: _replayed(
            kind=Kind.TRANSFER,
            reference=reference,
            location=from_location,
            delta=-quantity,
            to_location=to_location,
        ),
    )


@transaction.atomic
def blank_spoil(
    *,
    location: StockLocation,
    quantity: int,
    reason: str,
    actor=None,
    reference: str = "",
    now: dt.datetime | None = None,
) -> StockMovement:
    """Misprinted or damaged blanks written off, with a reason."""
    now = now or timezone.now()
    _check_may_move(actor, DESK_STAFF, location=location)
    _check_quantity(quantity)
    reason = _require(reason, "reason", MSG_REASON_REQUIRED)
    reference = (reference or "").strip()
    return _post_once(
        lambda: _record(
            location=location,
            kind=Kind.SPOILAGE,
            delta=-quantity,
            now=now,
            actor=_actor_or_none(actor),
            reference=reference,
            reason=reason,
        ),
        lambda: _replayed(kind=Kind.SPOILAGE, reference=reference, location=location, delta=-quantity),
    )


@transaction.atomic
def blank_adjust(
    *,
    location: StockLocation,
    quantity: int,
    reason: str,
    actor,
    reference: str = "",
    now: dt.datetime | None = None,
) -> StockMovement:
    """A stock-take correction (signed `quantity`), by an administrator or supervisor only, with a reason."""
    now = now or timezone.now()
    if not has_role(actor, MANAGERS):
        raise StockPermissionError()
    _check_may_move(actor, MANAGERS, location=location)
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity == 0:
        raise InvalidMovementError(MSG_QUANTITY_NOT_ZERO, fields={"quantity": [MSG_QUANTITY_NOT_ZERO]})
    reason = _require(reason, "reason", MSG_REASON_REQUIRED)
    reference = (reference or "").strip()
    return _post_once(
        lambda: _record(
            location=location,
            kind=Kind.ADJUSTMENT,
            delta=quantity,
            now=now,
            actor=actor,
            reference=reference,
            reason=reason,
        ),
        lambda: _replayed(kind=Kind.ADJUSTMENT, reference=reference, location=location, delta=quantity),
    )


@transaction.atomic
def blank_issue_for_printing(
    *, location: StockLocation, service_request, actor, now: dt.datetime | None = None
):
    """One blank consumed by a completed printing request, linked to it. Called by
    `service_request_complete` inside its transaction; OutOfStockError when none is left."""
    if service_request.service != "printing":
        raise InvalidMovementError(MSG_NOT_PRINTING)
    now = now or timezone.now()
    return _record(
        location=location,
        kind=Kind.ISSUE,
        delta=-1,
        now=now,
        actor=_actor_or_none(actor),
        service_request=service_request,
    )


# --- Low-stock alerts ------------------------------------------------------------------------


@dataclass(frozen=True)
class AlertCheckResult:
    raised: int
    resolved: int
    open: int


def stock_alerts_check(*, now: dt.datetime | None = None) -> AlertCheckResult:
    """Raise an alert for every active location whose stock is low (balance below its threshold,
    or fewer days of cover than its minimum), e-mail the supervisors once per alert, and resolve
    the open alerts of locations that recovered. Running it twice changes nothing more."""
    now = now or timezone.now()
    raised = resolved = 0
    open_alerts = {alert.location_id: alert for alert in StockAlert.objects.filter(resolved_at__isnull=True)}
    for forecast in stock_forecasts(now=now):
        location = forecast.location
        alert = open_alerts.get(location.pk)
        if forecast.is_low and alert is None:
            if _alert_raise(forecast=forecast, now=now):
                raised += 1
        elif not forecast.is_low and alert is not None:
            resolved += StockAlert.objects.filter(pk=alert.pk, resolved_at__isnull=True).update(
                resolved_at=now
            )
    still_open = StockAlert.objects.filter(resolved_at__isnull=True).count()
    return AlertCheckResult(raised=raised, resolved=resolved, open=still_open)


def _alert_message(forecast) -> str:
    location = forecast.location
    if forecast.days_of_cover is None:
        cover = _("no blanks issued in the last 7 days")
    else:
        cover = _("%(days)s days of cover at %(rate)s blanks a day") % {
            "days": forecast.days_of_cover,
            "rate": forecast.daily_issue_rate,
        }
    return str(
        _("%(name)s has %(balance)s blanks left (threshold %(threshold)s; %(cover)s).")
        % {
            "name": location.name,
            "balance": forecast.balance,
            "threshold": location.low_stock_threshold,
            "cover": cover,
        }
    )


def _alert_raise(*, forecast, now: dt.datetime) -> bool:
    location = forecast.location
    try:
        with transaction.atomic():
            with translation.override(settings.LANGUAGE_CODE):
                message = _alert_message(forecast)
            alert = StockAlert.objects.create(
                location=location,
                raised_at=now,
                balance=forecast.balance,
                threshold=location.low_stock_threshold,
                daily_issue_rate=forecast.daily_issue_rate,
                days_of_cover=forecast.days_of_cover,
                message=message,
            )
            outbox_enqueue(
                "blanks.tasks.email_stock_alert", {"alert_id": alert.pk}, dedupe_key=f"stock-alert-{alert.pk}"
            )
    except IntegrityError:
        return False  # a concurrent run raised it first (one open alert per location)
    return True


def supervisor_emails() -> list[str]:
    users = get_user_model().objects.filter(groups__name=SUPERVISOR, is_active=True).exclude(email="")
    return sorted(set(users.values_list("email", flat=True)))


def stock_alert_email(*, alert_id: int) -> int:
    """E-mail one alert to the supervisors, once; returns the number of recipients (0 when it was
    already sent or nobody is a supervisor with an address)."""
    with transaction.atomic():
        # Claim the alert first, so two workers running the task at once send it once.
        claimed = StockAlert.objects.filter(pk=alert_id, emailed_at__isnull=True).update(
            emailed_at=timezone.now()
        )
    if not claimed:
        return 0
    alert = StockAlert.objects.select_related("location").get(pk=alert_id)
    recipients = supervisor_emails()
    if not recipients:
        return 0
    context = {"alert": alert, "location": alert.location}
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string("emails/stock-alert-subject.txt", context).strip()
        body = render_to_string("emails/stock-alert-body.txt", context)
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
    except Exception:
        # Not sent: release the claim so the task's retry sends it.
        StockAlert.objects.filter(pk=alert_id).update(emailed_at=None)
        raise
    return len(recipients)


__all__ = [
    "AlertCheckResult",
    "blank_adjust",
    "blank_issue_for_printing",
    "blank_receive",
    "blank_spoil",
    "blank_transfer",
    "stock_alert_email",
    "stock_alerts_check",
    "stock_location_create",
    "stock_location_update",
]
