// Budgets: each tenant's budget lines (GET /budgets): spent of limit, a bar, when it resets.

import { api, errorText } from "./api.js";
import { $, chip, fill, h } from "./dom.js";
import { clockTime, pct, usd } from "./format.js";

function amount(line, value) {
  return line.unit === "usd" ? usd(value, 2) : `${Math.round(value).toLocaleString()} tokens`;
}

function bar(line) {
  const fraction = Math.max(0, Math.min(1, Number(line.fraction)));
  const level = line.exhausted ? "bad" : fraction >= 0.8 ? "warn" : "ok";
  return h("span", { class: "budget" },
    h("span", { class: `bar level-${level}`, role: "img", "aria-label": `${pct(line.fraction)} of the budget spent` },
      h("span", { class: "bar-fill", style: { width: `${fraction * 100}%` } })),
    h("span", { class: "budget-text" }, pct(line.fraction)));
}

export class Budgets {
  constructor() {
    this.note = $("#budgets-note");
    this.body = $("#budget-rows");
  }

  async refresh() {
    const result = await api("/budgets");
    if (!result.ok) {
      this.note.textContent = `Could not load budgets: ${errorText(result)}`;
      return;
    }
    const rows = result.data.tenants.flatMap((t) => t.lines.map((line) => this.row(t.tenant, line)));
    const spent = result.data.tenants.flatMap((t) => t.lines).filter((l) => l.exhausted).length;
    this.note.textContent = rows.length ? `${spent} spent · updated ${clockTime(result.data.generated_at)}` : "No tenant has budgets.";
    fill(this.body, rows.length ? rows : h("tr", {}, h("td", { colspan: "5", class: "muted" }, "No budgets in the policy (tenants.<name>.budgets).")));
  }

  row(tenant, line) {
    const scope = line.provider ? `provider ${line.provider}` : "hosted models";
    return h("tr", { dataset: { budget: `${tenant}:${line.key}` } },
      h("th", { scope: "row" }, h("span", { class: "model-name" }, tenant),
        h("span", { class: "model-sub" }, `${scope} · ${line.period} ${line.unit}`)),
      h("td", { "data-label": "Spent" }, `${amount(line, line.spent)} of ${amount(line, line.limit)}`),
      h("td", { "data-label": "Used" }, bar(line)),
      h("td", { "data-label": "State" }, line.exhausted ? chip("spent", "bad") : chip("within", "ok")),
      h("td", { "data-label": "Resets" }, clockTime(line.resets_at)));
  }
}
