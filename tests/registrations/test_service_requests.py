"""The service-request workflow: transitions, eligibility at its boundaries, completion effects."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import DatabaseError, transaction

from blanks.exceptions import OutOfStockError
from blanks.models import StockBalance, StockMovement
from core.models import OutboxMessage
from registrations.exceptions import (
    AlreadyOpenError,
    IllegalTransitionError,
    LocationRequiredError,
    NotEligibleError,
    ReasonRequiredError,
)
from registrations.models import Citizen, ServiceRequest, ServiceRequestEvent
from registrations.services.service_requests import (
    COVERAGE_REFRESH_KEY,
    COVERAGE_REFRESH_TASK,
    MSG_NOT_RECORDED,
    service_request_cancel,
    service_request_complete,
    service_request_create,
    service_request_reject,
    service_request_start,
)
from tests.factories import CitizenFactory, printable_citizen, stocked_location

# 10:00 WIB on Friday 2 February 2024.
NOW = dt.datetime(2024, 2, 2, 3, 0, tzinfo=dt.UTC)
# 00:30 WIB on 2 February, still 1 February in UTC: ages are counted on the local date.
JUST_AFTER_LOCAL_MIDNIGHT = dt.datetime(2024, 2, 1, 17, 30, tzinfo=dt.UTC)
RECORDED = dt.datetime(2023, 6, 1, 2, 0, tzinfo=dt.UTC)

pytestmark = pytest.mark.django_db


def _create(citizen, service="recording", reason="new", actor=None, now=NOW, **kwargs):
    return service_request_create(
        citizen=citizen, service=service, reason=reason, channel="office", actor=actor, now=now, **kwargs
    )


def _trail(service_request) -> list[tuple[str, str]]:
    return list(service_request.events.order_by("at", "id").values_list("from_status", "to_status"))


# --- Transitions -----------------------------------------------------------------------------


def test_a_recording_goes_submitted_in_progress_completed_with_an_event_for_each_step(operator):
    citizen = CitizenFactory(birth_date=dt.date(2006, 1, 1))
    sr = _create(citizen, actor=operator)
    assert sr.status == "submitted" and sr.submitted_at == NOW and sr.submitted_by == operator

    later = NOW + dt.timedelta(minutes=5)
    sr = service_request_start(service_request=sr, actor=operator, now=later)
    assert (sr.status, sr.started_at, sr.served_by) == ("in_progress", later, operator)

    done = NOW + dt.timedelta(minutes=20)
    sr = service_request_complete(service_request=sr, actor=operator, now=done)
    assert (sr.status, sr.completed_at) == ("completed", done)
    citizen.refresh_from_db()
    assert citizen.recorded_at == done
    assert _trail(sr) == [("", "submitted"), ("submitted", "in_progress"), ("in_progress", "completed")]
    assert set(sr.events.values_list("actor", flat=True)) == {operator.pk}


def test_completing_queues_one_debounced_coverage_refresh(operator):
    first = _create(CitizenFactory(birth_date=dt.date(2006, 1, 1)))
    second = _create(CitizenFactory(birth_date=dt.date(2006, 1, 1)))
    for sr in (first, second):
        sr = service_request_start(service_request=sr, actor=operator, now=NOW)
        service_request_complete(service_request=sr, actor=operator, now=NOW)
    pending = OutboxMessage.objects.filter(task=COVERAGE_REFRESH_TASK, dedupe_key=COVERAGE_REFRESH_KEY)
    assert pending.count() == 1


def test_ikd_activation_sets_the_ikd_milestone(operator):
    citizen = printable_citizen(recorded_at=RECORDED)
    sr = _create(citizen, service="ikd_activation")
    sr = service_request_start(service_request=sr, actor=operator, now=NOW)
    service_request_complete(service_request=sr, actor=operator, now=NOW)
    citizen.refresh_from_db()
    assert citizen.ikd_activated_at == NOW and citizen.printed_at is None


def test_a_request_cannot_be_completed_before_it_is_started_and_nothing_changes(operator):
    citizen = CitizenFactory(birth_date=dt.date(2006, 1, 1))
    sr = _create(citizen)
    with pytest.raises(IllegalTransitionError) as error:
        service_request_complete(service_request=sr, actor=operator, now=NOW)
    assert error.value.code == "illegal_transition" and error.value.status_code == 409
    sr.refresh_from_db()
    citizen.refresh_from_db()
    assert sr.status == "submitted" and sr.completed_at is None and citizen.recorded_at is None
    assert _trail(sr) == [("", "submitted")]
    assert not OutboxMessage.objects.filter(task=COVERAGE_REFRESH_TASK).exists()


@pytest.mark.parametrize("action", ["start", "complete", "cancel", "reject"])
def test_a_completed_request_accepts_no_further_transition(operator, action):
    sr = _create(CitizenFactory(birth_date=dt.date(2006, 1, 1)))
    sr = service_request_start(service_request=sr, actor=operator, now=NOW)
    sr = service_request_complete(service_request=sr, actor=operator, now=NOW)
    services = {
        "start": lambda: service_request_start(service_request=sr, actor=operator),
        "complete": lambda: service_request_complete(service_request=sr, actor=operator),
        "cancel": lambda: service_request_cancel(service_request=sr, actor=operator, reason="x"),
        "reject": lambda: service_request_reject(service_request=sr, actor=operator, reason="x"),
    }
    with pytest.raises(IllegalTransitionError):
        services[action]()
    sr.refresh_from_db()
    assert sr.status == "completed" and sr.events.count() == 3


def test_a_started_request_cannot_be_started_again(operator):
    sr = service_request_start(
        service_request=_create(CitizenFactory(birth_date=dt.date(2006, 1, 1))), actor=operator
    )
    with pytest.raises(IllegalTransitionError):
        service_request_start(service_request=sr, actor=operator)
    assert sr.events.count() == 2


def test_cancelling_needs_a_reason_and_records_it(operator):
    sr = _create(CitizenFactory(birth_date=dt.date(2006, 1, 1)))
    with pytest.raises(ReasonRequiredError):
        service_request_cancel(service_request=sr, actor=operator, reason="  ")
    sr.refresh_from_db()
    assert sr.status == "submitted"

    sr = service_request_cancel(service_request=sr, actor=operator, reason="Warga berhalangan", now=NOW)
    assert (sr.status, sr.closed_at, sr.status_reason) == ("cancelled", NOW, "Warga berhalangan")
    last = sr.events.order_by("-id").first()
    assert (last.from_status, last.to_status, last.reason, last.actor) == (
        "submitted",
        "cancelled",
        "Warga berhalangan",
        operator,
    )


def test_rejecting_a_request_in_progress_records_who_and_why(operator):
    sr = service_request_start(
        service_request=_create(CitizenFactory(birth_date=dt.date(2006, 1, 1))), actor=operator, now=NOW
    )
    sr = service_request_reject(service_request=sr, actor=operator, reason="KK tidak dibawa", now=NOW)
    assert sr.status == "rejected" and sr.closed_at == NOW
    assert _trail(sr)[-1] == ("in_progress", "rejected")


def test_a_second_open_request_for_the_same_service_is_refused_but_a_closed_one_allows_a_new_one(operator):
    citizen = CitizenFactory(birth_date=dt.date(2006, 1, 1))
    first = _create(citizen)
    with pytest.raises(AlreadyOpenError) as error:
        _create(citizen)
    assert error.value.status_code == 409 and error.value.code == "already_open"
    assert ServiceRequest.objects.filter(citizen=citizen).count() == 1
    service_request_cancel(service_request=first, actor=operator, reason="salah input")
    again = _create(citizen)
    assert again.status == "submitted"


def test_the_database_refuses_two_open_requests_even_without_the_service(regions):
    citizen = CitizenFactory(birth_date=dt.date(2006, 1, 1))
    common = {
        "citizen": citizen,
        "service": "recording",
        "reason": "new",
        "channel": "office",
        "submitted_at": NOW,
    }
    ServiceRequest.objects.create(**common)
    with pytest.raises(DatabaseError), transaction.atomic():
        ServiceRequest.objects.create(status="in_progress", **common)
    ServiceRequest.objects.create(status="completed", completed_at=NOW, **common)  # closed ones are free


def test_the_event_log_cannot_be_edited(operator):
    sr = _create(CitizenFactory(birth_date=dt.date(2006, 1, 1)))
    with pytest.raises(DatabaseError), transaction.atomic():
        ServiceRequestEvent.objects.filter(service_request=sr).update(reason="rewritten")
    assert sr.events.get().reason == ""


# --- Printing and blanks ---------------------------------------------------------------------


def test_completing_a_printing_consumes_one_blank_at_the_serving_location(operator):
    location = stocked_location(4)
    citizen = printable_citizen()
    sr = _create(citizen, service="printing", location=location)
    sr = service_request_start(service_request=sr, actor=operator, now=NOW)
    sr = service_request_complete(service_request=sr, actor=operator, now=NOW)
    assert StockBalance.objects.get(location=location).balance == 3
    issue = StockMovement.objects.get(kind="issue")
    assert (issue.location, issue.delta, issue.service_request, issue.actor) == (location, -1, sr, operator)
    citizen.refresh_from_db()
    assert citizen.printed_at == NOW
    assert sr.events.order_by("-id").first().detail["blank_movement"] == issue.pk


def test_printing_with_no_blank_left_fails_and_changes_nothing(operator):
    location = stocked_location(0)
    citizen = printable_citizen()
    sr = service_request_start(
        service_request=_create(citizen, service="printing", location=location), actor=operator, now=NOW
    )
    with pytest.raises(OutOfStockError) as error:
        service_request_complete(service_request=sr, actor=operator, now=NOW)
    assert error.value.code == "out_of_stock" and error.value.status_code == 409
    sr.refresh_from_db()
    citizen.refresh_from_db()
    assert sr.status == "in_progress" and sr.completed_at is None and citizen.printed_at is None
    assert sr.events.count() == 2
    assert not StockMovement.objects.filter(kind="issue").exists()
    assert StockBalance.objects.get(location=location).balance == 0
    assert not OutboxMessage.objects.filter(task=COVERAGE_REFRESH_TASK).exists()


def test_printing_needs_a_serving_location(operator):
    sr = service_request_start(
        service_request=_create(printable_citizen(), service="printing"), actor=operator
    )
    with pytest.raises(LocationRequiredError):
        service_request_complete(service_request=sr, actor=operator, now=NOW)
    sr.refresh_from_db()
    assert sr.status == "in_progress"


def test_the_location_given_at_completion_is_the_one_that_serves(operator):
    planned, actual = stocked_location(2), stocked_location(2)
    sr = _create(printable_citizen(), service="printing", location=planned)
    sr = service_request_start(service_request=sr, actor=operator)
    sr = service_request_complete(service_request=sr, actor=operator, location=actual, now=NOW)
    assert sr.location == actual
    assert StockBalance.objects.get(location=planned).balance == 2
    assert StockBalance.objects.get(location=actual).balance == 1


# --- Eligibility at its boundaries -----------------------------------------------------------


@pytest.mark.parametrize(
    ("birth_date", "married", "allowed"),
    [
        (dt.date(2008, 2, 2), False, True),  # 16 today
        (dt.date(2008, 2, 3), False, False),  # 16 tomorrow
        (dt.date(2009, 6, 1), True, True),  # 14, married
    ],
)
def test_recording_is_allowed_from_the_16th_birthday_or_if_ever_married(
    regions, birth_date, married, allowed
):
    citizen = CitizenFactory(birth_date=birth_date, marital_status="kawin" if married else "belum_kawin")
    if allowed:
        assert _create(citizen).status == "submitted"
    else:
        with pytest.raises(NotEligibleError) as error:
            _create(citizen)
        assert error.value.code == "not_eligible"
        assert not ServiceRequest.objects.exists()


def test_the_age_is_counted_on_the_local_date_in_jakarta(regions):
    # 00:30 WIB on the 16th birthday is still the day before in UTC.
    citizen = CitizenFactory(birth_date=dt.date(2008, 2, 2))
    assert _create(citizen, now=JUST_AFTER_LOCAL_MIDNIGHT).status == "submitted"
    other = CitizenFactory(birth_date=dt.date(2008, 2, 2))
    with pytest.raises(NotEligibleError):
        _create(other, now=JUST_AFTER_LOCAL_MIDNIGHT - dt.timedelta(hours=1))


def test_a_second_recording_needs_the_reason_data_change(regions):
    citizen = CitizenFactory(birth_date=dt.date(2000, 1, 1), recorded_at=RECORDED)
    with pytest.raises(NotEligibleError):
        _create(citizen, reason="new")
    with pytest.raises(NotEligibleError):
        _create(citizen, reason="lost")
    assert _create(citizen, reason="data_change").status == "submitted"


@pytest.mark.parametrize("service", ["printing", "ikd_activation"])
@pytest.mark.parametrize(
    ("birth_date", "married", "allowed"),
    [
        (dt.date(2007, 2, 2), False, True),  # 17 today
        (dt.date(2007, 2, 3), False, False),  # 17 tomorrow
        (dt.date(2008, 1, 1), True, True),  # 16, married
    ],
)
def test_printing_and_ikd_need_the_17th_birthday_or_marriage(regions, service, birth_date, married, allowed):
    citizen = printable_citizen(birth_date=birth_date, marital_status="kawin" if married else "belum_kawin")
    if allowed:
        assert _create(citizen, service=service).status == "submitted"
    else:
        with pytest.raises(NotEligibleError):
            _create(citizen, service=service)


@pytest.mark.parametrize("service", ["printing", "ikd_activation"])
def test_printing_and_ikd_need_a_completed_recording(regions, service):
    citizen = CitizenFactory(birth_date=dt.date(2000, 1, 1), recorded_at=None)
    with pytest.raises(NotEligibleError) as error:
        _create(citizen, service=service)
    assert error.value.message is MSG_NOT_RECORDED


def test_a_new_card_is_refused_to_someone_already_printed_but_a_damaged_one_is_replaced(regions):
    citizen = printable_citizen(printed_at=RECORDED)
    with pytest.raises(NotEligibleError):
        _create(citizen, service="printing", reason="new")
    assert _create(citizen, service="printing", reason="damaged").status == "submitted"


@pytest.mark.parametrize("flag", ["deceased", "moved_out"])
@pytest.mark.parametrize("service", ["recording", "printing", "ikd_activation"])
def test_deceased_or_moved_out_citizens_are_refused(regions, flag, service):
    citizen = printable_citizen(**{flag: True})
    with pytest.raises(NotEligibleError):
        _create(citizen, service=service, reason="data_change" if service == "recording" else "new")


def test_eligibility_is_checked_again_at_completion(operator):
    citizen = CitizenFactory(birth_date=dt.date(2006, 1, 1))
    sr = service_request_start(service_request=_create(citizen), actor=operator, now=NOW)
    Citizen.objects.filter(pk=citizen.pk).update(deceased=True)
    with pytest.raises(NotEligibleError):
        service_request_complete(service_request=sr, actor=operator, now=NOW)
    sr.refresh_from_db()
    assert sr.status == "in_progress"
