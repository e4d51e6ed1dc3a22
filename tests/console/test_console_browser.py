"""The operator console end to end: `symphony serve --demo` in a subprocess, Debian Chromium.

Every test watches the page for JavaScript errors, console errors and CSP violations and fails
on any (a test names the HTTP statuses it provokes on purpose, e.g. the 409 of an over-LOA plan).
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
AXE = ROOT / "tests" / "fixtures" / "console" / "axe.min.js"
ARTIFACTS = ROOT / "artifacts" / "console"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# The real CLI. Until app.py includes the console router, add it the same way app.py will.
SERVE = """
import sys
import symphony.app as app_module
from symphony.console.router import router
create = app_module.create_app
def create_app(*args, **kwargs):
    app = create(*args, **kwargs)
    if not any(getattr(r, "path", None) == "/console" for r in app.routes):
        app.include_router(router)
    return app
app_module.create_app = create_app
from symphony.cli import main
sys.exit(main(sys.argv[1:]))
"""
# Collected before any page script runs; CSP violations never reach the console reliably.
WATCH_CSP = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"}`);
});
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as resp:
        return json.loads(resp.read())


def _post_json(url: str, body: dict[str, Any]) -> tuple[int, Any]:
    req = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def _read(tmp: Path) -> str:
    return (tmp / "server.log").read_text()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: install the Debian `chromium` package"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    tmp = tmp_path_factory.mktemp("console")
    port, sim_port = _free_port(), _free_port()
    env = {
        **os.environ,
        "SYMPHONY_DATA_DIR": str(tmp / "data"),
        "SYMPHONY_WATCH_POLICY": "0",
        "SYMPHONY_LOG_LEVEL": "WARNING",
    }
    env.pop("SYMPHONY_AUTH", None)  # demo on loopback: auth off
    log = (tmp / "server.log").open("w")
    cmd = [
        sys.executable,
        "-c",
        SERVE,
        "serve",
        "--demo",
        "--port",
        str(port),
        "--simulator-port",
        str(sim_port),
    ]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                pytest.fail(f"symphony serve exited with {proc.returncode}:\n{_read(tmp)}")
            try:
                _get_json(f"{base}/status/health.json")
                break
            except (OSError, ValueError):
                if time.monotonic() > deadline:
                    pytest.fail(f"symphony serve did not answer:\n{_read(tmp)}")
                time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture(scope="module")
def browser(server: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS)
        yield b
        b.close()


UNAUTHORIZED = '{"error":{"code":"unauthorized","message":"missing or invalid API key"}}'


class Watched:
    """A page whose JS errors, console errors and CSP violations are collected."""

    def __init__(self, page: Any, base: str) -> None:
        self.page = page
        self.base = base
        self.errors: list[str] = []
        self.allowed_statuses: set[int] = set()
        page.add_init_script(WATCH_CSP)
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        page.on("console", self._console)

    def _console(self, msg: Any) -> None:
        if msg.type != "error":
            return
        status = re.search(r"status of (\d{3})", msg.text)
        if status and int(status.group(1)) in self.allowed_statuses:
            return
        self.errors.append(f"console: {msg.text}")

    def open(self) -> Any:
        self.page.goto(f"{self.base}/console")
        self.page.wait_for_selector("#matrix-body tr")
        self.page.wait_for_selector("#stream-state[data-state=live]")
        return self.page

    def problems(self) -> list[str]:
        csp: list[str] = self.page.evaluate("window.__csp || []")
        return self.errors + [f"CSP: {v}" for v in csp]


@pytest.fixture
def watched(browser: Any, server: str) -> Iterator[Watched]:
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    w = Watched(context.new_page(), server)
    yield w
    problems = w.problems()
    context.close()
    assert problems == [], "the page logged errors or CSP violations"


def _report(request: pytest.FixtureRequest, capsys: pytest.CaptureFixture[str], path: Path) -> None:
    request.node.user_properties.append(("screenshot", str(path)))
    with capsys.disabled():
        print(f"\nscreenshot: {path}")


def _axe(page: Any) -> list[str]:
    # Evaluated through the DevTools protocol: a <script> tag would (rightly) be blocked by the CSP.
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_matrix_lists_every_model_with_window_clocks(watched: Watched, server: str) -> None:
    page = watched.open()
    items = _get_json(f"{server}/models")["items"]
    shown = page.eval_on_selector_all("#matrix-body tr", "rows => rows.map(r => r.dataset.model)")
    assert shown == [i["model"] for i in items]
    text = page.inner_text("#matrix-body")
    for words in (
        "rolling 3h",
        "5h session",
        "daily 00:00 PT",
        "per-minute",
        "header-driven",
        "dynamic",
        "cap unknown",
        "simulated",
        "configured",
        "heuristic",
    ):
        assert words in text, words
    # A countdown ticks without any reload.
    model = page.get_attribute("#matrix-body tr:has(.countdown)", "data-model")
    clock = f'#matrix-body tr[data-model="{model}"] .countdown'
    before = page.inner_text(clock)
    assert re.fullmatch(r"in (\d+[dhms] ?)+", before), before
    page.wait_for_function(
        "([sel, t]) => document.querySelector(sel)?.textContent !== t",
        arg=[clock, before],
        timeout=5000,  # it ticks every second
    )
    # Policy version and upstream health in the header.
    policy = _get_json(f"{server}/policy")
    assert policy["version"] in page.inner_text("#policy-version")
    for name in _get_json(f"{server}/status/health.json")["services"]:
        assert name in page.inner_text("#health")


def test_execute_moves_usage_bar_and_adds_event_without_reload(watched: Watched) -> None:
    page = watched.open()
    page.evaluate("window.__sameDocument = true")
    page.fill("#f-task", "qa")
    page.fill("#f-loa", "1")
    page.check("#hint-list input[value='openai']")  # a model with a capped window
    page.click("#plan-btn")
    primary = page.wait_for_selector(".cand-primary").get_attribute("data-model")
    assert primary == "openai/chatgpt-plus"
    assert "(override)" in page.inner_text("#plan-out .controls")
    bar = page.locator(f'#matrix-body tr[data-model="{primary}"] [role=progressbar]')
    before = int(bar.get_attribute("aria-valuenow") or "0")

    page.click("#execute-btn")
    audit_id = page.wait_for_selector(".exec-ok .audit-id").inner_text()
    assert audit_id.startswith("aud_")
    assert page.inner_text(".exec-ok .answer").strip()
    assert page.locator(".exec-ok table.attempts tbody tr").count() >= 1

    page.wait_for_function(
        "([sel, n]) => Number(document.querySelector(sel)?.getAttribute('aria-valuenow')) > n",
        arg=[f'#matrix-body tr[data-model="{primary}"] [role=progressbar]', before],
        timeout=5000,
    )
    line = page.locator("#feed-list .ev[data-type='route.execute']", has_text=audit_id)
    line.wait_for(timeout=5000)
    assert primary in line.inner_text()
    assert page.evaluate("window.__sameDocument") is True, "the page reloaded"


def test_explain_shows_denial_reasons_for_over_loa(watched: Watched) -> None:
    watched.allowed_statuses = {409}  # the explanation of "no eligible model"
    page = watched.open()
    page.fill("#f-task", "qa")
    page.fill("#f-loa", "3")
    page.click("#plan-btn")
    page.wait_for_selector(".decision-none")
    assert "No eligible model" in page.inner_text(".decision-none")
    denied = page.locator(".cands .cand-denied")
    assert denied.count() == page.locator(".cands .cand").count() > 0
    text = page.inner_text("#plan-out")
    assert "LOA too high" in text
    assert "loa_exceeds" in text
    assert page.is_disabled("#execute-btn")


def test_event_filters_and_pause(watched: Watched, server: str) -> None:
    page = watched.open()
    plans = "#feed-list .ev[data-type='route.plan']"
    status, _ = _post_json(f"{server}/route/plan", {"task": "qa", "input": "one", "loa": 1})
    assert status == 200
    page.wait_for_selector(plans)
    page.uncheck("#filter-list input[value='route.plan']")
    assert page.locator(plans).count() == 0
    page.check("#filter-list input[value='route.plan']")
    shown = page.locator(plans).count()
    assert shown >= 1

    page.click("#pause-btn")
    _post_json(f"{server}/route/plan", {"task": "qa", "input": "two", "loa": 1})
    page.wait_for_function(
        "() => /paused, [1-9]/.test(document.querySelector('#events-count').textContent)",
        timeout=5000,
    )
    assert page.locator(plans).count() == shown
    page.click("#pause-btn")
    assert page.locator(plans).count() == shown + 1
    assert "for task qa" in page.locator(plans).first.inner_text()


PARSE_SSE = """async () => {
  const { SseParser } = await import("/console/static/stream.js");
  const out = [];
  const parser = new SseParser((m) => out.push(m));
  const chunks = [
    ": connected\\r", "\\nretry: 3000\\r\\n\\r\\nid: 7\\nevent: route.plan\\n",
    "data: {\\"a\\"", ":1}\\n\\n", "data: x\\ndata:y\\n\\n",
  ];
  for (const chunk of chunks) parser.push(chunk);
  return out;
}"""
WORDS = """async (windows) => {
  const { windowWords } = await import("/console/static/format.js");
  return windows.map(windowWords);
}"""


def test_stream_parser_and_window_words(watched: Watched) -> None:
    page = watched.open()
    assert page.evaluate(PARSE_SSE) == [
        {"id": None, "event": "message", "data": None, "retry": 3000},
        {"id": "7", "event": "route.plan", "data": '{"a":1}', "retry": None},
        {"id": None, "event": "message", "data": "x\ny", "retry": None},
    ]
    windows = [
        {"kind": "rolling_3h", "label": "rolling 3h"},
        {"kind": "session_5h", "label": "5h session"},
        {"kind": "daily", "label": "daily 00:00 America/Los_Angeles"},
        {"kind": "daily", "label": "daily 00:00 UTC"},
        {"kind": "every_1m", "label": "every 1m"},
        {"kind": "every_60s", "label": "every 60s"},
        {"kind": "every_1h", "label": "every 1h"},
        {"kind": "header_driven", "label": "header-driven"},
        {"kind": "dynamic", "label": "dynamic"},
    ]
    assert page.evaluate(WORDS, windows) == [
        "rolling 3h",
        "5h session",
        "daily 00:00 PT",
        "daily 00:00 UTC",
        "per-minute",
        "per-minute",
        "hourly",
        "header-driven",
        "dynamic",
    ]


def test_desktop_is_accessible(
    watched: Watched, request: pytest.FixtureRequest, capsys: pytest.CaptureFixture[str]
) -> None:
    page = watched.open()
    page.click("#plan-btn")
    page.wait_for_selector(".cands .cand")
    page.click("#execute-btn")
    page.wait_for_selector(".exec-ok")
    page.locator("#burndown-tabs [role=tab]").first.focus()
    page.keyboard.press("ArrowRight")
    assert page.get_attribute("#tab-h1", "aria-selected") == "true"
    assert page.is_visible("#panel-h1")
    assert not page.is_visible("#panel-m1")
    assert _axe(page) == []
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")  # the events panel is sticky: shoot from the top
    path = ARTIFACTS / "desktop.png"
    page.screenshot(path=str(path), full_page=True)
    _report(request, capsys, path)


def test_works_at_375px(
    watched: Watched, request: pytest.FixtureRequest, capsys: pytest.CaptureFixture[str]
) -> None:
    page = watched.page
    page.set_viewport_size({"width": 375, "height": 812})
    watched.open()
    page.click("#plan-btn")
    page.wait_for_selector(".cands .cand")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    # Every model is still there, as a card.
    assert page.locator("#matrix-body tr").count() == len(
        _get_json(f"{watched.base}/models")["items"]
    )
    assert _axe(page) == []
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / "mobile-375.png"
    page.screenshot(path=str(path), full_page=True)
    _report(request, capsys, path)


def test_reduced_motion_turns_off_bar_animation(browser: Any, server: str) -> None:
    context = browser.new_context(reduced_motion="reduce")
    page = Watched(context.new_page(), server).open()
    duration = page.eval_on_selector(
        "#matrix-body .bar-fill", "el => getComputedStyle(el).transitionDuration"
    )
    context.close()
    assert duration == "0s"


def test_asks_for_a_key_when_the_api_says_401(browser: Any, server: str) -> None:
    """With auth on, every call gets 401 until the bearer key is sent; the key stays in the tab."""
    context = browser.new_context()
    w = Watched(context.new_page(), server)
    w.allowed_statuses = {401}
    page = w.page
    seen: list[str | None] = []

    def guard(route: Any) -> None:
        auth = route.request.headers.get("authorization")
        seen.append(auth)
        if auth == "Bearer sk-console-test":
            route.continue_()
        else:
            route.fulfill(status=401, content_type="application/json", body=UNAUTHORIZED)

    page.route(re.compile(r".*/(models|policy|status/.*|events|route/.*)(\?.*)?$"), guard)
    page.goto(f"{server}/console")
    dialog = page.get_by_role("dialog", name="API key needed")
    dialog.wait_for()
    dialog.get_by_role("textbox", name="API key").fill("sk-console-test")
    page.get_by_role("button", name="Use this key").click()
    page.wait_for_selector("#matrix-body tr")
    page.wait_for_selector("#stream-state[data-state=live]")
    assert not dialog.is_visible()
    assert page.evaluate("sessionStorage.getItem('symphony.console.apiKey')") == "sk-console-test"
    assert page.evaluate("localStorage.length") == 0
    assert "Bearer sk-console-test" in seen
    problems = w.problems()
    context.close()
    assert problems == []
