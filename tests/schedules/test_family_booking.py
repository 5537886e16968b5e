"""Family booking: several members of one KK in one submission, one slot, all places or none, one
confirmation listing everyone, each member cancelled alone; the page, the API, generic identity."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.utils import timezone

from core.models import OutboxMessage
from registrations.exceptions import IdentityMismatchError, NotEligibleError
from schedules.messaging import LocmemSMSBackend
from schedules.models import Appointment, Slot
from schedules.services import (
    FamilyMember,
    appointment_book,
    appointment_cancel,
    appointments_book_family,
    family_confirm,
    family_identify,
)
from schedules.services.family import FAMILY_CONFIRM_TASK, FamilySlotFullError, member_token
from tests.factories import OutreachSessionFactory, citizen_aged

KK = "3319010101209999"
OTHER_KK = "3319010101208888"
LINK_RE = re.compile(r"http://testserver-public(/appointments/([A-Z2-9]{8})/m/[^/\s]+/)")


@pytest.fixture(autouse=True)
def _public_url(settings):
    settings.PUBLIC_BASE_URL = "http://testserver-public"


@pytest.fixture
def day():
    return timezone.localdate() + dt.timedelta(days=3)


@pytest.fixture
def session(regions, day):
    return OutreachSessionFactory(date=day, desks=1, slot_capacity=3, services=["recording", "printing"])


@pytest.fixture
def family(day):
    """A parent (40), and two children of 17 and 16 on the session day, one family card."""
    return [
        citizen_aged(40, on=day, days_after_birthday=30, kk=KK, marital_status="kawin"),
        citizen_aged(17, on=day, days_after_birthday=30, kk=KK),
        citizen_aged(16, on=day, days_after_birthday=30, kk=KK),
    ]


def slot_of(session, index=0) -> Slot:
    return session.slots.order_by("starts_at")[index]


def members(citizens, service="recording"):
    return [FamilyMember(citizen=citizen, service=service, reason="new") for citizen in citizens]


def test_a_family_takes_its_places_together_in_one_slot(session, family):
    slot = slot_of(session)
    result = appointments_book_family(slot=slot, members=members(family), phone="081234567890")
    assert result.created
    appointments = result.appointments
    assert [a.citizen for a in appointments] == family
    assert {a.slot_id for a in appointments} == {slot.pk}
    assert {a.family for a in appointments} == {result.family}
    assert len({a.code for a in appointments}) == 3  # each its own code and token
    assert len({a.manage_token_hash for a in appointments}) == 3
    slot.refresh_from_db()
    assert slot.booked == 3
    # One confirmation for the family, none per member.
    tasks = list(OutboxMessage.objects.values_list("task", flat=True))
    assert tasks == [FAMILY_CONFIRM_TASK]


def test_not_enough_places_for_everyone_books_nobody(session, family, day):
    slot = slot_of(session)
    appointment_book(
        slot=slot, citizen=citizen_aged(30, on=day, kk=OTHER_KK), service="recording", reason="new"
    )
    with pytest.raises(FamilySlotFullError) as raised:
        appointments_book_family(slot=slot, members=members(family))
    assert raised.value.code == "slot_full"
    assert "3" in str(raised.value.message)
    slot.refresh_from_db()
    assert slot.booked == 1
    assert not Appointment.objects.filter(citizen__in=family).exists()


def test_a_member_not_eligible_on_the_session_date_books_nobody_and_is_named(session, family, day):
    # Recording needs 16 on the session date: the child turning 16 the day after (member 3) may not.
    young = citizen_aged(16, on=day, days_after_birthday=-1, kk=KK)
    with pytest.raises(NotEligibleError) as raised:
        appointments_book_family(slot=slot_of(session), members=members([*family[:2], young]))
    message = str(raised.value.message)
    assert "3" in message and young.masked_nik in message
    assert not Appointment.objects.exists()
    assert slot_of(session).booked == 0


def test_each_member_is_checked_against_the_same_kk_with_one_generic_answer(session, family, day):
    stranger = citizen_aged(16, on=day, kk=OTHER_KK)
    with pytest.raises(IdentityMismatchError) as mismatch:
        family_identify(nik=family[0].nik, kk=KK, member_niks=[family[1].nik, stranger.nik])
    with pytest.raises(IdentityMismatchError) as unknown:
        family_identify(nik=family[0].nik, kk=KK, member_niks=["3319010101990001"])
    with pytest.raises(IdentityMismatchError) as first_wrong:
        family_identify(nik=family[0].nik, kk=OTHER_KK, member_niks=[family[1].nik])
    # The same answer whichever NIK failed (no member-level leak before the KK matched).
    assert str(mismatch.value.message) == str(unknown.value.message) == str(first_wrong.value.message)
    assert str(mismatch.value.message) == str(IdentityMismatchError().message)
    assert family_identify(nik=family[0].nik, kk=KK, member_niks=[family[2].nik]) == [family[0], family[2]]


def test_each_member_cancels_alone(session, family):
    result = appointments_book_family(slot=slot_of(session), members=members(family))
    appointment_cancel(appointment=result.appointments[1])
    statuses = list(Appointment.objects.order_by("pk").values_list("status", flat=True))
    assert statuses == ["active", "cancelled", "active"]
    assert slot_of(session).booked == 2


def test_the_same_form_token_twice_returns_the_first_family_booking(session, family):
    first = appointments_book_family(slot=slot_of(session), members=members(family), manage_token="tok-1")
    again = appointments_book_family(slot=slot_of(session), members=members(family), manage_token="tok-1")
    assert not again.created
    assert [a.pk for a in again.appointments] == [a.pk for a in first.appointments]
    assert [b.manage_token for b in again.bookings] == [member_token("tok-1", i) for i in range(3)]
    assert Appointment.objects.count() == 3


def test_one_confirmation_lists_every_member_with_a_working_link(client, session, family):
    result = appointments_book_family(
        slot=slot_of(session), members=members(family), phone="081234567890", email="keluarga@example.id"
    )
    assert family_confirm(family=str(result.family))
    assert not family_confirm(family=str(result.family))  # once
    assert len(mail.outbox) == 1 and len(LocmemSMSBackend.outbox) == 1
    body = mail.outbox[0].body
    sms = LocmemSMSBackend.outbox[0]["text"]
    for appointment in result.appointments:
        assert appointment.code in body and appointment.code in sms
        assert appointment.citizen.masked_nik in body
        assert appointment.citizen.nik not in body and appointment.citizen.nik not in sms
    links = {code: path for path, code in LINK_RE.findall(body)}
    assert set(links) == {a.code for a in result.appointments}
    for appointment in result.appointments:
        page = client.get(links[appointment.code])
        assert page.status_code == 200
        assert appointment.code in page.content.decode()
    assert set(Appointment.objects.values_list("confirmation_sent_at", flat=True)) != {None}


# --- The booking page -------------------------------------------------------------------------


def _page_token(page: str) -> str:
    return re.search(r'name="form_token" value="([^"]+)"', page).group(1)


def _post(client, session, data):
    return client.post(f"/appointments/new/?session={session.pk}", data)


def _form(session, family, page_token, **more):
    return {
        "nik": family[0].nik,
        "kk": KK,
        "service": "recording",
        "reason": "new",
        "slot": slot_of(session, 1).pk,
        "form_token": page_token,
        "phone": "081234567890",
        "email": "",
        **more,
    }


def test_the_page_adds_member_rows_and_books_the_family_in_one_submission(client, session, family):
    page = client.get(f"/appointments/new/?session={session.pk}").content.decode()
    assert 'name="add_member"' in page
    assert 'name="members-0-nik"' not in page
    data = _form(session, family, _page_token(page))
    grown = _post(client, session, {**data, "add_member": "1"})
    assert grown.status_code == 200
    html = grown.content.decode()
    assert 'name="members-0-nik"' in html and 'name="members-1-nik"' not in html
    assert family[0].nik in html  # what was typed stays
    assert not Appointment.objects.exists()
    rows = {
        "members-TOTAL_FORMS": "2",
        "members-INITIAL_FORMS": "2",
        "members-0-nik": family[1].nik,
        "members-0-service": "recording",
        "members-0-reason": "new",
        "members-1-nik": "",  # an empty row is skipped
        "members-1-service": "recording",
        "members-1-reason": "new",
    }
    response = _post(client, session, {**data, **rows})
    assert response.status_code == 303, response.content.decode()[:2000]
    booked = list(Appointment.objects.order_by("pk"))
    assert [a.citizen for a in booked] == family[:2]
    confirmation = client.get(response["Location"]).content.decode()
    assert booked[0].code in confirmation
    assert 'data-testid="family-list"' in confirmation and booked[1].code in confirmation
    other_link = re.search(rf'href="(/appointments/{booked[1].code}/m/[^"/]+/)"', confirmation)
    assert client.get(other_link.group(1).replace("&amp;", "&")).status_code == 200


def test_the_page_answers_generically_when_a_member_is_not_on_the_kk(client, session, family, day):
    stranger = citizen_aged(16, on=day, kk=OTHER_KK)
    page = client.get(f"/appointments/new/?session={session.pk}").content.decode()
    data = _form(session, family, _page_token(page))
    rows = {
        "members-TOTAL_FORMS": "1",
        "members-INITIAL_FORMS": "1",
        "members-0-nik": stranger.nik,
        "members-0-service": "recording",
        "members-0-reason": "new",
    }
    response = _post(client, session, {**data, **rows})
    assert response.status_code == 200
    html = response.content.decode()
    single = _post(client, session, {**data, "kk": OTHER_KK}).content.decode()
    generic = str(IdentityMismatchError().message)
    assert generic.split(".")[0] in html and generic.split(".")[0] in single
    assert stranger.masked_nik not in html
    assert not Appointment.objects.exists()


def test_the_page_refuses_the_same_nik_twice_and_bad_row_counts(client, session, family):
    page = client.get(f"/appointments/new/?session={session.pk}").content.decode()
    data = _form(session, family, _page_token(page))
    twice = {
        "members-TOTAL_FORMS": "1",
        "members-INITIAL_FORMS": "1",
        "members-0-nik": family[0].nik,
        "members-0-service": "recording",
        "members-0-reason": "new",
    }
    assert _post(client, session, {**data, **twice}).status_code == 200
    for total in ("99999999999999999999", "x", "50", "-1"):
        response = _post(
            client, session, {**data, "members-TOTAL_FORMS": total, "members-INITIAL_FORMS": "0"}
        )
        assert response.status_code == 200, total
    assert not Appointment.objects.exists()


# --- The API ----------------------------------------------------------------------------------


def test_the_api_books_a_family_with_members(client, session, family):
    body = {
        "nik": family[0].nik,
        "kk": KK,
        "service": "recording",
        "reason": "new",
        "slot": slot_of(session).pk,
        "members": [{"nik": family[1].nik}, {"nik": family[2].nik, "service": "recording"}],
    }
    response = client.post("/api/v1/appointments/", body, content_type="application/json")
    assert response.status_code == 201, response.json()
    answer = response.json()
    assert answer["family"] and len(answer["members"]) == 3
    assert answer["members"][0]["code"] == answer["code"]
    for member in answer["members"]:
        got = client.get(f"/api/v1/appointments/{member['code']}/?token={member['manage_token']}")
        assert got.status_code == 200


def test_the_api_answers_identity_mismatch_for_a_member_of_another_kk(client, session, family, day):
    stranger = citizen_aged(16, on=day, kk=OTHER_KK)
    body = {
        "nik": family[0].nik,
        "kk": KK,
        "service": "recording",
        "reason": "new",
        "slot": slot_of(session).pk,
        "members": [{"nik": stranger.nik}],
    }
    response = client.post("/api/v1/appointments/", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "identity_mismatch"
    assert not Appointment.objects.exists()
    full = {**body, "members": [{"nik": family[1].nik}, {"nik": family[2].nik}]}
    appointment_book(
        slot=slot_of(session),
        citizen=citizen_aged(30, on=day, kk=OTHER_KK),
        service="recording",
        reason="new",
    )
    response = client.post("/api/v1/appointments/", full, content_type="application/json")
    assert response.status_code == 409 and response.json()["code"] == "slot_full"


def test_the_page_names_the_member_who_may_not_book_once_identity_matched(client, session, family, day):
    young = citizen_aged(16, on=day, days_after_birthday=-1, kk=KK)
    page = client.get(f"/appointments/new/?session={session.pk}").content.decode()
    rows = {
        "members-TOTAL_FORMS": "1",
        "members-INITIAL_FORMS": "1",
        "members-0-nik": young.nik,
        "members-0-service": "recording",
        "members-0-reason": "new",
    }
    response = _post(client, session, {**_form(session, family, _page_token(page)), **rows})
    html = response.content.decode()
    assert response.status_code == 200
    assert young.masked_nik in html and 'class="message error"' in html
    assert not Appointment.objects.exists()
