"""The service-request workflow: one state machine, every change an audited event.

    submitted ──start──▶ in_progress ──complete──▶ completed
        │                    │
        └──cancel / reject───┴──▶ cancelled / rejected   (with a reason)

Every function here owns its transaction, locks the request row before reading its state (so two
staff pressing "complete" at once cannot both succeed), and writes a `ServiceRequestEvent` in the
same transaction through `_transition`. An illegal transition raises `IllegalTransitionError` and
changes nothing.

Eligibility (checked on create, start and complete, on the local date of `now` in Asia/Jakarta):
- deceased or moved-out citizens are refused;
- recording: age ≥ 16 or ever married, and no completed recording unless the reason is `data_change`;
- printing and IKD activation: age ≥ 17 or ever married, and a completed recording (domain.md);
- our decision: a `new` printing for someone who already has a printed card, or a `new` IKD
  activation for someone already activated, is refused (use damaged/lost/data_change);
- a data correction (UU 27/2022 Art. 6, `correction_request_create`) is open to every resident in
  the register and sets no milestone when completed.

Who (every write): core.access.DESK_STAFF, on a citizen of their kecamatan, or anyone who comes to
a session in their kecamatan (`venue_kecamatan`, given by the check-in desk and the queue). Another
role raises NotPermittedError (403); a citizen outside the scope is not found (NotFoundError 404,
as the scoped pages and API answer). `actor=None` is the system. Nothing is written when it raises.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from blanks.services import blank_issue_for_printing
from core.access import DESK_STAFF, in_scope, require_role
from core.exceptions import NotFoundError
from core.outbox import outbox_enqueue
from registrations import eligibility
from registrations.exceptions import (
    AlreadyOpenError,
    IllegalTransitionError,
    LocationRequiredError,
    NotEligibleError,
    ReasonRequiredError,
)
from registrations.models import Citizen, ServiceRequest, ServiceRequestEvent
from registrations.signals import service_request_closed

Status = ServiceRequest.Status
Service = ServiceRequest.Service
Reason = ServiceRequest.Reason

# The state machine: from each status, the statuses it may move to.
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.SUBMITTED: frozenset({Status.IN_PROGRESS, Status.CANCELLED, Status.REJECTED}),
    Status.IN_PROGRESS: frozenset({Status.COMPLETED, Status.CANCELLED, Status.REJECTED}),
    Status.COMPLETED: frozenset(),
    Status.CANCELLED: frozenset(),
    Status.REJECTED: frozenset(),
}

# The citizen's milestone a completed service sets.
MILESTONE_FIELD = {
    Service.RECORDING: "recorded_at",
    Service.PRINTING: "printed_at",
    Service.IKD_ACTIVATION: "ikd_activated_at",
}

COVERAGE_REFRESH_TASK = "registrations.tasks.recompute_coverage"
COVERAGE_REFRESH_KEY = "coverage-refresh"

MSG_NOT_LIVING = _("The citizen is recorded as deceased or moved out of Kudus.")
MSG_TOO_YOUNG_RECORDING = _("Recording is possible from age 16, or earlier if ever married.")
MSG_ALREADY_RECORDED = _("The citizen is already recorded; a new recording needs the reason “data change”.")
MSG_TOO_YOUNG_CARD = _("Printing and IKD activation are possible from age 17, or earlier if ever married.")
MSG_NOT_RECORDED = _("The citizen has no completed recording yet.")
MSG_ALREADY_PRINTED = _("The citizen already has a printed card; choose damaged, lost or data change.")
MSG_ALREADY_ACTIVATED = _("The citizen's IKD is already activated; choose lost or data change.")
MSG_ILLEGAL_TRANSITION = _("A request that is “%(current)s” cannot become “%(target)s”.")

# Test-only hook: called between the open-request check and the insert, so a race test can hold
# every thread there and prove that the database constraint (not the check) decides.
_before_insert_hook: Callable[[], None] | None = None


def service_request_eligibility_error(
    *, citizen: Citizen, service: str, reason: str, on: dt.date
) -> NotEligibleError | None:
    """The reason `citizen` may not have `service` on the date `on`, or None when eligible."""
    if service == Service.CORRECTION:
        return None  # anyone in the register may ask for their data to be corrected
    person = eligibility.person_of(citizen)
    if not person.living_resident:
        return NotEligibleError(MSG_NOT_LIVING)
    if service == Service.RECORDING:
        if not eligibility.may_record(person, on):
            return NotEligibleError(MSG_TOO_YOUNG_RECORDING)
        if citizen.recorded_at is not None and reason != Reason.DATA_CHANGE:
            return NotEligibleError(MSG_ALREADY_RECORDED)
        return None
    may = eligibility.may_print if service == Service.PRINTING else eligibility.may_activate_ikd
    if not may(person, on):
        return NotEligibleError(MSG_TOO_YOUNG_CARD)
    if citizen.recorded_at is None:
        return NotEligibleError(MSG_NOT_RECORDED)
    if reason == Reason.NEW:
        if service == Service.PRINTING and citizen.printed_at is not None:
            return NotEligibleError(MSG_ALREADY_PRINTED)
        if service == Service.IKD_ACTIVATION and citizen.ikd_activated_at is not None:
            return NotEligibleError(MSG_ALREADY_ACTIVATED)
    return None


def _check_eligible(*, citizen: Citizen, service: str, reason: str, now: dt.datetime) -> None:
    error = service_request_eligibility_error(
        citizen=citizen, service=service, reason=reason, on=timezone.localdate(now)
    )
    if error is not None:
        raise error


def _ensure_allowed(current: str, to: str) -> None:
    if to not in TRANSITIONS[current]:
        raise IllegalTransitionError(
            MSG_ILLEGAL_TRANSITION % {"current": Status(current).label, "target": Status(to).label}
        )


def _transition(
    service_request: ServiceRequest,
    *,
    to: str,
    actor,
    now: dt.datetime,
    reason: str = "",
    detail: dict | None = None,
    update_fields: tuple[str, ...] = (),
) -> ServiceRequest:
    """The one place a status changes: check the move, save the row, log the event."""
    current = service_request.status
    _ensure_allowed(current, to)
    service_request.status = to
    service_request.save(update_fields=["status", "updated_at", *update_fields])
    ServiceRequestEvent.objects.create(
        service_request=service_request,
        from_status=current,
        to_status=to,
        actor=actor,
        at=now,
        reason=reason,
        detail=detail or {},
    )
    if to not in ServiceRequest.OPEN_STATUSES:
        # Same transaction: what depends on the request being open (the visit) closes with it.
        service_request_closed.send(
            sender=ServiceRequest, service_request=service_request, actor=actor, now=now
        )
    return service_request


def _locked(service_request: ServiceRequest) -> ServiceRequest:
    # Lock the request row first (then the citizen, then stock): every writer takes them in this
    # order, and the status read under the lock is the one the transition is checked against.
    return ServiceRequest.objects.select_for_update().get(pk=service_request.pk)


def _check_may_serve(actor, citizen_id: int, venue_kecamatan: str | None) -> None:
    """The WHO rule of the module docstring."""
    if actor is None:
        return
    require_role(actor, DESK_STAFF)
    if venue_kecamatan is not None and in_scope(actor, venue_kecamatan):
        return
    kecamatan = Citizen.objects.filter(pk=citizen_id).values_list("desa__kecamatan_id", flat=True).first()
    if not in_scope(actor, kecamatan or ""):
        raise NotFoundError()


def _actor_or_none(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


@transaction.atomic
def service_request_create(
    *,
    citizen: Citizen,
    service: str,
    reason: str,
    channel: str,
    actor=None,
    location=None,
    notes: str = "",
    venue_kecamatan: str | None = None,
    now: dt.datetime | None = None,
    event_detail: dict | None = None,
) -> ServiceRequest:
    """Submit a request. Raises NotEligibleError, or AlreadyOpenError (409) when the citizen already
    has an open request for this service (the partial unique constraint decides under a race);
    NotPermittedError, NotFoundError (who: module docstring). `event_detail` adds to the detail
    of its first event."""
    now = now or timezone.now()
    _check_may_serve(actor, citizen.pk, venue_kecamatan)
    actor = _actor_or_none(actor)
    _check_eligible(citizen=citizen, service=service, reason=reason, now=now)
    if ServiceRequest.objects.filter(
        citizen=citizen, service=service, status__in=ServiceRequest.OPEN_STATUSES
    ).exists():
        raise AlreadyOpenError()
    if _before_insert_hook is not None:
        _before_insert_hook()
    try:
        # A savepoint, so a lost race leaves the outer transaction usable for the clean error.
        with transaction.atomic():
            service_request = ServiceRequest.objects.create(
                citizen=citizen,
                service=service,
                reason=reason,
                channel=channel,
                status=Status.SUBMITTED,
                submitted_at=now,
                submitted_by=actor,
                location=location,
                notes=notes,
            )
    except IntegrityError as exc:
        if "registrations_one_open_request" in str(exc) or _is_open_request_conflict(citizen, service):
            raise AlreadyOpenError() from exc
        raise
    ServiceRequestEvent.objects.create(
        service_request=service_request,
        from_status="",
        to_status=Status.SUBMITTED,
        actor=actor,
        at=now,
        detail={"channel": channel, "reason": reason, **(event_detail or {})},
    )
    return service_request


def _is_open_request_conflict(citizen: Citizen, service: str) -> bool:
    # SQLite names the columns, not the constraint, in its message.
    return ServiceRequest.objects.filter(
        citizen=citizen, service=service, status__in=ServiceRequest.OPEN_STATUSES
    ).exists()


@transaction.atomic
def service_request_start(
    *,
    service_request: ServiceRequest,
    actor,
    location=None,
    venue_kecamatan: str | None = None,
    now: dt.datetime | None = None,
) -> ServiceRequest:
    """submitted → in_progress: a staff member starts serving (optionally at `location`).
    NotPermittedError, NotFoundError (who: module docstring)."""
    now = now or timezone.now()
    _check_may_serve(actor, service_request.citizen_id, venue_kecamatan)
    actor = _actor_or_none(actor)
    sr = _locked(service_request)
    _ensure_allowed(sr.status, Status.IN_PROGRESS)
    _check_eligible(citizen=sr.citizen, service=sr.service, reason=sr.reason, now=now)
    sr.started_at = now
    sr.served_by = actor
    if location is not None:
        sr.location = location
    detail = {"location": sr.location.code} if sr.location_id else {}
    return _transition(
        sr,
        to=Status.IN_PROGRESS,
        actor=actor,
        now=now,
        detail=detail,
        update_fields=("started_at", "served_by", "location"),
    )


@transaction.atomic
def service_request_complete(
    *,
    service_request: ServiceRequest,
    actor,
    location=None,
    venue_kecamatan: str | None = None,
    now: dt.datetime | None = None,
) -> ServiceRequest:
    """in_progress → completed, all in one transaction: re-check eligibility, issue one blank from
    the serving location for a printing (OutOfStockError when none is left: nothing changes), set
    the citizen's milestone, log the event, and queue a debounced coverage refresh.
    NotPermittedError, NotFoundError (who: module docstring)."""
    now = now or timezone.now()
    _check_may_serve(actor, service_request.citizen_id, venue_kecamatan)
    actor = _actor_or_none(actor)
    sr = _locked(service_request)
    _ensure_allowed(sr.status, Status.COMPLETED)
    citizen = Citizen.objects.select_for_update().get(pk=sr.citizen_id)
    _check_eligible(citizen=citizen, service=sr.service, reason=sr.reason, now=now)
    if location is not None:
        sr.location = location
    detail: dict = {}
    if sr.service == Service.PRINTING:
        if sr.location is None:
            raise LocationRequiredError()
        movement = blank_issue_for_printing(location=sr.location, service_request=sr, actor=actor, now=now)
        detail["blank_movement"] = movement.pk
    if sr.location_id:
        detail["location"] = sr.location.code
    milestone = MILESTONE_FIELD.get(sr.service)  # a correction sets none
    if milestone is not None:
        setattr(citizen, milestone, now)
        citizen.save(update_fields=[milestone, "updated_at"])
    sr.completed_at = now
    if actor is not None:
        sr.served_by = actor
    _transition(
        sr,
        to=Status.COMPLETED,
        actor=actor,
        now=now,
        detail=detail,
        update_fields=("completed_at", "served_by", "location"),
    )
    if milestone is not None:
        # Debounced: a burst of completions queues one recompute, run after the commit.
        outbox_enqueue(COVERAGE_REFRESH_TASK, {}, dedupe_key=COVERAGE_REFRESH_KEY)
    return sr


def _close(
    *,
    service_request: ServiceRequest,
    to: str,
    actor,
    reason: str,
    venue_kecamatan: str | None,
    now: dt.datetime | None,
) -> ServiceRequest:
    _check_may_serve(actor, service_request.citizen_id, venue_kecamatan)
    reason = (reason or "").strip()
    if not reason:
        raise ReasonRequiredError(fields={"reason": [ReasonRequiredError.default_message]})
    now = now or timezone.now()
    sr = _locked(service_request)
    _ensure_allowed(sr.status, to)
    sr.closed_at = now
    sr.status_reason = reason
    return _transition(
        sr,
        to=to,
        actor=_actor_or_none(actor),
        now=now,
        reason=reason,
        update_fields=("closed_at", "status_reason"),
    )


@transaction.atomic
def service_request_cancel(
    *,
    service_request: ServiceRequest,
    actor,
    reason: str,
    venue_kecamatan: str | None = None,
    now: dt.datetime | None = None,
) -> ServiceRequest:
    """submitted/in_progress → cancelled (the citizen withdrew, the session was called off…)."""
    return _close(
        service_request=service_request,
        to=Status.CANCELLED,
        actor=actor,
        reason=reason,
        venue_kecamatan=venue_kecamatan,
        now=now,
    )


@transaction.atomic
def service_request_reject(
    *,
    service_request: ServiceRequest,
    actor,
    reason: str,
    venue_kecamatan: str | None = None,
    now: dt.datetime | None = None,
) -> ServiceRequest:
    """submitted/in_progress → rejected (documents missing, data mismatch…)."""
    return _close(
        service_request=service_request,
        to=Status.REJECTED,
        actor=actor,
        reason=reason,
        venue_kecamatan=venue_kecamatan,
        now=now,
    )
