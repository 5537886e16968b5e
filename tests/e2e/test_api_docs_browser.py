"""Swagger UI at /api/docs/ renders the API in Chromium from our own static files, under our CSP."""

from __future__ import annotations

import pytest

from tests.helpers import chromium


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_swagger_ui_renders_every_resource_without_csp_violations_or_outside_requests(live_server):
    console: list[str] = []
    outside: list[str] = []
    with chromium() as browser:
        page = browser.new_page()
        page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
        page.on("pageerror", lambda error: console.append(f"pageerror: {error}"))
        page.on(
            "request",
            lambda request: (
                None if request.url.startswith((live_server.url, "data:")) else outside.append(request.url)
            ),
        )
        page.goto(f"{live_server.url}/api/docs/")
        page.wait_for_selector(".opblock-tag", timeout=20_000)
        tags = {element.get_attribute("data-tag") for element in page.query_selector_all(".opblock-tag")}
        operations = len(page.query_selector_all(".opblock"))

    assert {"auth", "regions", "citizens", "sessions", "appointments", "coverage"} <= tags
    assert "blank movements" in tags and "service requests" in tags
    assert operations >= 40
    assert outside == []
    violations = [
        line for line in console if "Content Security Policy" in line or line.startswith("pageerror")
    ]
    assert violations == []
