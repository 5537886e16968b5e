"""The school visit planner's leftovers (issue 16): the list grouped by birth year (the register has
no class), and "create the school session" reserving a place for every listed student, through the
session service, once per school and day even when clicked twice at once."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import time

import pytest

from core.exceptions import NotPermittedError
from schedules.models import Appointment, OutreachSession
from schedules.services import school_sessions
from schedules.services.school_sessions import SchoolSessionExistsError, school_session_plan
from tests.factories import CitizenFactory, staff_user
from tests.helpers import needs_postgres, run_concurrently

VISIT = dt.date(2027, 3, 10)
SCHOOL = "SMA 2 Kudus"
PLAN_URL = "/dashboard/schools/visit/plan/"

pytestmark = pytest.mark.django_db


def student(name: str, born: dt.date, **fields):
    fields.setdefault("school", SCHOOL)
    return CitizenFactory(full_name=name, birth_date=born, **fields)


def groups(client) -> list[tuple[str, list[str]]]:
    page = client.get(
        "/dashboard/schools/visit/", {"school": SCHOOL, "date": VISIT.isoformat()}
    ).content.decode()
    found = []
    for year, body in re.findall(
        r'<tbody data-testid="year-group" data-year="(\d+)">(.*?)</tbody>', page, re.S
    ):
        names = [
            re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)[2]
            for row in re.findall(r'<tr data-testid="student">(.*?)</tr>', body, re.S)
        ]
        found.append((year, names))
    return found


def test_the_list_is_grouped_by_birth_year_oldest_first(as_user, operator):
    student("Citra", dt.date(2010, 1, 5))
    student("Adi", dt.date(2010, 12, 1))
    student("Budi", dt.date(2009, 6, 1))
    student("Dewi", dt.date(2011, 2, 1))  # 16 on the visit day
    student("Eko", dt.date(2011, 6, 1))  # 15: not listed
    client = as_user(operator)
    assert groups(client) == [("2009", ["Budi"]), ("2010", ["Adi", "Citra"]), ("2011", ["Dewi"])]
    page = client.get(
        "/dashboard/schools/visit/", {"school": SCHOOL, "date": VISIT.isoformat()}
    ).content.decode()
    assert "Born in 2010: 2 students" in page


def test_the_export_has_the_birth_year(as_user, supervisor):
    student("Budi", dt.date(2009, 6, 1))
    response = as_user(supervisor).get(
        "/dashboard/schools/visit/export/", {"school": SCHOOL, "date": VISIT.isoformat(), "format": "csv"}
    )
    content = b"".join(response.streaming_content) if response.streaming else response.content
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[0][4] == "birth year" and rows[1][1] == "Budi" and rows[1][4] == "2009"


def test_creating_the_school_session_reserves_a_place_for_every_student(as_user, operator):
    for index in range(50):
        student(f"Siswa {index:02d}", dt.date(2009, 1, 1) + dt.timedelta(days=index))
    client = as_user(operator)
    response = client.post(PLAN_URL, {"school": SCHOOL, "date": VISIT.isoformat()})
    session = OutreachSession.objects.get(kind="school", date=VISIT)
    assert response.status_code == 302 and response["Location"] == f"/dashboard/sessions/{session.pk}/"
    slots = list(session.slots.all())
    assert len(slots) == 16  # 08:00-12:00 in 15 minutes
    assert {slot.capacity for slot in slots} == {4}  # ceil(50 / 16): 64 places for 50 students
    assert sum(slot.booked for slot in slots) == 0 and not Appointment.objects.exists()  # books nobody
    assert not session.published  # the public cannot take the students' places
    assert session.venue_name == SCHOOL and session.kecamatan_id == "33.19.01"
    assert session.offers_recording and session.offers_printing and session.offers_ikd
    assert session.desks == 2  # 4 places a slot at 3 places a desk
    # Twice: refused, with the message on the list page; still one session.
    response = client.post(PLAN_URL, {"school": SCHOOL, "date": VISIT.isoformat()}, follow=True)
    assert "This school already has a session on that day." in response.content.decode()
    assert OutreachSession.objects.filter(kind="school", date=VISIT).count() == 1


def test_only_the_services_still_needed_are_offered(as_user, supervisor):
    student("Enam Belas", dt.date(2011, 3, 10))  # 16: recording only
    as_user(supervisor).post(PLAN_URL, {"school": SCHOOL, "date": VISIT.isoformat()})
    session = OutreachSession.objects.get(kind="school", date=VISIT)
    assert (session.offers_recording, session.offers_printing, session.offers_ikd) == (True, False, False)
    assert sum(slot.capacity for slot in session.slots.all()) == 16  # one place a slot: at least 1


@pytest.mark.parametrize("fixture", ["viewer", "field_staff"])
def test_who_may_not_plan_sessions_cannot_create_it(request, as_user, fixture):
    user = request.getfixturevalue(fixture)
    student("Budi", dt.date(2009, 6, 1))
    response = as_user(user).post(PLAN_URL, {"school": SCHOOL, "date": VISIT.isoformat()})
    assert response.status_code == 403
    assert not OutreachSession.objects.exists()


def test_an_empty_list_or_bad_input_is_a_clear_answer(as_user, operator):
    client = as_user(operator)
    response = client.post(PLAN_URL, {"school": SCHOOL, "date": VISIT.isoformat()}, follow=True)
    assert response.status_code == 200
    assert "No student on the list: there is nothing to reserve." in response.content.decode()
    assert client.post(PLAN_URL, {"school": SCHOOL, "date": "2027-02-30"}).status_code == 400
    assert client.get(PLAN_URL).status_code == 405
    assert not OutreachSession.objects.exists()


@needs_postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("serialise", [True, False], ids=["guarded", "control-unguarded"])
def test_two_clicks_at_once_create_one_session(regions_tx, monkeypatch, serialise):
    """Real threads on PostgreSQL, the window between the check and the insert widened in both runs:
    with the per-school-and-day lock, one session and one refusal; the control run without it
    creates two (so the test can fail)."""
    actor = staff_user("operator", kecamatan=("33.19.01",), username="op-race")
    real_create = school_sessions.session_create

    def slow_create(**fields):
        time.sleep(0.3)
        return real_create(**fields)

    monkeypatch.setattr(school_sessions, "session_create", slow_create)

    def plan(_index: int):
        return school_session_plan(
            school=SCHOOL, date=VISIT, expected=40, services=["recording"], kecamatan="33.19.01",
            actor=actor, serialise=serialise,
        )  # fmt: skip

    results = run_concurrently(2, plan)
    created = sum(isinstance(result, OutreachSession) for result in results)
    if serialise:
        assert created == 1, results
        assert sum(isinstance(result, SchoolSessionExistsError) for result in results) == 1
        assert OutreachSession.objects.filter(kind="school", date=VISIT).count() == 1
    else:
        assert created == 2, results


def test_the_service_checks_who_acts(jati_operator, viewer, operator):
    """Called directly: staff of another kecamatan or a viewer get the core error and nothing is written;
    the same call by the kecamatan's operator creates the session."""
    call = {
        "school": SCHOOL,
        "date": VISIT,
        "expected": 10,
        "services": ["recording"],
        "kecamatan": "33.19.01",
    }
    for actor in (jati_operator, viewer):
        with pytest.raises(NotPermittedError):
            school_session_plan(**call, actor=actor)
    assert not OutreachSession.objects.exists()
    assert school_session_plan(**call, actor=operator).kecamatan_id == "33.19.01"
