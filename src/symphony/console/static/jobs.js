// Jobs: the power-window queue (GET /jobs), each job's state, schedule, attempts and last
// outcome, with Cancel for a queued job (DELETE /jobs/{id}).

import { api, errorText } from "./api.js";
import { $, chip, fill, h } from "./dom.js";
import { clockTime } from "./format.js";

const STATE_KIND = { queued: "info", running: "sim", done: "ok", failed: "bad", dead: "bad", cancelled: "muted" };

function runText(run) {
  if (run.mode === "cron") return `cron ${run.cron} (${run.tz})`;
  if (run.mode === "next_window") return "next window";
  return run.mode;
}

export class Jobs {
  constructor() {
    this.note = $("#jobs-note");
    this.body = $("#job-rows");
  }

  async refresh() {
    const result = await api("/jobs?limit=25");
    if (!result.ok) {
      this.note.textContent = `Could not load jobs: ${errorText(result)}`;
      return;
    }
    const { jobs, counts } = result.data;
    const parts = Object.entries(counts).filter(([, n]) => n > 0).map(([s, n]) => `${n} ${s}`);
    this.note.textContent = parts.length ? parts.join(" · ") : "No jobs yet: POST /jobs queues one.";
    fill(this.body, jobs.length ? jobs.map((job) => this.row(job))
      : h("tr", {}, h("td", { colspan: "6", class: "muted" }, "The queue is empty.")));
  }

  row(job) {
    const last = job.error ? `${job.error.code}: ${job.error.message}` : (job.audit_id || "–");
    return h("tr", { dataset: { job: job.id, state: job.state } },
      h("th", { scope: "row" }, h("span", { class: "model-name" }, job.id),
        h("span", { class: "model-sub" }, `${job.tenant} · ${job.request.task || ""}`)),
      h("td", { "data-label": "State" }, chip(job.state, STATE_KIND[job.state] || "muted")),
      h("td", { "data-label": "Runs" }, runText(job.run)),
      h("td", { "data-label": "Next run" }, job.next_run_at ? clockTime(job.next_run_at) : "–"),
      h("td", { "data-label": "Attempts" }, `${job.attempts}/${job.max_attempts} · ${job.runs} done`),
      h("td", { "data-label": "Last" }, h("span", { class: "small" }, last),
        job.state === "queued" ? h("button", { type: "button", class: "btn small", onclick: (e) => this.cancel(job.id, e.target) }, "Cancel") : null));
  }

  async cancel(id, button) {
    button.disabled = true;
    const result = await api(`/jobs/${encodeURIComponent(id)}`, { method: "DELETE" });
    if (!result.ok) {
      button.disabled = false;
      this.note.textContent = `Could not cancel ${id}: ${errorText(result)}`;
      return;
    }
    await this.refresh();
  }
}
