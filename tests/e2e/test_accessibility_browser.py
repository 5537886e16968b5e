"""The public pages pass axe-core (pinned, tests/vendor/axe-core, npm axe-core 4.10.3; SHA-256 of
axe.min.js checked below) with no serious or critical violation at 390 px and at 1366 px.

axe is evaluated through the DevTools protocol (page.evaluate), which the page's strict CSP does not
apply to, so the pages are tested exactly as served."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from pathlib import Path

import pytest
from django.utils import timezone

from schedules.models import WaitlistEntry
from schedules.services import appointment_book, appointment_cancel, waitlist_join, waitlist_sweep
from schedules.services.waiting_list import offer_path
from tests.factories import OutreachSessionFactory, citizen_aged

AXE = Path(__file__).resolve().parent.parent / "vendor" / "axe-core" / "axe.min.js"
AXE_SHA256 = "880970c081707360e64f34cea25ff91892f5bc95675b0776925b9709dd8a68bb"
WIDTHS = (390, 1366)


def _serious(page) -> list[dict]:
    results = page.evaluate(
        "async () => JSON.stringify(await axe.run(document, {resultTypes: ['violations']}))"
    )
    violations = json.loads(results)["violations"]
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in violations
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_public_pages_have_no_serious_axe_violation(live_server, regions_tx, browser):
    source = AXE.read_bytes()
    assert hashlib.sha256(source).hexdigest() == AXE_SHA256
    day = timezone.localdate() + dt.timedelta(days=2)
    session = OutreachSessionFactory(
        date=day,
        title="Car Free Day Simpang Tujuh",
        services=["recording"],
        latitude="-6.8048",
        longitude="110.8405",
    )
    result = appointment_book(
        slot=session.slots.order_by("starts_at")[0],
        citizen=citizen_aged(20, on=day),
        service="recording",
        reason="new",
    )
    code, token = result.appointment.code, result.manage_token
    # A full one-place session with a waiting list, and an offer of its freed place.
    full = OutreachSessionFactory(
        date=day, start_time=dt.time(8), end_time=dt.time(8, 15), slot_capacity=1, services=["recording"]
    )
    taken = appointment_book(
        slot=full.slots.get(), citizen=citizen_aged(30, on=day), service="recording", reason="new"
    )
    waitlist_join(
        session=full,
        citizen=citizen_aged(31, on=day),
        service="recording",
        reason="new",
        phone="081200000066",
    )
    appointment_cancel(appointment=taken.appointment)
    waitlist_sweep(session_id=full.pk)
    offer = offer_path(WaitlistEntry.objects.get(status="offered"))
    pages = {
        "home": "/",
        "book: choose a session": "/appointments/new/",
        "book: the form": f"/appointments/new/?session={session.pk}",
        "confirmation": f"/appointments/{code}/confirmation/{token}/",
        "manage": f"/appointments/{code}/m/{token}/",
        # The TV queue display polls with a script (no meta refresh, which axe rates critical).
        "queue display": f"/sessions/{session.pk}/queue/",
        "waiting list: join": f"/sessions/{full.pk}/waitlist/",
        "waiting list: offer": offer,
    }
    found = {}
    for width in WIDTHS:
        page = browser.new_page(viewport={"width": width, "height": 900}, locale="id-ID")
        for name, path in pages.items():
            page.goto(f"{live_server.url}{path}")
            page.evaluate(source.decode("utf-8"))
            serious = _serious(page)
            if serious:
                found[f"{width}px {name}"] = serious
        # The form with its errors shown (the state a hurried citizen sees most).
        page.goto(f"{live_server.url}{pages['book: the form']}")
        page.get_by_role("button", name=re.compile("^Daftar$")).click()
        page.evaluate(source.decode("utf-8"))
        if serious := _serious(page):
            found[f"{width}px book: errors"] = serious
        # The form with a family member's row added (a plain submit, the page comes back).
        page.goto(f"{live_server.url}{pages['book: the form']}")
        page.get_by_test_id("add-member").click()
        page.get_by_test_id("family-member").wait_for()
        page.evaluate(source.decode("utf-8"))
        if serious := _serious(page):
            found[f"{width}px book: family row"] = serious
        page.close()
    assert found == {}, json.dumps(found, indent=1)
