// Live events: one readable line per event, type filters, pause/resume, a capped list.

import { $, chip, fill, h } from "./dom.js";
import { clockTime, duration, ms, num, usd } from "./format.js";

export const FEED_TYPES = [
  "route.execute", "route.plan", "window.update", "rate.limit", "budget.update",
  "policy.update", "policy.rejected", "error", "control.kill", "control.unkill",
];
const OTHER = "other";
const CAP = 200;
const KIND = {
  "route.execute": "ok", "route.plan": "info", "window.update": "info", "rate.limit": "warn",
  "budget.update": "warn", "policy.update": "ok", "policy.rejected": "bad", error: "bad",
  "control.kill": "bad", "control.unkill": "ok",
};

function list(values) {
  return values && values.length ? values.join(", ") : "none";
}

function scalars(data) {
  return Object.entries(data)
    .filter(([k, v]) => k !== "type" && k !== "at" && v !== null && typeof v !== "object")
    .slice(0, 6)
    .map(([k, v]) => `${k}=${v}`)
    .join(" ");
}

/** A one-line summary of an event for people. */
export function summarize(type, d) {
  switch (type) {
    case "route.execute": {
      const how = d.stopped_reason ? `stopped (${d.stopped_reason})` : d.fallback ? "answered after fallback" : "answered";
      const attempts = d.attempts === 1 ? "1 attempt" : `${num(d.attempts)} attempts`;
      return `${d.model} ${how} for ${d.tenant} in ${ms(d.latency_ms)}, ${usd(d.cost_usd, 6)}, ${attempts} · ${d.audit_id}`;
    }
    case "route.plan": {
      const denied = d.denied ? Object.keys(d.denied).length : 0;
      return `plan for task ${d.task} (LOA ${d.loa}, ${d.tenant}) → ${d.model}; fallbacks ${list(d.fallbacks)}; ${denied} denied`;
    }
    case "window.update": {
      if (d.cooldown_until) return `${d.model} cooling down until ${clockTime(d.cooldown_until)} after ${d.kind || "errors"}${d.status ? ` (${d.status})` : ""}`;
      const win = d.window || d;
      const left = win.cap !== null && win.cap !== undefined ? `${num(win.remaining)} of ${num(win.cap)} left` : win.remaining !== null && win.remaining !== undefined ? `${num(win.remaining)} left` : "capacity updated";
      const reset = win.resets_at ? `, resets ${clockTime(win.resets_at)}` : "";
      return `${d.model} window from ${d.source || "update"}: ${left}${reset}`;
    }
    case "rate.limit": {
      const after = typeof d.retry_after_s === "number" ? `, retry after ${duration(d.retry_after_s)}` : "";
      return `${d.model} rate-limited by ${d.scope || "upstream"}${d.status ? ` (${d.status})` : ""}${after}`;
    }
    case "policy.update":
      return `policy ${d.version} applied (${d.trigger || "reload"})`;
    case "policy.rejected":
      return `policy change rejected, kept ${d.kept_version}: ${(d.errors && d.errors[0]) || "invalid"}${d.errors && d.errors.length > 1 ? ` (+${d.errors.length - 1} more)` : ""}`;
    case "error":
      return `error ${d.code || "?"} on ${d.route || "?"}${d.attempts ? ` after ${d.attempts} attempts` : ""}${d.audit_id ? ` · ${d.audit_id}` : ""}`;
    case "control.kill":
      return `${d.model || d.target || "?"} switched off${d.actor ? ` by ${d.actor}` : ""}${d.reason ? `: ${d.reason}` : ""}`;
    case "control.unkill":
      return `${d.model || d.target || "?"} switched back on${d.actor ? ` by ${d.actor}` : ""}`;
    case "budget.update":
      return `budget ${d.scope || d.tenant || ""} ${d.model || ""}: ${scalars(d)}`.replace(/\s+/g, " ");
    case "reset":
      return "missed events were too old to replay; state refetched";
    case "dropped":
      return "the server dropped this stream (too slow); reconnecting";
    default:
      return scalars(d) || type;
  }
}

export class Feed {
  constructor() {
    this.list = $("#feed-list");
    this.count = $("#events-count");
    this.pauseButton = $("#pause-btn");
    this.events = [];
    this.held = [];
    this.paused = false;
    this.total = 0;
    this.enabled = new Set([...FEED_TYPES, OTHER]);
    this.buildFilters();
    this.pauseButton.addEventListener("click", () => this.setPaused(!this.paused));
    $("#clear-btn").addEventListener("click", () => {
      this.events = [];
      this.held = [];
      fill(this.list);
      this.updateCount();
    });
  }

  buildFilters() {
    fill($("#filter-list"), [...FEED_TYPES, OTHER].map((type) => h("label", { class: "check" },
      h("input", {
        type: "checkbox", value: type, checked: true,
        onchange: (event) => {
          if (event.target.checked) this.enabled.add(type);
          else this.enabled.delete(type);
          this.redraw();
        },
      }), ` ${type}`)));
  }

  shown(type) {
    return this.enabled.has(FEED_TYPES.includes(type) ? type : OTHER);
  }

  line(event) {
    return h("li", { class: "ev", dataset: { type: event.type, id: event.id ?? "" } },
      h("time", { class: "ev-time", datetime: event.data.at || "" }, clockTime(event.data.at)),
      chip(event.type, KIND[event.type] || "muted"),
      h("span", { class: "ev-text" }, summarize(event.type, event.data)));
  }

  add(type, data, id) {
    const event = { type, data: data || {}, id };
    this.total += 1;
    if (this.paused) {
      this.held.push(event);
      if (this.held.length > CAP) this.held.shift();
    } else {
      this.push(event);
    }
    this.updateCount();
  }

  push(event) {
    this.events.unshift(event);
    if (this.events.length > CAP) this.events.length = CAP;
    if (this.shown(event.type)) {
      this.list.prepend(this.line(event));
      while (this.list.children.length > CAP) this.list.lastElementChild.remove();
    }
  }

  redraw() {
    fill(this.list, this.events.filter((e) => this.shown(e.type)).map((e) => this.line(e)));
  }

  setPaused(paused) {
    this.paused = paused;
    this.pauseButton.dataset.paused = String(paused);
    this.pauseButton.textContent = paused ? "Resume" : "Pause";
    if (!paused) {
      const held = this.held;
      this.held = [];
      for (const event of held) this.push(event);
    }
    this.updateCount();
  }

  updateCount() {
    const shown = this.list.children.length;
    const held = this.paused ? ` · paused, ${this.held.length} waiting` : "";
    this.count.textContent = this.total ? `${this.total} received, ${shown} shown${held}` : `No events yet${held}.`;
  }
}
