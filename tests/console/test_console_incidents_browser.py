"""The console's SLOs & incidents panel in Chromium against `symphony serve --demo`: SLOs with
burn rates, integrations (demo fakes), a filed incident appears live with its ticket links,
and Resolve closes it. Reuses the console suite's server, browser and page watcher."""

from __future__ import annotations

from typing import Any

import pytest
from test_console_browser import (  # the fixtures are shared with the console suite
    ARTIFACTS,
    Watched,
    _axe,
    _post_json,
    _report,
    browser,
    server,
    watched,
)

pytestmark = pytest.mark.browser
__all__ = ["browser", "server", "watched"]


def test_incident_panel_shows_slos_tickets_and_resolves(
    watched: Watched, request: pytest.FixtureRequest, capsys: pytest.CaptureFixture[str]
) -> None:
    page = watched.open()
    page.wait_for_selector("#slo-rows tr[data-slo='execute-latency']")
    chips = page.inner_text("#integration-chips")
    for vendor in ("github", "jira", "slack", "pagerduty"):
        assert f"{vendor} on (demo fake)" in chips
    for _ in range(3):  # some executes, so the SLOs have burn rates to show
        done, _ = _post_json(f"{watched.base}/route/execute", {"task": "qa", "input": "hi"})
        assert done == 200
    status, body = _post_json(
        f"{watched.base}/incidents",
        {"title": "Checkout answers take 30 s", "body": "from the browser test", "severity": "p2"},
    )
    assert status == 201, body
    item = f"#incident-list li[data-id='{body['id']}']"
    page.wait_for_selector(f"{item} a.ticket")  # arrives through the event stream
    page.wait_for_function(
        "() => !document.querySelector('#slo-rows').textContent.includes('0 good / 0 bad')"
    )
    links: list[dict[str, Any]] = page.eval_on_selector_all(
        f"{item} a.ticket", "els => els.map(a => ({text: a.textContent, href: a.href}))"
    )
    assert {link["text"].split()[0] for link in links} == {"GitHub", "Jira"}
    assert "demo fakes received" in page.inner_text("#fakes-note").lower()
    assert _axe(page) == []
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.locator("#incidents").scroll_into_view_if_needed()
    path = ARTIFACTS / "incidents.png"
    page.locator("#incidents").screenshot(path=str(path))
    _report(request, capsys, path)
    page.click(f"{item} button")
    page.wait_for_selector(f"{item}.incident-resolved")
    assert "(closed)" in page.inner_text(item)
