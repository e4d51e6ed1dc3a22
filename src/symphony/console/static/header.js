// The header: policy version and last reload error, upstream health chips, stream state,
// and the footer's key tools.

import { api, errorText, forgetKey, getKey, onKeyChange, requestKey } from "./api.js";
import { $, chip, fill, h } from "./dom.js";
import { clockTime, localText, ms } from "./format.js";

const STREAM_WORDS = {
  connecting: "Connecting to the live stream…",
  live: "Live",
  reconnecting: "Stream dropped; reconnecting…",
  "needs-key": "Live stream needs an API key",
};

/** Fetch /policy; returns the tenant names (for the Explain form). */
export async function loadPolicy() {
  const result = await api("/policy");
  const version = $("#policy-version");
  const error = $("#policy-error");
  if (!result.ok) {
    version.textContent = `unavailable (${errorText(result)})`;
    return null;
  }
  const p = result.data;
  fill(version, p.declared_version ? `${p.declared_version} · ` : "", h("code", { class: "code" }, p.version));
  // In the policy's zone, like the Model Matrix's reset times (not the browser's, not UTC).
  $("#policy-loaded").textContent = p.loaded_at_local ? localText(p.loaded_at_local) : "–";
  if (p.last_error && p.last_error.length) {
    const when = p.last_error_at ? ` at ${clockTime(p.last_error_at)}` : "";
    fill(error, h("span", { class: "reload-error" }, `rejected${when}: ${p.last_error.join("; ")}`));
  } else {
    fill(error, h("span", { class: "reload-ok" }, "no errors"));
  }
  return p.tenants || null;
}

export async function loadHealth() {
  const result = await api("/status/health.json");
  const list = $("#health");
  if (!result.ok) {
    fill(list, h("li", {}, chip(`health unavailable: ${errorText(result)}`, "bad")));
    return;
  }
  const services = Object.entries(result.data.services || {});
  if (!services.length) {
    fill(list, h("li", {}, chip("no upstreams configured", "muted")));
    return;
  }
  fill(list, services.map(([name, s]) => {
    const words = s.ok ? `${name} up${s.latency_ms !== null && s.latency_ms !== undefined ? ` · ${ms(s.latency_ms)}` : ""}` : `${name} down`;
    const title = s.ok ? (s.base_url || null) : (s.error || "no answer");
    return h("li", { class: "health-item" }, chip(words, s.ok ? "ok" : "bad", title),
      s.ok ? null : h("span", { class: "visually-hidden" }, `: ${s.error || "no answer"}`));
  }));
}

export function showStreamState(state, detail) {
  const box = $("#stream-state");
  if (box.dataset.state === state) return;
  box.dataset.state = state;
  const retry = state === "reconnecting" && typeof detail === "number" ? ` (in ${Math.round(detail / 1000)} s)` : "";
  $("#stream-text").textContent = `${STREAM_WORDS[state] || state}${retry}`;
}

/** The footer's "Enter API key" / "Forget key" buttons and the key state line. */
export function setupKeyTools(onNewKey) {
  const state = $("#key-state");
  const forget = $("#key-forget");
  const show = () => {
    const has = Boolean(getKey());
    state.textContent = has ? "An API key is stored for this tab only." : "No API key in this tab.";
    forget.hidden = !has;
  };
  onKeyChange((key) => {
    show();
    if (key) onNewKey();
  });
  $("#key-enter").addEventListener("click", () => requestKey(""));
  forget.addEventListener("click", () => forgetKey());
  show();
}
