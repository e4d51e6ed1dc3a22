// SLOs & incidents: each SLO's status, burn rates and budget (GET /slo), the integrations
// (from health.json: no secrets), incidents with their ticket links (GET /incidents), a
// Resolve button (operator), and in demo mode what the fakes received.

import { api, errorText } from "./api.js";
import { $, chip, fill, h } from "./dom.js";
import { clockTime, ms, pct } from "./format.js";

const STATUS_KIND = { ok: "ok", ticket: "warn", page: "bad" };
const SEVERITY_KIND = { p1: "bad", p2: "warn", p3: "info" };

const UNIT_S = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/** "30s", "5m", "1h30m" → seconds (to list windows shortest first). */
function windowSeconds(label) {
  let total = 0;
  for (const [, n, unit] of String(label).matchAll(/(\d+)([smhdw])/g)) total += Number(n) * UNIT_S[unit];
  return total;
}

function burnText(rate) {
  return rate === null || rate === undefined ? "–" : `${Number(rate).toFixed(1)}×`;
}

function budgetBar(left) {
  const fraction = Math.max(0, Math.min(1, Number(left)));
  const level = fraction < 0.25 ? "bad" : fraction < 0.5 ? "warn" : "ok";
  return h("span", { class: "budget" },
    h("span", { class: `bar level-${level}`, role: "img", "aria-label": `error budget left ${pct(left)}` },
      h("span", { class: "bar-fill", style: { width: `${fraction * 100}%` } })),
    h("span", { class: "budget-text" }, pct(left)));
}

function sloRow(slo) {
  const target = slo.kind === "latency" ? `≤ ${ms(slo.threshold_ms)} for ${pct(slo.objective)}` : `${(slo.objective * 100).toFixed(1)}% ok`;
  const rates = Object.entries(slo.burn_rates || {}).sort(([a], [b]) => windowSeconds(a) - windowSeconds(b));
  return h("tr", { dataset: { slo: slo.name } },
    h("th", { scope: "row" }, h("span", { class: "model-name" }, slo.name),
      h("span", { class: "model-sub" }, `${slo.kind} · ${target} · ${slo.period}`)),
    h("td", { "data-label": "Status" }, chip(slo.status, STATUS_KIND[slo.status] || "muted")),
    h("td", { "data-label": "Burn rates" }, rates.length
      ? h("span", { class: "burns" }, rates.map(([w, r]) => h("span", { class: "burn" }, `${w} ${burnText(r)}`)))
      : h("span", { class: "muted" }, "no traffic yet")),
    h("td", { "data-label": "Budget left" }, budgetBar(slo.error_budget_remaining)),
    h("td", { "data-label": "p95" }, ms(slo.p95_ms)),
    h("td", { "data-label": "Events" }, `${slo.events.good} good / ${slo.events.bad} bad`));
}

function ticketLinks(tickets) {
  if (!tickets.length) return h("span", { class: "muted" }, "no tickets yet");
  return h("span", { class: "tickets" }, tickets.map((t) =>
    h("a", { href: t.url, target: "_blank", rel: "noopener noreferrer", class: `ticket ticket-${t.state}` },
      `${t.system === "github" ? "GitHub" : t.system === "jira" ? "Jira" : t.system} ${t.system === "github" ? "#" : ""}${t.key}`,
      t.state === "closed" ? " (closed)" : "")));
}

export class Incidents {
  constructor() {
    this.note = $("#incidents-note");
    this.sloBody = $("#slo-rows");
    this.list = $("#incident-list");
    this.integrations = $("#integration-chips");
    this.fakes = $("#fakes-note");
  }

  async refresh() {
    const [slo, incidents, health] = await Promise.all([
      api("/slo"), api("/incidents?limit=20"), api("/status/health.json"),
    ]);
    if (!slo.ok || !incidents.ok) {
      this.note.textContent = `Could not load SLOs or incidents: ${errorText(slo.ok ? incidents : slo)}`;
      return;
    }
    fill(this.sloBody, slo.data.slos.length ? slo.data.slos.map(sloRow)
      : h("tr", {}, h("td", { colspan: "6", class: "muted" }, "The policy declares no SLOs (policy.slos[]).")));
    this.showIncidents(incidents.data);
    const states = health.ok ? health.data.integrations || [] : [];
    this.showIntegrations(states);
    const evaluator = slo.data.evaluator ? "" : " · evaluator off (SYMPHONY_INCIDENTS_ENABLED=false)";
    this.note.textContent = `${incidents.data.open} open · updated ${clockTime(new Date().toISOString())}${evaluator}`;
    if (states.some((s) => s.fake)) this.refreshFakes();
    else this.fakes.hidden = true;
  }

  showIncidents(data) {
    if (!data.incidents.length) {
      fill(this.list, h("li", { class: "muted" }, "No incidents. An SLO breach, an Alertmanager alert or POST /incidents opens one."));
      return;
    }
    fill(this.list, data.incidents.map((i) => h("li", { class: `incident incident-${i.status}`, dataset: { id: i.id } },
      h("div", { class: "incident-head" },
        chip(i.severity, SEVERITY_KIND[i.severity] || "muted"),
        chip(i.status, i.status === "open" ? "bad" : "ok"),
        h("strong", { class: "incident-title" }, i.title)),
      h("div", { class: "incident-meta small muted" },
        `${i.source}${i.slo ? ` · ${i.slo}` : ""} · opened ${clockTime(i.opened_at)}`,
        i.resolved_at ? ` · resolved ${clockTime(i.resolved_at)}` : "",
        i.episode > 1 ? ` · episode ${i.episode}` : "",
        ` · ${i.id}`),
      h("div", { class: "incident-tickets" }, ticketLinks(i.tickets),
        i.status === "open" ? h("button", { type: "button", class: "btn small", onclick: (e) => this.resolve(i.id, e.target) }, "Resolve") : null))));
  }

  showIntegrations(states) {
    fill(this.integrations, states.map((s) => chip(
      `${s.vendor} ${s.enabled ? (s.fake ? "on (demo fake)" : "on") : "off"}`,
      s.enabled ? (s.fake ? "sim" : "ok") : "muted",
      s.enabled ? (s.target || "") : s.why_off)));
  }

  async refreshFakes() {
    const result = await api("/integrations/fakes");
    if (!result.ok) {
      this.fakes.hidden = true;
      return;
    }
    const d = result.data;
    this.fakes.hidden = false;
    this.fakes.textContent = `Demo fakes received: ${d.github.length} GitHub issues, ${d.jira.length} Jira issues, ` +
      `${d.slack.length} Slack messages, ${d.pagerduty.length} PagerDuty events.`;
  }

  async resolve(id, button) {
    button.disabled = true;
    const result = await api(`/incidents/${encodeURIComponent(id)}/resolve`, { method: "POST", body: { note: "resolved from the console" } });
    if (!result.ok) {
      button.disabled = false;
      this.note.textContent = `Could not resolve ${id}: ${errorText(result)}`;
      return;
    }
    await this.refresh();
  }
}
