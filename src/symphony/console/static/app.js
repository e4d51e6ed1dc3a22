// Console entry point: wire the panels together, keep them fresh from /events.

import { debounce } from "./dom.js";
import { Budgets } from "./budgets.js";
import { Burndown } from "./burndown.js";
import { Explain } from "./explain.js";
import { Feed } from "./feed.js";
import { Incidents } from "./incidents.js";
import { Jobs } from "./jobs.js";
import { loadHealth, loadPolicy, setupKeyTools, showStreamState } from "./header.js";
import { Matrix } from "./matrix.js";
import { openStream } from "./stream.js";
import { onDeadline, startTicker } from "./ticker.js";

const MATRIX_EVENTS = new Set(["route.execute", "window.update", "rate.limit", "policy.update", "control.kill", "control.unkill", "budget.update", "reset"]);
const BURNDOWN_EVENTS = new Set(["route.execute", "policy.update", "reset"]);
const POLICY_EVENTS = new Set(["policy.update", "policy.rejected", "reset"]);
const JOB_EVENTS = /^job\./;
const BUDGET_EVENTS = new Set(["budget.update", "route.execute", "policy.update", "reset"]);
const INCIDENT_EVENTS = /^(incident|ticket|notify)\.|^(route\.execute|policy\.update|reset)$/;

function boot() {
  const explain = new Explain();
  const matrix = new Matrix({ onItems: (items) => explain.setModels(items) });
  const feed = new Feed();
  const burndown = new Burndown();
  const incidents = new Incidents();
  const jobs = new Jobs();
  const budgets = new Budgets();

  const refreshMatrix = debounce(() => matrix.refresh(), 250);
  const refreshBurndown = debounce(() => burndown.refresh(), 400);
  const refreshIncidents = debounce(() => incidents.refresh(), 500);
  const refreshJobs = debounce(() => jobs.refresh(), 300);
  const refreshBudgets = debounce(() => budgets.refresh(), 1000);
  const refreshPolicy = debounce(async () => {
    const tenants = await loadPolicy();
    if (tenants) explain.setTenants(tenants);
  }, 250);
  const refreshAll = () => {
    refreshMatrix();
    refreshBurndown();
    refreshIncidents();
    refreshJobs();
    refreshBudgets();
    refreshPolicy();
    loadHealth();
  };

  setupKeyTools(refreshAll);
  onDeadline(refreshMatrix);
  startTicker();
  refreshAll();

  openStream({
    onState: (state, detail) => {
      showStreamState(state, detail);
      // After a reconnect, anything may have changed while we were away.
      if (state === "live") refreshMatrix();
    },
    onEvent: (type, data, id) => {
      feed.add(type, data, id);
      if (MATRIX_EVENTS.has(type)) refreshMatrix();
      if (BURNDOWN_EVENTS.has(type)) refreshBurndown();
      if (POLICY_EVENTS.has(type)) refreshPolicy();
      if (INCIDENT_EVENTS.test(type)) refreshIncidents();
      if (JOB_EVENTS.test(type)) refreshJobs();
      if (BUDGET_EVENTS.has(type)) refreshBudgets();
    },
  });

  // Slow clocks that no event announces: health probes and the sliding m1/h1 buckets.
  setInterval(loadHealth, 15000);
  setInterval(() => burndown.refresh(), 15000);
  setInterval(() => matrix.refresh(), 60000);
  setInterval(() => incidents.refresh(), 10000); // burn rates move without an event
  setInterval(() => jobs.refresh(), 30000); // next-run times pass without an event
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot);
else boot();
