"""The console's Jobs panel in Chromium against `symphony serve --demo`: a submitted job
appears through the event stream, and Cancel cancels it. Reuses the console suite's fixtures."""

from __future__ import annotations

import pytest
from test_console_browser import (  # the fixtures are shared with the console suite
    Watched,
    _axe,
    _post_json,
    browser,
    server,
    watched,
)

pytestmark = pytest.mark.browser
__all__ = ["browser", "server", "watched"]


def test_jobs_panel_shows_a_job_and_cancels_it(watched: Watched) -> None:
    page = watched.open()
    page.wait_for_selector("#job-rows tr")
    body = {
        "request": {"task": "qa", "input": "nightly digest"},
        "run": "at",
        "at": "2099-01-01T06:00:00Z",
    }
    status, answer = _post_json(f"{watched.base}/jobs", body)
    assert status == 200, answer
    row = f"#job-rows tr[data-job='{answer['job']['id']}']"
    page.wait_for_selector(f"{row} button")  # arrives through job.queued on /events
    assert "queued" in page.inner_text(row)
    assert _axe(page) == []
    page.click(f"{row} button")
    page.wait_for_selector(f"{row}[data-state='cancelled']")
    assert "1 cancelled" in page.inner_text("#jobs-note")


def test_budgets_panel_lists_the_demo_tenants_lines(watched: Watched) -> None:
    page = watched.open()
    row = "#budget-rows tr[data-budget='default:tenant:daily:usd']"
    page.wait_for_selector(row)
    text = page.inner_text(row)
    assert "of $5.00" in text
    assert "within" in text
    assert page.locator("#budget-rows tr[data-budget='default:tenant:monthly:usd']").count() == 1
    assert _axe(page) == []
