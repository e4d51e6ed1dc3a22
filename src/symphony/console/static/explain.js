// Explain Route: the form → /route/plan → decision, candidates, factors, denials, controls;
// then execute the very same request through /route/execute.

import { api, errorText } from "./api.js";
import { $, chip, fill, h } from "./dom.js";
import { FACTOR_WORDS, denyWords, localText, ms, num, sourceWords, usd, windowWords } from "./format.js";

const FACTORS = ["preference", "latency", "cost", "locality", "headroom", "window"];

function numberOrNull(value) {
  if (value === "" || value === null || value === undefined) return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}

/** The request body from the form (only the overrides that were filled in). */
export function bodyFromForm(form) {
  const data = new FormData(form);
  const overrides = {};
  const temperature = numberOrNull(data.get("temperature"));
  if (temperature !== null) overrides.temperature = temperature;
  const tokens = numberOrNull(data.get("tokens_max"));
  if (tokens !== null) overrides.tokens_max = Math.round(tokens);
  const cost = numberOrNull(data.get("cost_ceiling_usd"));
  if (cost !== null) overrides.cost_ceiling_usd = cost;
  const hosted = data.get("allow_hosted");
  if (hosted === "true" || hosted === "false") overrides.allow_hosted = hosted === "true";
  const hints = data.getAll("provider_hints").map(String);
  if (hints.length) overrides.provider_hints = hints;
  const body = {
    task: String(data.get("task") || "").trim(),
    input: String(data.get("input") || ""),
    loa: Math.round(numberOrNull(data.get("loa")) ?? 1),
    tenant: String(data.get("tenant") || "default"),
  };
  if (Object.keys(overrides).length) body.overrides = overrides;
  return body;
}

function denyList(reasons) {
  if (!reasons || !reasons.length) return null;
  return h("ul", { class: "deny-list" }, reasons.map((r) => h("li", {},
    h("strong", {}, denyWords(r.code)),
    r.detail ? `: ${r.detail}` : "",
    " ", h("code", { class: "code" }, r.code))));
}

function factorBars(candidate, scale) {
  const factors = candidate.factors || {};
  return h("div", { class: "factors" },
    FACTORS.map((name) => {
      const value = Number(factors[name] || 0);
      const width = scale > 0 ? Math.max(0, Math.min(100, (value / scale) * 100)) : 0;
      return h("div", { class: "factor" },
        h("span", { class: "factor-name" }, FACTOR_WORDS[name] || name),
        h("span", { class: "factor-track", "aria-hidden": "true" },
          h("span", { class: `factor-fill f-${name}`, style: { width: `${width}%` } })),
        h("span", { class: "factor-value" }, value.toFixed(3)));
    }));
}

function quotaLine(win) {
  if (!win) return null;
  const left = win.cap === null || win.cap === undefined
    ? "cap unknown"
    : `${num(win.remaining)} of ${num(win.cap)} left`;
  return h("p", { class: "quota" },
    h("span", { class: "label" }, "Quota "),
    `${windowWords(win)} · ${left}`,
    win.resets_at_local ? ` · resets ${localText(win.resets_at_local)}` : "",
    " ", chip(sourceWords(win.source), "muted"),
    win.open === false ? chip("window closed", "bad") : null,
    win.reserve_hold ? chip("reserve hold", "warn") : null,
    win.power_window_open ? chip("power window open", "ok") : null);
}

function candidateItem(candidate, role, scale) {
  const status = candidate.denied ? chip("denied", "bad") : role === "primary" ? chip("chosen", "ok") : role ? chip(role, "info") : chip("eligible", "muted");
  return h("li", { class: `cand${candidate.denied ? " cand-denied" : ""}${role === "primary" ? " cand-primary" : ""}`, dataset: { model: candidate.model } },
    h("div", { class: "cand-head" },
      h("h4", { class: "cand-name" }, candidate.model),
      status,
      h("span", { class: "cand-score" }, `score ${Number(candidate.score || 0).toFixed(3)}`)),
    denyList(candidate.deny_reasons),
    factorBars(candidate, scale),
    quotaLine(candidate.window),
    h("p", { class: "est small" },
      `est. ${num(candidate.est_tokens)} tokens · ${candidate.est_cost_usd === null ? "cost unknown" : usd(candidate.est_cost_usd)} · ${ms(candidate.est_latency_ms)}`,
      candidate.loa_ok === false ? " · LOA not allowed" : ""),
    candidate.why && candidate.why.length
      ? h("details", { class: "why" }, h("summary", {}, "Why"), h("ul", {}, candidate.why.map((line) => h("li", {}, line))))
      : null);
}

function controlsList(controls, overrides) {
  const entries = Object.entries(controls || {});
  if (!entries.length) return null;
  const show = (v) => (v === null || v === undefined ? "policy default" : Array.isArray(v) ? (v.length ? v.join(", ") : "none") : String(v));
  const given = new Set(Object.keys(overrides || {}));
  return h("dl", { class: "controls" }, entries.map(([key, value]) => h("div", { class: given.has(key) ? "overridden" : null },
    h("dt", {}, key.replaceAll("_", " ")),
    h("dd", {}, show(value), given.has(key) ? h("span", { class: "ovr" }, " (override)") : null))));
}

/** Render a plan (200) or the 409 explanation into `out`. */
export function renderPlan(out, data, status, sent) {
  const candidates = data.candidates || [];
  const scale = Math.max(0.0001, ...candidates.flatMap((c) => FACTORS.map((f) => Number((c.factors || {})[f] || 0))));
  const primary = data.decision && data.decision.primary;
  const fallbacks = (data.decision && data.decision.fallbacks) || [];
  const role = new Map(fallbacks.map((c, i) => [c.model, `fallback ${i + 1}`]));
  if (primary) role.set(primary.model, "primary");
  const noneEligible = status === 409 || !primary;
  const deniedCount = candidates.filter((c) => c.denied).length;
  const policy = data.policy || {};
  const head = noneEligible
    ? h("div", { class: "decision decision-none" },
      h("h3", {}, "No eligible model"),
      h("p", {}, (data.error && data.error.message) || "Every candidate was denied."),
      h("p", { class: "small" }, `${deniedCount} of ${candidates.length} candidates denied; the reasons are listed with each.`))
    : h("div", { class: "decision decision-ok" },
      h("h3", {}, "Decision"),
      h("p", { class: "decision-main" }, "Runs on ", h("strong", {}, primary.model), ` (score ${Number(primary.score).toFixed(3)})`),
      h("p", {}, fallbacks.length ? `Fallbacks in order: ${fallbacks.map((c) => c.model).join(" → ")}` : "No fallbacks."),
      h("p", { class: "small" }, `${deniedCount} denied of ${candidates.length} candidates`));
  fill(out,
    head,
    h("p", { class: "small muted plan-ids" },
      data.plan_id ? `plan ${data.plan_id} · ` : "",
      `policy ${data.policy_version || "?"} · tenant ${policy.tenant || sent.tenant} · tenant LOA max ${policy.loa_max ?? "?"}`),
    h("h3", { class: "sub-h" }, "Applied controls"),
    controlsList(data.controls, sent.overrides) || h("p", { class: "muted" }, "none reported"),
    h("h3", { class: "sub-h" }, `Candidates (${candidates.length})`),
    h("p", { class: "small muted" }, "Bars show each factor's contribution to the score, on one scale for every candidate."),
    h("ol", { class: "cands" }, candidates.map((c) => candidateItem(c, role.get(c.model), scale))));
}

function attemptsTable(attempts) {
  if (!attempts || !attempts.length) return h("p", { class: "muted" }, "No attempts were made.");
  return h("div", { class: "table-scroll small-table", role: "region", "aria-label": "Attempts", tabindex: "0" },
    h("table", { class: "attempts" },
      h("thead", {}, h("tr", {}, ["#", "Model", "Outcome", "Status", "Latency", "Reason"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, attempts.map((a, i) => h("tr", {},
        h("td", {}, String(i + 1)), h("td", {}, a.model),
        h("td", {}, chip(a.outcome || "?", a.outcome === "ok" ? "ok" : "bad")),
        h("td", {}, a.status ?? "–"), h("td", {}, ms(a.latency_ms)), h("td", {}, a.reason || a.kind || "–"))))));
}

/** Render an execute result (200), a 409 / 502 / other failure into `out`. */
export function renderExecution(out, result) {
  const data = result.data || {};
  if (result.ok) {
    const audit = data.audit || {};
    const usage = audit.model_usage || {};
    fill(out, h("div", { class: "exec exec-ok" },
      h("h3", {}, "Executed"),
      h("dl", { class: "kv" },
        h("div", {}, h("dt", {}, "Model"), h("dd", {}, (data.decision && data.decision.model) || audit.model || "?")),
        h("div", {}, h("dt", {}, "Audit id"), h("dd", {}, h("code", { class: "code audit-id" }, data.audit_id || audit.audit_id || "?"))),
        h("div", {}, h("dt", {}, "Latency"), h("dd", {}, ms(data.latency_ms))),
        h("div", {}, h("dt", {}, "Cost"), h("dd", {}, usd(audit.cost_usd, 6))),
        h("div", {}, h("dt", {}, "Tokens"), h("dd", {}, `${num(usage.prompt_tokens)} in / ${num(usage.completion_tokens)} out`)),
        audit.stopped_reason ? h("div", {}, h("dt", {}, "Stopped"), h("dd", {}, audit.stopped_reason)) : null),
      h("h4", {}, "Answer"),
      h("pre", { class: "answer" }, data.answer ?? ""),
      h("h4", {}, "Attempts"),
      attemptsTable(audit.attempts)));
    return;
  }
  const audit = (data.error && data.error.detail && data.error.detail.audit) || data.audit || {};
  fill(out, h("div", { class: "exec exec-failed" },
    h("h3", {}, result.status === 409 ? "Not executed: no eligible model" : `Execution failed (${result.status || "no answer"})`),
    h("p", {}, errorText(result)),
    audit.audit_id ? h("p", {}, "Audit id ", h("code", { class: "code audit-id" }, audit.audit_id)) : null,
    audit.attempts ? attemptsTable(audit.attempts) : null));
}

function validationText(result) {
  const fields = result.data && result.data.error && result.data.error.fields;
  if (fields && fields.length) return fields.map((f) => `${f.path}: ${f.message}`).join("; ");
  return errorText(result);
}

export class Explain {
  constructor() {
    this.form = $("#plan-form");
    this.out = $("#plan-out");
    this.execOut = $("#exec-out");
    this.status = $("#plan-status");
    this.execButton = $("#execute-btn");
    this.lastBody = null;
    this.hints = "";
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.plan();
    });
    this.execButton.addEventListener("click", () => this.execute());
  }

  /** Keep the task list and provider hints in step with the Model Matrix. */
  setModels(items) {
    const tasks = [...new Set(items.flatMap((m) => m.allow_tasks || []))].sort();
    fill($("#task-list"), tasks.map((t) => h("option", { value: t })));
    const providers = [...new Set(items.map((m) => m.provider))].sort();
    const key = providers.join(",");
    if (key === this.hints) return;
    this.hints = key;
    const list = $("#hint-list");
    const checked = new Set(Array.from(list.querySelectorAll("input:checked"), (i) => i.value));
    fill(list, providers.map((p) => h("label", { class: "check" },
      h("input", { type: "checkbox", name: "provider_hints", value: p, checked: checked.has(p) }), ` ${p}`)));
  }

  setTenants(tenants) {
    const select = $("#f-tenant");
    const current = select.value;
    fill(select, tenants.map((t) => h("option", { value: t, selected: t === current }, t)));
  }

  async plan() {
    const body = bodyFromForm(this.form);
    if (!this.form.checkValidity() || !body.task) {
      this.status.textContent = "Check the form: a task (letters, digits, _ . : -) and an LOA from 0 to 10 are needed.";
      this.form.reportValidity();
      return;
    }
    this.status.textContent = "Explaining…";
    const result = await api("/route/plan", { method: "POST", body });
    fill(this.execOut);
    if (result.status === 200 || result.status === 409) {
      this.lastBody = body;
      renderPlan(this.out, result.data || {}, result.status, body);
      const primary = result.data && result.data.decision && result.data.decision.primary;
      this.status.textContent = result.status === 409
        ? "No eligible model: every candidate was denied (reasons below)."
        : `Route explained: ${primary ? primary.model : "?"} would run this request.`;
      this.execButton.disabled = result.status !== 200;
      return;
    }
    this.lastBody = null;
    this.execButton.disabled = true;
    fill(this.out);
    this.status.textContent = `Could not explain (${result.status || "no answer"}): ${validationText(result)}`;
  }

  async execute() {
    if (!this.lastBody) return;
    this.execButton.disabled = true;
    this.status.textContent = "Executing…";
    const result = await api("/route/execute", { method: "POST", body: this.lastBody });
    renderExecution(this.execOut, result);
    this.status.textContent = result.ok
      ? `Executed on ${(result.data.decision && result.data.decision.model) || "?"}; audit id ${result.data.audit_id}.`
      : `Execution failed: ${errorText(result)}`;
    this.execButton.disabled = false;
  }
}
