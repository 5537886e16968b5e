"""Logging out deletes the browser's site data (Clear-Site-Data), and with it the offline desk's
actions not yet synced. From any dashboard page the logout first counts those actions (IndexedDB
"kudus-desk", store "queue") and asks; with none waiting it logs out at once, and it never creates
the desk's database on a browser that has none."""

from __future__ import annotations

import pytest

from core.roles import staff_create

PASSWORD = "Kudus-Browser-2024!"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# What desk-offline.js stores: the same database, version and stores.
QUEUE_ONE_ACTION = """() => new Promise((resolve, reject) => {
  const request = indexedDB.open('kudus-desk', 1);
  request.onupgradeneeded = () => {
    const d = request.result;
    d.createObjectStore('data', { keyPath: 'session' });
    d.createObjectStore('queue', { keyPath: 'seq', autoIncrement: true });
    d.createObjectStore('conflicts', { keyPath: 'seq', autoIncrement: true });
  };
  request.onsuccess = () => {
    const t = request.result.transaction('queue', 'readwrite');
    const action = { key: crypto.randomUUID(), kind: 'check_in', session: 1, payload: {}, at: 'now' };
    t.objectStore('queue').add(action);
    t.oncomplete = () => { request.result.close(); resolve(); };
  };
  request.onerror = () => reject(request.error);
})"""
DESK_DATABASES = "async () => (await indexedDB.databases()).filter((d) => d.name === 'kudus-desk').length"


@pytest.fixture
def signed_in(browser, live_server, regions_tx, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    staff_create(username="desk-guard", role="field", kecamatan_codes=["33.19.01"], password=PASSWORD)
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-US")
    context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/accounts/login/?next=/dashboard/")
    page.fill("input[name=username]", "desk-guard")
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/dashboard/")
    yield page
    context.close()


def _log_out(page):
    page.get_by_role("button", name="Log out").click(no_wait_after=True)


def _wait_until(page, condition, seconds: float = 10) -> None:
    for _ in range(int(seconds * 10)):
        if condition():
            return
        page.wait_for_timeout(100)
    raise AssertionError("the logout did not ask")


def test_logging_out_with_unsynced_desk_actions_asks_first(signed_in, live_server):
    page = signed_in
    page.evaluate(QUEUE_ONE_ACTION)
    # Any dashboard page, not only the desk's (here the targets page).
    page.goto(f"{live_server.url}/dashboard/targets/")
    # The question comes after the click, once IndexedDB has counted: answer it from a handler set
    # before the click (a click waiting for its navigation would otherwise wait on the open dialog).
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    _log_out(page)
    _wait_until(page, lambda: asked)
    assert "1 offline desk actions not yet synced" in asked[0]
    # Dismissed: still signed in.
    page.wait_for_timeout(500)
    assert page.url == f"{live_server.url}/dashboard/targets/"
    assert page.goto(f"{live_server.url}/dashboard/").url == f"{live_server.url}/dashboard/"
    # Asked again (the action is still queued); accepted: logged out.
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    _log_out(page)
    _wait_until(page, lambda: len(asked) == 2)
    page.wait_for_url(lambda url: "/dashboard/" not in url)
    assert page.goto(f"{live_server.url}/dashboard/").url.startswith(f"{live_server.url}/accounts/login/")


def test_with_nothing_waiting_logout_asks_nothing_and_creates_no_desk_database(signed_in, live_server):
    page = signed_in
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    assert page.evaluate(DESK_DATABASES) == 0
    _log_out(page)
    page.wait_for_url(lambda url: "/dashboard/" not in url)
    assert dialogs == []
    assert page.evaluate(DESK_DATABASES) == 0
    assert page.goto(f"{live_server.url}/dashboard/").url.startswith(f"{live_server.url}/accounts/login/")
