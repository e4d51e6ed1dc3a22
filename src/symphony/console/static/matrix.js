// The Model Matrix: one row per model with its window clock, usage bar and state.

import { api, errorText } from "./api.js";
import { $, chip, fill, h, reducedMotion } from "./dom.js";
import { clockTime, denyWords, localParts, localText, ms, num, pct, price, sourceWords, windowWords } from "./format.js";
import { countdown, deadlineOf } from "./ticker.js";

const SOURCE_KIND = { configured: "info", heuristic: "muted", learned: "ok", headers: "ok", errors: "warn" };

/** ok / warn / bad by the fraction left. */
export function level(fraction) {
  if (fraction === null || fraction === undefined) return "unknown";
  if (fraction >= 0.5) return "ok";
  if (fraction >= 0.2) return "warn";
  return "bad";
}

function cell(label, ...children) {
  return h("td", { dataset: { label } }, ...children);
}

function modelCell(item) {
  const badges = [
    chip(item.class === "local" ? "local" : "hosted", item.class === "local" ? "ok" : "info"),
    item.simulated ? chip("simulated", "sim", "Served by the in-process provider simulator") : null,
    item.executable === false ? chip("tracked only", "muted", "No endpoint: tracked for quota, never called") : null,
    item.killed ? chip("killed", "bad") : null,
  ];
  return h("th", { scope: "row", dataset: { label: "Model" } },
    h("span", { class: "model-name" }, nameParts(item.model)),
    h("span", { class: "model-sub" }, item.provider),
    h("span", { class: "badges" }, badges));
}

/** "openai/text-embedding-3-small" may break after its slash, nowhere else (narrow screens). */
function nameParts(name) {
  const slash = name.indexOf("/");
  return slash < 0 ? [name] : [name.slice(0, slash + 1), h("wbr", {}), name.slice(slash + 1)];
}

function windowCell(win) {
  return cell("Window",
    h("span", { class: "win-kind" }, windowWords(win)),
    h("span", { class: "win-unit" }, win.unit ? `counts ${win.unit}` : null),
    h("span", { class: "badges" }, chip(sourceWords(win.source), SOURCE_KIND[win.source] || "muted", `source: ${win.source}`)));
}

function usageCell(item, previous) {
  const win = item.window;
  const unit = win.unit || "requests";
  if (win.cap === null || win.cap === undefined) {
    return cell("Usage",
      h("div", { class: "bar bar-unknown", "aria-hidden": "true" }),
      h("span", { class: "usage-text" }, `${num(win.used)} ${unit} used · cap unknown`));
  }
  const cap = Number(win.cap);
  const used = Number(win.used || 0);
  const fraction = win.remaining_fraction ?? (cap > 0 ? Math.max(0, cap - used) / cap : 0);
  const usedPct = cap > 0 ? Math.min(100, (used / cap) * 100) : 100;
  const fill_ = h("span", { class: "bar-fill" });
  // Start from the last width so the change animates (CSS turns transitions off for reduced motion).
  const start = previous.get(item.model);
  fill_.style.width = `${start === undefined || reducedMotion() ? usedPct : start}%`;
  if (start !== undefined && start !== usedPct && !reducedMotion()) {
    requestAnimationFrame(() => requestAnimationFrame(() => {
      fill_.style.width = `${usedPct}%`;
    }));
  }
  previous.set(item.model, usedPct);
  const text = `${num(used)} of ${num(cap)} ${unit} used, ${pct(fraction)} left`;
  return cell("Usage",
    h("div", {
      class: `bar level-${level(fraction)}`, role: "progressbar", "aria-label": `${item.model} usage`,
      "aria-valuemin": "0", "aria-valuemax": String(cap), "aria-valuenow": String(used), "aria-valuetext": text,
    }, fill_),
    h("span", { class: "usage-text" }, `${num(used)} / ${num(cap)} ${unit}`, h("span", { class: "usage-left" }, ` · ${pct(fraction)} left`)));
}

function resetTime(win) {
  const parts = localParts(win.resets_at_local || win.resets_at);
  const text = parts
    ? [h("span", { class: "nowrap" }, `${parts.day} ${parts.time}`), " ", h("span", { class: "offset" }, `(${parts.offset})`)]
    : localText(win.resets_at);
  return h("time", { class: "reset-at", datetime: win.resets_at || "" }, text);
}

function resetCell(win, receivedAt) {
  if (win.resets_at_local || win.resets_at) {
    const deadline = deadlineOf(win.eta_seconds, win.resets_at, receivedAt);
    return cell("Resets",
      resetTime(win),
      deadline === null ? null : countdown(deadline));
  }
  const kind = String(win.kind || "");
  let why = "no reset scheduled";
  if (kind === "header_driven") why = "from upstream headers";
  else if (kind === "dynamic") why = "no fixed window";
  else if (/^(rolling|session)_/.test(kind)) why = "starts on first use";
  return cell("Resets", h("span", { class: "muted" }, why));
}

function stateCell(item, receivedAt) {
  const win = item.window;
  const parts = [];
  if (item.killed) {
    const reason = typeof item.killed === "object" && item.killed.reason ? `: ${item.killed.reason}` : "";
    parts.push(chip(`killed${reason}`, "bad"));
  }
  if (win.open === false) parts.push(chip(`closed${win.closed_reason ? `: ${denyWords(win.closed_reason)}` : ""}`, "bad"));
  else parts.push(chip("open", "ok"));
  if (win.reserve_hold) parts.push(chip("reserve hold", "warn", "Remaining is inside the reserve: used only if nothing else is eligible"));
  if (win.reserved) parts.push(chip(`${num(win.reserved)} in flight`, "muted", "Units held by calls admitted and not yet answered: they count against the cap"));
  const cool = Date.parse(win.cooldown_until || "");
  if (!Number.isNaN(cool) && cool > Date.now()) {
    parts.push(h("span", { class: "cooldown" }, chip("cooling down", "warn"), " ", countdown(cool, { prefix: "", done: "over" })));
  }
  if (win.burn_rate_per_hour) parts.push(h("span", { class: "small muted" }, `burn ${num(win.burn_rate_per_hour)}/h`));
  return cell("State", h("span", { class: "badges" }, parts));
}

function powerCell(item) {
  const schedule = item.schedule || {};
  const open = schedule.power_window_open || item.window.power_window_open;
  const next = (schedule.next && schedule.next[0]) || item.window.next_power_window;
  const parts = [];
  if (open) parts.push(chip("open now", "ok"));
  if (next) {
    const start = localParts(next.start_local || next.start);
    const end = localParts(next.end_local || next.end);
    if (start) {
      parts.push(h("span", { class: "power-next" }, `${open ? "then " : "next "}${start.day}`));
      parts.push(h("span", { class: "power-time" }, h("span", { class: "nowrap" }, `${start.time}${end ? `–${end.time}` : ""}`), " ",
        h("span", { class: "offset" }, `(${start.offset})`)));
    }
  }
  if (!parts.length) parts.push(h("span", { class: "muted" }, "none"));
  return cell("Power window", parts);
}

export class Matrix {
  constructor({ onItems } = {}) {
    this.body = $("#matrix-body");
    this.note = $("#matrix-note");
    this.items = [];
    this.widths = new Map();
    this.onItems = onItems || (() => {});
    this.inFlight = null;
    this.again = false;
  }

  /** Fetch /models and redraw; calls made while one is in flight coalesce into one more. */
  async refresh() {
    if (this.inFlight) {
      this.again = true;
      return this.inFlight;
    }
    this.inFlight = this.load();
    try {
      await this.inFlight;
    } finally {
      this.inFlight = null;
    }
    if (this.again) {
      this.again = false;
      await this.refresh();
    }
  }

  async load() {
    const result = await api("/models");
    const receivedAt = Date.now();
    if (!result.ok) {
      this.note.textContent = `Could not load models: ${errorText(result)}`;
      return;
    }
    this.items = result.data.items || [];
    this.render(receivedAt);
    const version = result.data.policy_version ? ` · policy ${result.data.policy_version}` : "";
    this.note.textContent = `${this.items.length} models${version} · updated ${clockTime(new Date(receivedAt).toISOString())}`;
    this.onItems(this.items);
  }

  render(receivedAt) {
    const rows = this.items.map((item) => h("tr", { dataset: { model: item.model }, class: item.killed ? "row-killed" : null },
      modelCell(item),
      windowCell(item.window),
      usageCell(item, this.widths),
      resetCell(item.window, receivedAt),
      stateCell(item, receivedAt),
      powerCell(item),
      cell("p95 latency", item.latency_p95_ms === null || item.latency_p95_ms === undefined
        ? h("span", { class: "muted" }, "no data yet") : ms(item.latency_p95_ms)),
      cell("Price", price(item.price))));
    fill(this.body, rows);
  }
}
