/**
 * The Explain Route page: the chosen model, every candidate with its factors and deny
 * reasons, the applied overrides and controls, and each candidate's quota state.
 * Pure HTML with a strict CSP: no remote loads, inline style and script only with the nonce,
 * no inline event handlers or style attributes (bars are SVG).
 */

import { randomBytes } from "node:crypto";
import { clockOf, ms, usd } from "./format";
import type { Candidate, Plan, PlanBody } from "./types";

export interface ExplainOptions {
  nonce: string;
  /** `webview.cspSource` in VS Code. */
  cspSource: string;
  request: PlanBody;
  /** A line above the decision, e.g. which execution this explains. */
  note?: string;
  /** Set when the service answered 409: nothing is eligible. */
  noEligible?: string;
  /** Extra CSS (the screenshot preview adds VS Code's theme variables). */
  previewCss?: string;
}

export function makeNonce(): string {
  return randomBytes(18).toString("base64").replace(/[^A-Za-z0-9]/g, "");
}

export function esc(value: unknown): string {
  return String(value ?? "")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

export function contentSecurityPolicy(nonce: string, cspSource: string): string {
  return [
    "default-src 'none'",
    `img-src ${cspSource} data:`,
    `style-src ${cspSource} 'nonce-${nonce}'`,
    `script-src 'nonce-${nonce}'`,
    `font-src ${cspSource}`,
    "base-uri 'none'",
    "form-action 'none'",
  ].join("; ");
}

const FACTORS = ["preference", "latency", "cost", "locality", "headroom", "window"] as const;

function factorBar(c: Candidate, maxScore: number): string {
  const width = 160;
  let x = 0;
  const rects = FACTORS.map((f) => {
    const v = Math.max(0, c.factors[f] ?? 0);
    const w = maxScore > 0 ? (v / maxScore) * width : 0;
    const rect = `<rect class="f-${f}" x="${x.toFixed(1)}" y="0" width="${w.toFixed(1)}" height="10"><title>${f} ${v.toFixed(3)}</title></rect>`;
    x += w;
    return rect;
  }).join("");
  return `<svg class="bar" width="${width}" height="10" role="img" aria-label="score ${c.score.toFixed(3)}">${rects}</svg>`;
}

function windowCell(c: Candidate): string {
  const w = c.window;
  if (!w) return "—";
  const left = w.remaining === null ? "?" : `${w.remaining}${w.cap === null ? "" : `/${w.cap}`}`;
  const flags = [
    w.open ? "" : "closed",
    w.reserve_hold ? "reserve hold" : "",
    w.power_window_open ? "power window" : "",
  ].filter(Boolean);
  return `${esc(w.label)} · ${esc(left)}${flags.length ? ` · ${esc(flags.join(", "))}` : ""}`;
}

function resetCell(c: Candidate): string {
  const w = c.window;
  if (!w) return "—";
  return w.resets_at_local ? esc(clockOf(w.resets_at_local)) : w.resets_at ? esc(w.resets_at) : "—";
}

function candidateRow(c: Candidate, rank: number, maxScore: number, role: string): string {
  const reasons = c.deny_reasons.length
    ? `<ul class="deny">${c.deny_reasons.map((r) => `<li><code>${esc(r.code)}</code> ${esc(r.detail)}</li>`).join("")}</ul>`
    : "";
  const why = c.why.length ? `<ul class="why">${c.why.map((w) => `<li>${esc(w)}</li>`).join("")}</ul>` : "";
  const factors = FACTORS.map((f) => `<span class="chip f-${f}">${f} ${(c.factors[f] ?? 0).toFixed(3)}</span>`).join(" ");
  const rowClass = c.denied ? "denied" : role === "primary" ? "primary" : "";
  return `<tr class="${rowClass}">
  <td class="rank">${rank}</td>
  <td><strong>${esc(c.model)}</strong><div class="muted">${esc(c.provider)} · ${esc(c.class)}${role ? ` · ${esc(role)}` : ""}</div></td>
  <td class="num">${c.score.toFixed(3)}<div>${factorBar(c, maxScore)}</div></td>
  <td>${windowCell(c)}<div class="muted">resets ${resetCell(c)} · ${esc(c.window?.source ?? "")}</div></td>
  <td class="num">${esc(usd(c.est_cost_usd))}<div class="muted">${esc(ms(c.est_latency_ms))} · ${esc(c.est_tokens ?? "?")} tok</div></td>
  <td>${c.denied ? `<span class="badge bad">denied</span>${reasons}` : `<span class="badge ok">eligible</span>`}
    <details><summary>why</summary>${why}<div class="factors">${factors}</div>${c.policy_hits.length ? `<div class="muted">policy: ${esc(c.policy_hits.join(", "))}</div>` : ""}</details></td>
</tr>`;
}

/** Override names (request) that the plan's controls report under another name. */
const OVERRIDE_TO_CONTROL: Record<string, string> = {
  streaming: "stream",
  cost_ceiling_usd: "max_cost_usd",
};

function controlsTable(plan: Plan, request: PlanBody): string {
  const controls = plan.controls ?? {};
  const sent = new Set(Object.keys(request.overrides ?? {}).map((k) => OVERRIDE_TO_CONTROL[k] ?? k));
  const keys = Object.keys(controls);
  if (!keys.length) return `<p class="muted">The service sent no controls.</p>`;
  const rows = keys
    .map((k) => {
      const from = sent.has(k)
        ? `<span class="badge you">your override</span>`
        : k === "loa" && request.loa !== undefined
          ? `<span class="badge you">your request</span>`
          : `<span class="muted">policy</span>`;
      const value = controls[k];
      const shown = Array.isArray(value) ? (value.length ? value.join(", ") : "—") : value === null ? "—" : String(value);
      return `<tr><td><code>${esc(k)}</code></td><td>${esc(shown)}</td><td>${from}</td></tr>`;
    })
    .join("");
  return `<table class="controls"><thead><tr><th>control</th><th>applied value</th><th>from</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function decisionCard(plan: Plan, noEligible?: string): string {
  const p = plan.decision.primary;
  if (!p) {
    return `<section class="card bad-card"><h2>No eligible model</h2><p>${esc(noEligible ?? "Every candidate was denied; the reasons are below.")}</p></section>`;
  }
  const fallbacks = plan.decision.fallbacks.map((f) => `<li>${esc(f.model)} <span class="muted">(${f.score.toFixed(3)})</span></li>`).join("");
  return `<section class="card">
  <div class="eyebrow">Chosen model</div>
  <h2>${esc(p.model)}</h2>
  <div class="muted">${esc(p.provider)} · ${esc(p.class)} · score ${p.score.toFixed(3)} · est. ${esc(usd(p.est_cost_usd))} · ${esc(ms(p.est_latency_ms))} · ${esc(p.est_tokens ?? "?")} tokens</div>
  <ul class="why">${p.why.map((w) => `<li>${esc(w)}</li>`).join("")}</ul>
  <div class="muted">Window: ${windowCell(p)} · resets ${resetCell(p)}</div>
  ${fallbacks ? `<div class="eyebrow">Fallbacks, in order</div><ol class="fallbacks">${fallbacks}</ol>` : ""}
</section>`;
}

export function renderExplainHtml(plan: Plan, options: ExplainOptions): string {
  const { nonce, cspSource, request } = options;
  const maxScore = Math.max(0.0001, ...plan.candidates.map((c) => c.score));
  const primary = plan.decision.primary?.model;
  const fallbackNames = new Set(plan.decision.fallbacks.map((f) => f.model));
  const rows = plan.candidates
    .map((c, i) => candidateRow(c, i + 1, maxScore, c.model === primary ? "primary" : fallbackNames.has(c.model) ? "fallback" : ""))
    .join("\n");
  const denied = plan.candidates.filter((c) => c.denied).length;
  const meta = [
    `task <code>${esc(request.task)}</code>`,
    `LOA ${esc(request.loa ?? 1)}${plan.policy ? ` (tenant max ${esc(plan.policy.loa_max)})` : ""}`,
    `tenant ${esc(request.tenant ?? "default")}`,
    `policy ${esc(plan.policy_version ?? "?")}`,
    plan.plan_id ? `plan <code>${esc(plan.plan_id)}</code>` : "",
  ].filter(Boolean);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${esc(contentSecurityPolicy(nonce, cspSource))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>Explain Route</title>
<style nonce="${esc(nonce)}">${STYLE}${options.previewCss ?? ""}</style>
</head>
<body>
<header>
  <h1>Explain Route</h1>
  <div class="meta">${meta.join(" · ")}</div>
  <div class="actions">
    <button id="replan" type="button">Re-plan</button>
    <button id="copy" type="button" data-plan="${esc(plan.plan_id ?? "")}">Copy plan id</button>
    <button id="json" type="button">Open as JSON</button>
  </div>
</header>
${options.note ? `<p class="note">${esc(options.note)}</p>` : ""}
${decisionCard(plan, options.noEligible)}
<section>
  <h3>Applied overrides and controls</h3>
  ${controlsTable(plan, request)}
</section>
<section>
  <h3>Candidates <span class="muted">(${plan.candidates.length}, ${denied} denied)</span></h3>
  <div class="legend">${FACTORS.map((f) => `<span class="chip f-${f}">${f}</span>`).join(" ")}</div>
  <table class="cands">
    <thead><tr><th>#</th><th>model</th><th>score</th><th>quota state</th><th>estimate</th><th>verdict</th></tr></thead>
    <tbody>
${rows}
    </tbody>
  </table>
</section>
<script nonce="${esc(nonce)}">${SCRIPT}</script>
</body>
</html>`;
}

const SCRIPT = `(function () {
  var api = typeof acquireVsCodeApi === "function" ? acquireVsCodeApi() : { postMessage: function () {} };
  function on(id, message) {
    var el = document.getElementById(id);
    if (el) el.addEventListener("click", function () { api.postMessage(message(el)); });
  }
  on("replan", function () { return { type: "replan" }; });
  on("copy", function (el) { return { type: "copy", text: el.getAttribute("data-plan") || "" }; });
  on("json", function () { return { type: "json" }; });
})();`;

const STYLE = `
:root { color-scheme: light dark; }
body { font-family: var(--vscode-font-family, system-ui, sans-serif); font-size: var(--vscode-font-size, 13px);
  color: var(--vscode-foreground, #ccc); background: var(--vscode-editor-background, #1e1e1e); margin: 0; padding: 16px 20px; line-height: 1.45; }
h1 { font-size: 1.5em; margin: 0 0 4px; font-weight: 600; }
h2 { font-size: 1.35em; margin: 2px 0 4px; }
h3 { font-size: 1.05em; margin: 20px 0 8px; text-transform: uppercase; letter-spacing: .04em; opacity: .85; }
code { font-family: var(--vscode-editor-font-family, monospace); font-size: .95em; }
.meta, .muted { color: var(--vscode-descriptionForeground, #9d9d9d); }
.muted { font-size: .92em; }
header { display: flex; flex-wrap: wrap; align-items: baseline; gap: 4px 16px; border-bottom: 1px solid var(--vscode-panel-border, #3c3c3c); padding-bottom: 10px; }
.actions { margin-left: auto; display: flex; gap: 6px; }
button { background: var(--vscode-button-secondaryBackground, #3a3d41); color: var(--vscode-button-secondaryForeground, #fff);
  border: 1px solid var(--vscode-button-border, transparent); padding: 4px 10px; border-radius: 2px; cursor: pointer; font: inherit; }
button:hover { background: var(--vscode-button-secondaryHoverBackground, #45494e); }
button:focus-visible { outline: 1px solid var(--vscode-focusBorder, #007fd4); outline-offset: 2px; }
.note { border-left: 3px solid var(--vscode-textLink-foreground, #3794ff); padding: 4px 10px; }
.card { margin: 14px 0; padding: 12px 16px; border: 1px solid var(--vscode-panel-border, #3c3c3c); border-radius: 4px;
  background: var(--vscode-sideBar-background, #252526); }
.bad-card { border-color: var(--vscode-errorForeground, #f48771); }
.eyebrow { font-size: .8em; text-transform: uppercase; letter-spacing: .06em; color: var(--vscode-descriptionForeground, #9d9d9d); margin-top: 8px; }
ul.why, ul.deny { margin: 6px 0; padding-left: 18px; }
ol.fallbacks { margin: 4px 0; padding-left: 22px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: 6px 8px; border-bottom: 1px solid var(--vscode-panel-border, #3c3c3c); }
th { font-weight: 600; color: var(--vscode-descriptionForeground, #9d9d9d); font-size: .9em; }
td.num { white-space: nowrap; font-variant-numeric: tabular-nums; }
td.rank { width: 1.5em; color: var(--vscode-descriptionForeground, #9d9d9d); }
tr.primary td { background: var(--vscode-list-inactiveSelectionBackground, #37373d); }
tr.denied { opacity: .78; }
.badge { display: inline-block; padding: 0 6px; border-radius: 8px; font-size: .85em; }
.badge.ok { background: var(--vscode-testing-iconPassed, #73c991); color: #111; }
.badge.bad { background: var(--vscode-errorForeground, #f48771); color: #111; }
.badge.you { background: var(--vscode-textLink-foreground, #3794ff); color: #111; }
details summary { cursor: pointer; color: var(--vscode-textLink-foreground, #3794ff); font-size: .9em; margin-top: 4px; }
.chip { display: inline-block; font-size: .8em; padding: 0 5px; border-radius: 3px; margin: 1px 0; color: #111; }
.legend { margin-bottom: 6px; }
svg.bar { display: block; margin-top: 3px; background: var(--vscode-input-background, #3c3c3c); border-radius: 2px; }
.f-preference { fill: #c586c0; background: #c586c0; }
.f-latency { fill: #4fc1ff; background: #4fc1ff; }
.f-cost { fill: #89d185; background: #89d185; }
.f-locality { fill: #dcdcaa; background: #dcdcaa; }
.f-headroom { fill: #ce9178; background: #ce9178; }
.f-window { fill: #9cdcfe; background: #9cdcfe; }
`;
