"""Locust users of `bench/load.py` (run by it; not on its own): a morning rush of citizens on the
public session list and the booking form/API, and staff on the dashboard at the same time.

Identities (synthetic demo residents) and staff logins come from the JSON file named by
LOAD_DATA, written by bench/load.py. Each simulated citizen sends its own X-Forwarded-For address
(the portal runs with TRUSTED_PROXY_COUNT=1, as behind one reverse proxy), so the per-address rate limits
apply per citizen as in production, not to the one loopback address.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
from collections import Counter

from locust import HttpUser, between, events, task
from locust.exception import StopUser

DATA = json.loads(open(os.environ["LOAD_DATA"], encoding="utf-8").read())  # noqa: SIM115
IDENTITIES = iter(DATA["identities"])
STAFF = itertools.cycle(DATA["staff"])
CLIENT_NUMBERS = itertools.count(1)
BOOKINGS_PER_CITIZEN = int(DATA["bookings_per_user"])
TOKEN_RE = re.compile(r'name="form_token" value="([^"]+)"')
OUTCOMES: Counter[str] = Counter()


@events.test_stop.add_listener
def _write_outcomes(**kwargs):
    """Booking outcomes (booked, place taken) for bench/load.py's report."""
    with open(os.environ["LOAD_OUTCOMES"], "w", encoding="utf-8") as handle:
        json.dump(OUTCOMES, handle)


def _address(number: int) -> str:
    return f"10.{number // 65536 % 256}.{number // 256 % 256}.{number % 256}"


class Citizen(HttpUser):
    """Opens the session list, picks one of the earliest free places (everyone wants the morning),
    books it (half through the HTML form, half through the API), reads the confirmation; a few times."""

    weight = 20
    wait_time = between(0.5, 2.0)

    def on_start(self):
        self.client.headers["X-Forwarded-For"] = _address(next(CLIENT_NUMBERS))
        self.booked = 0

    def _open_slots(self) -> list[tuple[int, int]]:
        with self.client.get(
            "/api/v1/sessions/", params={"page_size": 50}, name="GET /api/v1/sessions/", catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code}")
                return []
            sessions = response.json()["results"]
        slots = [
            (session["id"], slot["id"])
            for session in sessions
            if session["status"] == "scheduled" and "printing" in session["services"]
            for slot in session["slots"]
            if slot["open"] and slot["remaining"] > 0
        ]
        return slots[:40]  # the earliest ones: the rush

    @task
    def book(self):
        if self.booked >= BOOKINGS_PER_CITIZEN:
            self.client.get("/", name="GET / (session list)")
            return
        try:
            identity = next(IDENTITIES)
        except StopIteration:
            raise StopUser() from None
        self.client.get("/", name="GET / (session list)")
        slots = self._open_slots()
        if not slots:
            return
        session_id, slot_id = random.choice(slots[:10])
        self.booked += 1
        if random.random() < 0.5:
            self._book_with_the_form(identity, session_id, slot_id)
        else:
            self._book_with_the_api(identity, slot_id)

    def _outcome(self, what: str) -> None:
        OUTCOMES[what] += 1

    def _book_with_the_form(self, identity: dict, session_id: int, slot_id: int):
        form = self.client.get(
            "/appointments/new/", params={"session": session_id}, name="GET /appointments/new/"
        )
        match = TOKEN_RE.search(form.text)
        data = {
            "csrfmiddlewaretoken": self.client.cookies.get("csrftoken", ""),
            "form_token": match.group(1) if match else "",
            "nik": identity["nik"],
            "birth_date": identity["birth_date"],
            "service": identity["service"],
            "reason": identity["reason"],
            "slot": slot_id,
        }
        with self.client.post(
            f"/appointments/new/?session={session_id}",
            data=data,
            name="POST /appointments/new/ (form)",
            allow_redirects=False,
            catch_response=True,
            headers={"Referer": f"{self.host}/appointments/new/"},
        ) as response:
            if response.status_code == 303:
                location = response.headers["Location"]
                self._outcome("booked (form)")
            elif response.status_code == 200 and 'id="id_slot_error"' in response.text:
                response.success()  # the form again with its message: the place was taken meanwhile
                self._outcome("place taken (form)")
                return
            else:
                response.failure(f"{response.status_code}")
                return
        self.client.get(location, name="GET /appointments/<code>/confirmation/")

    def _book_with_the_api(self, identity: dict, slot_id: int):
        body = {key: identity[key] for key in ("nik", "birth_date", "service", "reason")}
        with self.client.post(
            "/api/v1/appointments/",
            json={**body, "slot": slot_id},
            name="POST /api/v1/appointments/",
            catch_response=True,
        ) as response:
            if response.status_code == 201:
                created = response.json()
                self._outcome("booked (API)")
            elif response.status_code == 409 and response.json().get("code") == "slot_full":
                response.success()  # expected in a rush: someone else took the last place
                self._outcome("place taken (API 409)")
                return
            else:
                response.failure(f"{response.status_code} {response.text[:80]}")
                return
        self.client.get(
            f"/api/v1/appointments/{created['code']}/",
            params={"token": created["manage_token"]},
            name="GET /api/v1/appointments/<code>/",
        )


class Staff(HttpUser):
    """A desk or office worker: the dashboard overview, citizen search, a record, today's bookings."""

    fixed_count = int(DATA["staff_users"])
    wait_time = between(1.0, 3.0)

    def on_start(self):
        self.client.headers["X-Forwarded-For"] = _address(100_000 + next(CLIENT_NUMBERS))
        login = next(STAFF)
        self.client.get("/accounts/login/", name="GET /accounts/login/")
        response = self.client.post(
            "/accounts/login/",
            data={
                "username": login["username"],
                "password": login["password"],
                "csrfmiddlewaretoken": self.client.cookies.get("csrftoken", ""),
            },
            headers={"Referer": f"{self.host}/accounts/login/"},
            name="POST /accounts/login/",
        )
        if not response.url.endswith("/dashboard/"):
            raise StopUser()
        self.citizen_ids = login["citizen_ids"]

    @task(3)
    def overview(self):
        self.client.get("/dashboard/", name="GET /dashboard/")

    @task(3)
    def citizens(self):
        self.client.get("/dashboard/citizens/", params={"recorded": "false"}, name="GET /dashboard/citizens/")

    @task(2)
    def citizen(self):
        pk = random.choice(self.citizen_ids)
        self.client.get(f"/dashboard/citizens/{pk}/", name="GET /dashboard/citizens/<id>/")

    @task(2)
    def bookings(self):
        self.client.get(
            "/api/v1/appointments/", params={"status": "active"}, name="GET /api/v1/appointments/"
        )
