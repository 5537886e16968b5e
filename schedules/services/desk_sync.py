"""Replaying the actions an offline desk queued, exactly once (issue 17).

The desk queues each action in the browser with a client-generated idempotency key (a UUID) and the
time it was done. When the connection returns it posts them in order; each action is replayed here
through the same desk services as online (`appointment_check_in`, `walk_in_register` — one visit
for every service of a walk-in —, `visit_complete_current` for a completion — the visit's next service
opens, or the visit closes —, `service_request_start`, `queue_call_next`) with `now` = the action's
time, so the same rules, the same audit events and the same stock issue apply. A visit's services go
in order: an action on a service whose turn has not come is a conflict saying which one comes first.

Exactly once: a `DeskAction` row with the key (UNIQUE in the database) is inserted in the same
transaction as the action's effect. A second sync of the key — a replay, a duplicated request, a
second tab, a concurrent sync of the same batch — fails on that constraint (or finds the committed
row) and answers the stored outcome as `duplicate`; it never runs the effect again. A domain error is
a `conflict`, stored too (with its message), so a replay answers the same conflict; its effect rolled
back. Malformed input is `invalid` and stores nothing (the client can correct and resend it).

WHO: the desk services' rules (core.access.DESK_STAFF in the session's kecamatan); the sync view
also requires the role and the session in scope before calling this.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from blanks.models import StockLocation
from core.exceptions import ApplicationError
from registrations.exceptions import IllegalTransitionError as RequestTransitionError
from registrations.models import ServiceRequest
from registrations.services.service_requests import service_request_complete, service_request_start
from schedules.exceptions import VisitStepError
from schedules.models import Appointment, DeskAction, OutreachSession, QueueTicket
from schedules.services.appointments import citizen_verify
from schedules.services.queue import (
    appointment_check_in,
    queue_call_next,
    visit_complete_current,
    walk_in_register,
)

MAX_BATCH = 500
# A desk's clock may run a little ahead of the server's; beyond this an action "from the future" is
# refused as invalid rather than stored with a time that has not happened.
MAX_CLOCK_SKEW = dt.timedelta(minutes=5)

APPLIED = "applied"
DUPLICATE = "duplicate"
CONFLICT = "conflict"
INVALID = "invalid"

MSG_WALK_IN_SHAPE = gettext_lazy("The walk-in needs a NIK, a birth date and one to three services.")


class InvalidActionError(ApplicationError):
    code = "invalid_action"


@dataclass
class SyncOutcome:
    key: str
    status: str
    result: dict = field(default_factory=dict)
    code: str = ""
    message: str = ""

    def as_dict(self) -> dict:
        return {
            "key": self.key,
            "status": self.status,
            "result": self.result,
            "code": self.code,
            "message": self.message,
        }


def _stored(action: DeskAction) -> SyncOutcome:
    return SyncOutcome(
        key=str(action.key),
        status=DUPLICATE,
        result={"outcome": action.outcome, **action.result},
        code=action.conflict_code,
        message=action.conflict_message,
    )


def _date_or_none(raw) -> dt.date | None:
    try:
        return parse_date(raw) if isinstance(raw, str) else None
    except ValueError:
        return None


def _parse_at(raw) -> dt.datetime:
    at = parse_datetime(raw) if isinstance(raw, str) else None
    if at is None or timezone.is_naive(at):
        raise InvalidActionError(_("The time of the action is missing or not a time with a zone."))
    if at > timezone.now() + MAX_CLOCK_SKEW:
        raise InvalidActionError(_("The time of the action is in the future; check the tablet's clock."))
    return at


def _ticket_result(ticket: QueueTicket) -> dict:
    return {
        "ticket": ticket.number,
        "visit": ticket.pk,
        "service_request": ticket.service_request_id,
        "service": ticket.service,
        "planned": ticket.planned_service_names,
    }


def _ref_result(session: OutreachSession, payload: dict) -> dict | None:
    """The stored result of the earlier action (check-in / walk-in) of this desk that opened the
    visit, when the desk was offline and never learnt the ids; None without a ref."""
    if not payload.get("ref"):
        return None
    try:
        ref = DeskAction.objects.get(key=uuid.UUID(str(payload["ref"])), session=session)
    except (ValueError, DeskAction.DoesNotExist):
        raise InvalidActionError(_("The action this one depends on was not synced.")) from None
    if ref.outcome != DeskAction.Outcome.APPLIED:
        raise ApplicationError(
            _("Not done: the action it depended on was refused (%(message)s).")
            % {"message": ref.conflict_message},
            code="depends_on_conflict",
        )
    return ref.result


def _request_of(session: OutreachSession, payload: dict) -> tuple[ServiceRequest, QueueTicket | None]:
    """The request an action works on, and the open visit of this session that owns it: by the
    request's id, or by the earlier action that opened the visit (`ref`) and the service (`service`;
    by default the visit's first). A visit opens its services one after another, so a service not
    opened yet is a conflict that says which one comes first. Only requests of visits of this session
    (a desk serves whoever comes to its session, nothing else)."""
    request_id = payload.get("service_request")
    ref = _ref_result(session, payload) if request_id is None else None
    visit = None
    if ref is not None:
        tickets = ref.get("tickets") or [ref]
        visit = QueueTicket.objects.filter(session=session, pk=tickets[0].get("visit")).first()
        wanted = payload.get("service") or tickets[0].get("service")
        if visit is None:
            raise InvalidActionError(_("No request with this number at this session."))
        found = visit.service_requests.filter(service=wanted).order_by("-pk").first()
        if found is None:
            current = visit.service_requests.filter(status__in=ServiceRequest.OPEN_STATUSES).first()
            if wanted in visit.planned_service_names and current is not None:
                raise VisitStepError(
                    _("Number %(number)s is at another service now: %(current)s comes first.")
                    % {"number": visit, "current": current.get_service_display()}
                )
            raise ApplicationError(
                _("This service is not (or no longer) part of the visit."), code="not_in_visit"
            )
        request_id = found.pk
    if not isinstance(request_id, int) or isinstance(request_id, bool):
        raise InvalidActionError(_("The action does not say which request it is for."))
    request = ServiceRequest.objects.filter(pk=request_id, visits__session=session).first()
    if request is None:
        raise InvalidActionError(_("No request with this number at this session."))
    if visit is None:
        visit = request.visits.filter(session=session).order_by("-pk").first()
    return request, visit


def _transition_conflict(request: ServiceRequest, error: ApplicationError) -> ApplicationError:
    """A clearer message for the usual offline clash: another desk already moved the request on."""
    request.refresh_from_db()
    if request.status == ServiceRequest.Status.COMPLETED and request.completed_at is not None:
        when = timezone.localtime(request.completed_at).strftime("%H:%M")
        who = request.served_by.get_username() if request.served_by_id else "—"
        return ApplicationError(
            _("Request #%(id)s was already completed meanwhile at another desk (%(time)s, %(who)s).")
            % {"id": request.pk, "time": when, "who": who},
            code="completed_elsewhere",
        )
    return error


def _dispatch(*, session: OutreachSession, actor, kind: str, payload: dict, at: dt.datetime) -> dict:
    where = {"actor": actor, "venue_kecamatan": session.kecamatan_id, "now": at}
    if kind == DeskAction.Kind.CHECK_IN:
        code = payload.get("code")
        if not isinstance(code, str) or not code.strip():
            raise InvalidActionError(_("The check-in has no booking code."))
        try:
            ticket = appointment_check_in(code=code, actor=actor, session=session, now=at)
        except Appointment.DoesNotExist:
            raise ApplicationError(
                _("No booking with this code at this session."), code="unknown_booking"
            ) from None
        return _ticket_result(ticket)
    if kind == DeskAction.Kind.WALK_IN:
        birth_date = _date_or_none(payload.get("birth_date"))
        services = payload.get("services")
        if not isinstance(payload.get("nik"), str) or birth_date is None:
            raise InvalidActionError(MSG_WALK_IN_SHAPE)
        if not isinstance(services, list) or not services or len(services) > 3:
            raise InvalidActionError(MSG_WALK_IN_SHAPE)
        chosen = []
        for item in services:
            if not isinstance(item, dict) or not isinstance(item.get("service"), str):
                raise InvalidActionError(MSG_WALK_IN_SHAPE)
            chosen.append((item["service"], str(item.get("reason") or ServiceRequest.Reason.NEW)))
        citizen = citizen_verify(nik=payload["nik"], birth_date=birth_date)
        # ONE visit for the services chosen, in the order recording → printing → IKD, as online.
        ticket = walk_in_register(session=session, citizen=citizen, services=chosen, actor=actor, now=at)
        return {"tickets": [_ticket_result(ticket)]}
    if kind in (DeskAction.Kind.START, DeskAction.Kind.COMPLETE):
        request, visit = _request_of(session, payload)
        location = None
        if payload.get("location"):
            location = StockLocation.objects.filter(code=str(payload["location"])).first()
            if location is None:
                raise InvalidActionError(_("Unknown stock location."))
        if request.status not in ServiceRequest.OPEN_STATUSES:
            raise _transition_conflict(request, RequestTransitionError())
        try:
            if kind == DeskAction.Kind.START:
                if request.status == ServiceRequest.Status.IN_PROGRESS:  # started when its turn came
                    return {"service_request": request.pk, "status": request.status}
                done = service_request_start(service_request=request, location=location, **where)
            elif visit is not None and visit.status in QueueTicket.OPEN_STATUSES:
                # The visit's one action per service: the next planned one opens, or the visit closes.
                done = visit_complete_current(
                    ticket=visit, actor=actor, now=at, location=location, expected=request
                )
            else:
                done = service_request_complete(service_request=request, location=location, **where)
        except RequestTransitionError as error:
            raise _transition_conflict(request, error) from None
        return {"service_request": done.pk, "status": done.status}
    if kind == DeskAction.Kind.CALL_NEXT:
        desk = payload.get("desk")
        if not isinstance(desk, int) or isinstance(desk, bool) or not 1 <= desk <= 50:
            raise InvalidActionError(_("Choose a desk number between 1 and 50."))
        ticket = queue_call_next(session=session, desk=desk, actor=actor, now=at)
        return _ticket_result(ticket) if ticket is not None else {"ticket": None}
    raise InvalidActionError(_("Unknown kind of desk action."))


def desk_action_apply(*, session: OutreachSession, actor, action: dict) -> SyncOutcome:
    """Apply one queued action exactly once (module docstring); its own transaction."""
    raw_key = action.get("key") if isinstance(action, dict) else None
    try:
        key = uuid.UUID(str(raw_key))
    except ValueError:
        return SyncOutcome(
            key=str(raw_key)[:64],
            status=INVALID,
            code=InvalidActionError.code,
            message=_("The action has no valid idempotency key."),
        )
    existing = DeskAction.objects.filter(key=key).first()
    if existing is not None:
        return _same_session(existing, session)
    try:
        kind = str(action.get("kind"))
        if kind not in DeskAction.Kind.values:
            raise InvalidActionError(_("Unknown kind of desk action."))
        if action.get("session") not in (None, session.pk):
            raise InvalidActionError(_("The action belongs to another session."))
        payload = action.get("payload") or {}
        if not isinstance(payload, dict):
            raise InvalidActionError(_("The action has no valid payload."))
        at = _parse_at(action.get("at"))
    except InvalidActionError as error:
        return SyncOutcome(key=str(key), status=INVALID, code=error.code, message=str(error.message))
    try:
        with transaction.atomic():
            record = DeskAction.objects.create(
                key=key,
                kind=kind,
                session=session,
                actor=actor if getattr(actor, "is_authenticated", False) else None,
                at=at,
                outcome=DeskAction.Outcome.APPLIED,
            )
            try:
                with transaction.atomic():
                    record.result = _dispatch(session=session, actor=actor, kind=kind, payload=payload, at=at)
            except InvalidActionError:
                raise
            except ApplicationError as error:
                record.outcome = DeskAction.Outcome.CONFLICT
                record.conflict_code = error.code[:40]
                record.conflict_message = str(error.message)[:500]
            record.save(update_fields=["result", "outcome", "conflict_code", "conflict_message"])
    except InvalidActionError as error:
        # Rolled back with the key: the desk may correct the action and send it again.
        return SyncOutcome(key=str(key), status=INVALID, code=error.code, message=str(error.message))
    except IntegrityError:
        # Another sync of the same key committed first (its insert held ours until then).
        existing = DeskAction.objects.filter(key=key).first()
        if existing is None:
            raise
        return _same_session(existing, session)
    if record.outcome == DeskAction.Outcome.CONFLICT:
        return SyncOutcome(
            key=str(key), status=CONFLICT, code=record.conflict_code, message=record.conflict_message
        )
    return SyncOutcome(key=str(key), status=APPLIED, result=record.result)


def _same_session(existing: DeskAction, session: OutreachSession) -> SyncOutcome:
    if existing.session_id != session.pk:
        return SyncOutcome(
            key=str(existing.key),
            status=INVALID,
            code=InvalidActionError.code,
            message=_("This idempotency key was already used for another session."),
        )
    return _stored(existing)


def desk_sync(*, session: OutreachSession, actor, actions: list) -> list[SyncOutcome]:
    """Apply a batch in its order, each action in its own transaction (a partly synced batch keeps
    what was applied; sending it again answers those as duplicates)."""
    if not isinstance(actions, list) or len(actions) > MAX_BATCH:
        raise InvalidActionError(_("Send a list of at most %(count)s actions.") % {"count": MAX_BATCH})
    return [desk_action_apply(session=session, actor=actor, action=action) for action in actions]
