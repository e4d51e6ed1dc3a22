// Burndown: requests, tokens and cost per model over m1 / h1 / d1, as CSS bar charts in tabs.

import { api, errorText } from "./api.js";
import { $, $$, fill, h } from "./dom.js";
import { clockTime, num, usd } from "./format.js";

const PERIODS = ["m1", "h1", "d1"];
const METRICS = [
  { key: "requests", title: "Requests", show: (v) => num(v) },
  { key: "tokens", title: "Tokens", show: (v) => num(v) },
  { key: "cost_usd", title: "Cost (USD)", show: (v) => usd(v, 6) },
];

function chart(metric, rows) {
  const max = Math.max(0, ...rows.map(([, r]) => Number(r[metric.key] || 0)));
  return h("figure", { class: `chart chart-${metric.key}` },
    h("figcaption", {}, metric.title, max === 0 ? h("span", { class: "small muted" }, " · nothing yet") : null),
    h("ul", { class: "chart-rows" }, rows.map(([model, r]) => {
      const value = Number(r[metric.key] || 0);
      const width = max > 0 ? (value / max) * 100 : 0;
      const capNote = metric.key === "requests" && r.cap !== null && r.cap !== undefined
        ? h("span", { class: "cap-note" }, ` · window ${num(r.remaining)}/${num(r.cap)} left`) : null;
      return h("li", { class: "chart-row", dataset: { model } },
        h("span", { class: "chart-label", title: model }, model),
        h("span", { class: "chart-track", "aria-hidden": "true" },
          h("span", { class: "chart-fill", style: { width: `${width}%` } })),
        h("span", { class: "chart-value" }, metric.show(value), capNote));
    })));
}

export class Burndown {
  constructor() {
    this.note = $("#burndown-note");
    this.tabs = $$("#burndown-tabs [role=tab]");
    this.data = null;
    for (const tab of this.tabs) {
      tab.addEventListener("click", () => this.select(tab));
      tab.addEventListener("keydown", (event) => this.onKey(event, tab));
    }
  }

  /** Tabs pattern: arrows move between tabs, Home/End jump; selection follows focus. */
  onKey(event, tab) {
    const i = this.tabs.indexOf(tab);
    const n = this.tabs.length;
    const target = {
      ArrowRight: (i + 1) % n, ArrowLeft: (i - 1 + n) % n, Home: 0, End: n - 1,
    }[event.key];
    if (target === undefined) return;
    event.preventDefault();
    this.select(this.tabs[target]);
    this.tabs[target].focus();
  }

  select(tab) {
    for (const t of this.tabs) {
      const on = t === tab;
      t.setAttribute("aria-selected", String(on));
      t.tabIndex = on ? 0 : -1;
      $(`#${t.getAttribute("aria-controls")}`).hidden = !on;
    }
  }

  async refresh() {
    const result = await api("/status/burndown.json");
    if (!result.ok) {
      this.note.textContent = `Could not load burndown: ${errorText(result)}`;
      return;
    }
    this.data = result.data;
    const windows = result.data.windows || {};
    for (const period of PERIODS) {
      const rows = Object.entries(windows[period] || {});
      fill($(`#panel-${period}`), rows.length
        ? h("div", { class: "charts" }, METRICS.map((m) => chart(m, rows)))
        : h("p", { class: "muted" }, "No models."));
    }
    this.note.textContent = `Updated ${clockTime(result.data.generated_at)}`;
  }
}
