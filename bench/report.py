"""Targets from issue 6, judged against a run, and the rich tables a reader sees."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table


def _cell(results: dict[str, Any], mode: str, conc: int, target: str) -> dict[str, Any] | None:
    for row in results.get("cells", []):
        if row["mode"] == mode and row["concurrency"] == conc and row["target"] == target:
            found: dict[str, Any] = row
            return found
    return None


def _row(name: str, target: str, measured: str | None, met: bool | None) -> dict[str, Any]:
    return {"name": name, "target": target, "measured": measured or "n/a", "met": met}


def judge(scenarios: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per target; `met` is None when this run's scale cannot tell."""
    rows: list[dict[str, Any]] = []
    ex = scenarios.get("execute") or {}
    fixed32 = _cell(ex, "non-stream", 32, "symphony-fixed")
    auto32 = _cell(ex, "non-stream", 32, "symphony-auto")
    fixed1 = _cell(ex, "non-stream", 1, "symphony-fixed")
    if fixed32:
        rows.append(
            _row(
                "execute non-stream c=32 throughput",
                ">= 1,000 req/s",
                f"{fixed32['rps']:,.0f} req/s",
                fixed32["rps"] >= 1000,
            )
        )
        ratio = fixed32["ratio_vs_floor"]
        rows.append(
            _row(
                "execute non-stream c=32 vs floor",
                ">= 0.6 x floor",
                None if ratio is None else f"{ratio:.2f} x",
                None if ratio is None else ratio >= 0.6,
            )
        )
    elif ex.get("cells"):
        rows.append(
            _row("execute non-stream c=32", ">= 1,000 req/s and >= 0.6 x floor", None, None)
        )
    if fixed1:
        added = fixed1["added_p50_ms"]
        rows.append(
            _row("execute c=1 added latency p50", "<= 1.5 ms", f"{added:.2f} ms", added <= 1.5)
        )
    ttfb = (ex.get("ttfb") or {}).get("symphony-fixed")
    if ttfb:
        added = ttfb["added_ttfb_p50_ms"]
        rows.append(
            _row("streaming TTFB added p50 (c=1)", "<= 2 ms", f"{added:.2f} ms", added <= 2.0)
        )
    if fixed32 and auto32 and fixed32["rps"]:
        cost = (1.0 - auto32["rps"] / fixed32["rps"]) * 100.0
        rows.append(
            _row(
                "model: auto cost vs fixed (c=32)",
                "<= 15 % throughput",
                f"{cost:.1f} %",
                cost <= 15.0,
            )
        )
    plan = scenarios.get("plan") or {}
    http = plan.get("http")
    if http:
        rows.append(
            _row(
                f"/route/plan vs bare (c={http['concurrency']})",
                ">= 0.5 x bare",
                f"{http['ratio']:.2f} x",
                http["ratio"] >= 0.5,
            )
        )
    planner = {r["models"]: r for r in plan.get("planner", [])}
    if 100 in planner:
        p50 = planner[100]["plan_p50_us"]
        rows.append(_row("planner p50 at 100 models", "<= 500 us", f"{p50:,.0f} us", p50 <= 500))
    if 100 in planner and 1000 in planner:
        growth = planner[1000]["plan_per_model_us"] / planner[100]["plan_per_model_us"]
        rows.append(
            _row(
                "planner linear 100 -> 1,000 models",
                "per-model cost at 1,000 <= 1.5 x at 100",
                f"{growth:.2f} x ({planner[1000]['plan_p50_us']:,.0f} us at 1,000)",
                growth <= 1.5,
            )
        )
    eng = scenarios.get("window_engine") or {}
    if eng.get("models") == 1000:
        rows.append(
            _row(
                f"Model Matrix 1,000 models / {eng['events']:,} events",
                "<= 50 ms p50",
                f"{eng['matrix_p50_ms']:.1f} ms",
                eng["matrix_p50_ms"] <= 50,
            )
        )
    sse = scenarios.get("sse") or {}
    if "latency_p99_ms" in sse:
        full = sse["subscribers"] >= 1000
        rows.append(
            _row(
                f"SSE p99 delivery ({sse['subscribers']} subscribers)",
                "<= 250 ms",
                f"{sse['latency_p99_ms']:.1f} ms",
                sse["latency_p99_ms"] <= 250 if full else None,
            )
        )
        rows.append(
            _row(
                "SSE dropped",
                "0",
                str(sse["dropped"]),
                sse["dropped"] == 0 and sse["connected"] == sse["subscribers"],
            )
        )
    mem = scenarios.get("memory") or {}
    if "points" in mem:
        rows.append(
            _row(
                "RSS under load (peak)",
                "<= 200 MB",
                f"{mem['peak_rss_mb']:.1f} MiB",
                mem["peak_rss_mb"] <= 200,
            )
        )
        a, b = mem["points"][1]["requests"], mem["points"][2]["requests"]
        rows.append(
            _row(
                f"RSS growth {a:,} -> {b:,} requests",
                "<= 10 %",
                f"{mem['growth_pct']:.1f} %",
                mem["growth_pct"] <= 10.0,
            )
        )
    return rows


def _f(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def _met(met: bool | None) -> str:
    return "n/a" if met is None else ("met" if met else "MISSED")


def print_report(console: Console, doc: dict[str, Any]) -> None:
    m = doc["machine"]
    validity = "VALID" if doc["valid"] else "INVALID (" + "; ".join(doc["invalid_reasons"]) + ")"
    console.print(
        f"[bold]Symphony bench ({doc['scale']['name']})[/bold]  {m['timestamp']}  "
        f"run: [bold]{validity}[/bold]\n"
        f"machine: {m['cpu_count']} x {m['cpu_model']}, Python {m['python']}, load average at "
        f"start {m['load_average_at_start']}\nload generator: {m['load_generator']}\n"
        f"auth: {doc['setup']['auth']}\nbest of {doc['scale']['repeats']} run(s) per cell"
    )
    sc = doc["scenarios"]
    for name, printer in (
        ("execute", _execute),
        ("plan", _plan),
        ("window_engine", _engine),
        ("sse", _sse),
        ("memory", _memory),
        ("counters", _counters),
    ):
        data = sc.get(name)
        if data is None:
            continue
        if "error" in data:
            console.print(f"[red]{name}: FAILED: {data['error']}[/red]")
            continue
        printer(console, data, doc)
    table = Table(title="Targets (issue 6)")
    for col in ("target", "goal", "measured", "result"):
        table.add_column(col)
    for row in doc["targets"]:
        table.add_row(row["name"], row["target"], row["measured"], _met(row["met"]))
    console.print(table)


def _execute(console: Console, data: dict[str, Any], doc: dict[str, Any]) -> None:
    valid = "valid" if data["valid"] else "INVALID"
    table = Table(
        title=f"1. Execute overhead ({doc['machine']['load_generator'].split(' ')[0]}; run {valid})"
    )
    for col in (
        "mode",
        "c",
        "target",
        "req/s",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "added p50 ms",
        "x floor",
        "errors",
        "runs req/s",
    ):
        table.add_column(col, justify="left" if col in ("mode", "target") else "right")
    for row in data["cells"]:
        table.add_row(
            row["mode"],
            str(row["concurrency"]),
            row["target"],
            _f(row["rps"], 0),
            _f(row["p50_ms"]),
            _f(row["p95_ms"]),
            _f(row["p99_ms"]),
            _f(row["added_p50_ms"]),
            _f(row["ratio_vs_floor"]),
            str(row["errors"]),
            " / ".join(f"{x:,.0f}" for x in row["runs_rps"]),
        )
    console.print(table)
    check = Table(title="Validity: upstream direct must sustain >= 5 x Symphony's rate")
    for col in ("mode", "c", "direct req/s", "Symphony req/s (best)", "ratio", "ok"):
        check.add_column(col)
    for v in data["validity"]:
        check.add_row(
            v["mode"],
            str(v["concurrency"]),
            _f(v["direct_rps"], 0),
            _f(v["symphony_rps"], 0),
            f"{v['ratio']:.1f} x",
            "yes" if v["ok"] else "NO",
        )
    console.print(check)
    ttfb = Table(title="Streaming time to first byte / first token (c=1, Python probe)")
    for col in (
        "target",
        "TTFB p50 ms",
        "TTFB p99 ms",
        "added TTFB p50",
        "first token p50 ms",
        "added first token p50",
    ):
        ttfb.add_column(col)
    for target, r in data["ttfb"].items():
        ttfb.add_row(
            target,
            _f(r["ttfb_p50_ms"]),
            _f(r["ttfb_p99_ms"]),
            _f(r.get("added_ttfb_p50_ms")),
            _f(r["ttft_p50_ms"]),
            _f(r.get("added_ttft_p50_ms")),
        )
    console.print(ttfb)


def _plan(console: Console, data: dict[str, Any], doc: dict[str, Any]) -> None:
    http = data["http"]
    table = Table(title=f"2a. /route/plan vs bare FastAPI endpoint (c={http['concurrency']})")
    for col in ("endpoint", "req/s", "p50 ms", "p99 ms", "errors"):
        table.add_column(col)
    for name, key in (("POST /route/plan", "route_plan"), ("POST /bare", "bare")):
        r = http[key]
        table.add_row(name, _f(r["rps"], 0), _f(r["p50_ms"]), _f(r["p99_ms"]), str(r["errors"]))
    table.add_row("ratio plan / bare", f"{http['ratio']:.2f}", "", "", "")
    console.print(table)
    planner = Table(
        title="2b. In-process planner (plan() alone; states + plan = the per-request service path)"
    )
    for col in (
        "models",
        "plan p50 us",
        "plan p99 us",
        "per model us",
        "states+plan p50 us",
        "states+plan p99 us",
        "per model us ",
        "iterations",
    ):
        planner.add_column(col, justify="right")
    for r in data["planner"]:
        planner.add_row(
            str(r["models"]),
            _f(r["plan_p50_us"], 1),
            _f(r["plan_p99_us"], 1),
            _f(r["plan_per_model_us"]),
            _f(r["states_plus_plan_p50_us"], 1),
            _f(r["states_plus_plan_p99_us"], 1),
            _f(r["states_plus_plan_per_model_us"]),
            str(r["iterations"]),
        )
    console.print(planner)


def _engine(console: Console, data: dict[str, Any], doc: dict[str, Any]) -> None:
    table = Table(title="3. Window engine: Model Matrix (WindowService.state for every model)")
    for col in (
        "models",
        "ledger events (7 days)",
        "p50 ms",
        "p99 ms",
        "min ms",
        "per model us",
        "repeats",
        "index fill s",
    ):
        table.add_column(col, justify="right")
    table.add_row(
        f"{data['models']:,}",
        f"{data['events']:,}",
        _f(data["matrix_p50_ms"]),
        _f(data["matrix_p99_ms"]),
        _f(data["matrix_min_ms"]),
        _f(data["per_model_us"], 1),
        str(data["repeats"]),
        _f(data["index_fill_s"]),
    )
    console.print(table)


def _sse(console: Console, data: dict[str, Any], doc: dict[str, Any]) -> None:
    table = Table(
        title=f"4. SSE fan-out ({data['rate_per_s']:g} events/s via POST /windows/.../observe)"
    )
    for col in (
        "subscribers",
        "connected",
        "events",
        "deliveries",
        "p50 ms",
        "p99 ms",
        "max ms",
        "dropped",
        "subs with drops",
        "publish errors",
    ):
        table.add_column(col, justify="right")
    table.add_row(
        f"{data['subscribers']:,}",
        f"{data['connected']:,}",
        str(data["published"]),
        f"{data['deliveries']:,} / {data['expected_deliveries']:,}",
        _f(data["latency_p50_ms"]),
        _f(data["latency_p99_ms"]),
        _f(data["latency_max_ms"]),
        str(data["dropped"]),
        str(data["subscribers_with_drops"]),
        str(data["publish_errors"]),
    )
    console.print(table)


def _memory(console: Console, data: dict[str, Any], doc: dict[str, Any]) -> None:
    table = Table(
        title=f"5. Memory: Symphony RSS (fresh process, non-streaming, c={data['concurrency']})"
    )
    for col in ("after requests", "completed", "RSS MiB", "load req/s"):
        table.add_column(col, justify="right")
    for p in data["points"]:
        sent = p.get("sent", p["requests"])
        table.add_row(f"{p['requests']:,}", f"{sent:,}", _f(p["rss_mb"], 1), _f(p.get("rps"), 0))
    table.add_row("peak (VmHWM)", "", _f(data["peak_rss_mb"], 1), "")
    table.add_row("growth", "", f"{data['growth_pct']:.1f} %", "")
    console.print(table)


def _counters(console: Console, data: dict[str, Any], doc: dict[str, Any]) -> None:
    conc = data["concurrency"]
    table = Table(title="Counters seam: reserve (2 claims) then settle, per backend")
    for col in (
        "backend",
        "reserve p50 us",
        "reserve p99 us",
        "reserve+settle p50 us",
        "reserve+settle p99 us",
        f"pairs/s at c={conc}",
    ):
        table.add_column(col, justify="right")
    for name, cells in data["backends"].items():
        if "error" in cells:
            table.add_row(name, cells["error"], "", "", "", "")
            continue
        table.add_row(
            name,
            _f(cells["reserve_p50_us"], 1),
            _f(cells["reserve_p99_us"], 1),
            _f(cells["pair_p50_us"], 1),
            _f(cells["pair_p99_us"], 1),
            f"{cells[f'pairs_per_s_c{conc}']:,}",
        )
    console.print(table)
