"""The desk finds residents (issue 14): by NIK, or by name + birth date (+ desa); masked NIKs for
roles that see masked NIKs; an unknown resident gets a staff message with the next step."""

from __future__ import annotations

import pytest
from django.utils import timezone

from core.models import AuditEvent
from schedules.models import QueueTicket
from tests.factories import CitizenFactory, OutreachSessionFactory, citizen_aged, desa

CITIZEN_TEXT = "please visit the Disdukcapil office"


@pytest.fixture
def session(regions):
    return OutreachSessionFactory(
        date=timezone.localdate(), title="CFD", kind="cfd", kecamatan="33.19.01", desks=2
    )


def desk_url(session, **query) -> str:
    from urllib.parse import urlencode

    return f"/dashboard/sessions/{session.pk}/check-in/" + (f"?{urlencode(query)}" if query else "")


def test_an_unknown_nik_at_the_walk_in_gets_the_staff_next_step_not_the_citizen_text(
    as_user, field_staff, session
):
    page = (
        as_user(field_staff)
        .post(
            f"/dashboard/sessions/{session.pk}/walk-in/",
            {"walkin-nik": "3319000000000099", "walkin-birth_date": "2001-01-01", "walkin-reason": "new"},
            follow=True,
        )
        .content.decode()
    )
    assert "register (or update their data) at the Disdukcapil office" in page
    assert CITIZEN_TEXT not in page
    assert not QueueTicket.objects.exists()


def test_a_resident_found_by_name_and_birth_date_shows_a_masked_nik_to_field_staff(
    as_user, field_staff, session
):
    today = timezone.localdate()
    wanted = citizen_aged(17, on=today, days_after_birthday=2, full_name="Siti Aminah Lestari")
    CitizenFactory(
        full_name="Siti Aminah Lain", birth_date=wanted.birth_date.replace(year=wanted.birth_date.year - 1)
    )
    jati_twin = CitizenFactory(
        full_name="Siti Aminah Jati", birth_date=wanted.birth_date, desa=desa("33.19.03.2001"), area6="331903"
    )
    client = as_user(field_staff)
    page = client.get(
        desk_url(session, **{"find-name": "aminah", "find-birth_date": wanted.birth_date.isoformat()})
    )
    names = [c.full_name for c in page.context["found"]["residents"]]
    assert names == sorted([wanted.full_name, jati_twin.full_name])  # any kecamatan: the desk serves all
    html = page.content.decode()
    assert wanted.masked_nik in html and wanted.nik not in html
    narrowed = client.get(
        desk_url(session, **{"find-name": "aminah", "find-birth_date": wanted.birth_date.isoformat(),
                             "find-desa": wanted.desa_id})
    )  # fmt: skip
    assert [c.pk for c in narrowed.context["found"]["residents"]] == [wanted.pk]

    client.post(f"/dashboard/sessions/{session.pk}/walk-in/{wanted.pk}/", follow=True)
    ticket = QueueTicket.objects.get(citizen=wanted)
    assert (ticket.service, ticket.planned_services) == ("recording", ["printing", "ikd_activation"])


def test_a_full_data_role_sees_the_nik_and_the_reveal_is_audited(as_user, supervisor, session):
    wanted = citizen_aged(30, on=timezone.localdate(), full_name="Budi Santoso")
    page = as_user(supervisor).get(desk_url(session, **{"find-nik": wanted.nik}))
    assert wanted.nik in page.content.decode()
    assert AuditEvent.objects.filter(kind="reveal", target=f"citizen {wanted.pk}").exists()


def test_nobody_found_gives_the_staff_next_step(as_user, field_staff, session):
    page = as_user(field_staff).get(
        desk_url(session, **{"find-name": "Tidak Ada", "find-birth_date": "1990-01-01"})
    )
    html = page.content.decode()
    assert 'data-testid="resident-unknown"' in html and "Disdukcapil office" in html
    assert CITIZEN_TEXT not in html


def test_a_search_needs_the_nik_or_the_name_and_the_birth_date(as_user, field_staff, session):
    page = as_user(field_staff).get(desk_url(session, **{"find-name": "Siti"}))
    assert page.status_code == 200 and page.context["found"] is None
    assert "Give the NIK, or the name and the birth date." in page.content.decode()
