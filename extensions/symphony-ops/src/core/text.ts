/** Plain-text reports: health, burndown, a plan and the matrix (output channel and LM tools). */

import { clockOf, ms, usd } from "./format";
import { powerWindowText, remainingText, stateText } from "./matrix";
import type { Burndown, Health, Kill, MatrixItem, Plan } from "./types";

function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join("  ").trimEnd()).join("\n");
}

export interface HealthSummary {
  ok: boolean;
  line: string;
  report: string;
}

/** Health as one line for a notification and a report for the output channel. */
export function healthSummary(health: Health, extra: string[] = []): HealthSummary {
  const services = Object.entries(health.services);
  const down = services.filter(([, s]) => !s.ok).map(([name]) => name);
  const ok = down.length === 0 && health.policy_loaded && health.store.ok;
  const line = ok
    ? `Symphony healthy: ${services.length}/${services.length} upstreams up, policy ${health.policy_version}, store ok.`
    : `Symphony degraded: ${[
        down.length ? `${down.length} upstream(s) down (${down.join(", ")})` : "",
        health.policy_loaded ? "" : "no policy loaded",
        health.store.ok ? "" : "store failing",
      ]
        .filter(Boolean)
        .join("; ")}.`;
  const rows = [["UPSTREAM", "OK", "LATENCY", "CHECKED", "DETAIL"]];
  for (const [name, s] of services) {
    rows.push([
      name,
      s.ok ? "yes" : "NO",
      ms(s.latency_ms),
      s.checked_at ? clockOf(s.checked_at) : "not yet",
      s.error ?? (s.status ? `HTTP ${s.status}` : "") + (s.base_url ? ` ${s.base_url}` : ""),
    ]);
  }
  const report = [
    `Health at ${health.generated_at}`,
    `policy loaded: ${health.policy_loaded ? "yes" : "NO"} · version ${health.policy_version ?? "none"} · store ok: ${health.store.ok ? "yes" : "NO"}`,
    "",
    table(rows),
    ...(extra.length ? ["", ...extra] : []),
  ].join("\n");
  return { ok, line, report };
}

/** Burndown: per model, requests · tokens · cost over the last minute, hour and day. */
export function burndownSummary(burndown: Burndown): { line: string; report: string } {
  const buckets = ["m1", "h1", "d1"].filter((b) => burndown.windows[b]);
  const models = new Set<string>();
  for (const b of buckets) for (const m of Object.keys(burndown.windows[b] ?? {})) models.add(m);
  const rows = [["MODEL", ...buckets.map((b) => `${b.toUpperCase()} req/tok/cost`), "LEFT/CAP"]];
  for (const model of models) {
    const cells = buckets.map((b) => {
      const c = burndown.windows[b]?.[model];
      return c ? `${c.requests}/${c.tokens}/${usd(c.cost_usd)}` : "-";
    });
    const d = burndown.windows.d1?.[model] ?? burndown.windows.h1?.[model];
    const left = d && d.cap !== null ? `${d.remaining ?? "?"}/${d.cap}` : "-";
    rows.push([model, ...cells, left]);
  }
  const hour = Object.values(burndown.windows.h1 ?? {});
  const requests = hour.reduce((n, c) => n + c.requests, 0);
  const cost = hour.reduce((n, c) => n + c.cost_usd, 0);
  const active = hour.filter((c) => c.requests > 0).length;
  return {
    line: `Last hour: ${requests} request(s) on ${active} model(s), ${usd(cost)}.`,
    report: [`Burndown at ${burndown.generated_at}`, "", table(rows)].join("\n"),
  };
}

/** A plan as text for a language model or the output channel. */
export function planSummary(plan: Plan, header = ""): string {
  const lines: string[] = header ? [header] : [];
  const p = plan.decision.primary;
  if (p) {
    lines.push(`Chosen model: ${p.model} (${p.provider}, ${p.class}), score ${p.score.toFixed(3)}, est. ${usd(p.est_cost_usd)}, ${ms(p.est_latency_ms)}.`);
    lines.push(...p.why.map((w) => `  - ${w}`));
    if (plan.decision.fallbacks.length) {
      lines.push(`Fallbacks in order: ${plan.decision.fallbacks.map((f) => f.model).join(", ")}.`);
    }
  } else {
    lines.push("No eligible model: every candidate was denied.");
  }
  const denied = plan.candidates.filter((c) => c.denied);
  if (denied.length) {
    lines.push("Denied:");
    for (const c of denied) lines.push(`  - ${c.model}: ${c.deny_reasons.map((r) => `${r.code} (${r.detail})`).join("; ")}`);
  }
  lines.push("Quota state:");
  for (const c of plan.candidates) {
    const w = c.window;
    if (!w) continue;
    const left = w.remaining === null ? "unknown" : `${w.remaining}${w.cap === null ? "" : `/${w.cap}`}`;
    lines.push(`  - ${c.model}: ${w.label}, ${left} left${w.resets_at_local ? `, resets ${clockOf(w.resets_at_local)}` : ""}${w.open ? "" : ", CLOSED"}${w.reserve_hold ? ", reserve hold" : ""}`);
  }
  if (plan.controls) {
    lines.push(`Controls: ${Object.entries(plan.controls).map(([k, v]) => `${k}=${Array.isArray(v) ? `[${v.join(",")}]` : String(v)}`).join(", ")}.`);
  }
  lines.push(`Policy version ${plan.policy_version ?? "?"}${plan.plan_id ? `, plan ${plan.plan_id}` : ""}.`);
  return lines.join("\n");
}

/** The Model Matrix as text (for a language model). */
export function matrixSummary(items: MatrixItem[], nowMs: number, receivedAtMs = nowMs): string {
  return items
    .map((item) => {
      const w = item.window;
      const eta = typeof w.eta_seconds === "number" ? receivedAtMs + w.eta_seconds * 1000 - nowMs : null;
      const reset = eta !== null ? `resets in ${Math.max(0, Math.round(eta / 60))} min (${clockOf(w.resets_at_local)})` : "no fixed reset";
      return `${item.model} [${item.provider}, ${item.class}]: ${w.label}; remaining ${remainingText(w)}; ${reset}; state ${stateText(item, nowMs)}; power window ${powerWindowText(item, nowMs)}.`;
    })
    .join("\n");
}

export function killLabel(kill: Pick<Kill, "scope" | "target">): string {
  return kill.scope === "all" ? "everything" : `${kill.scope} '${kill.target}'`;
}
