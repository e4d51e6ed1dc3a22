// One timer for every countdown on the page: elements with data-deadline (epoch ms).

import { $$, h } from "./dom.js";
import { duration } from "./format.js";

const onExpire = new Set();

/** Run fn() when any countdown reaches zero (e.g. refetch the matrix). */
export function onDeadline(fn) {
  onExpire.add(fn);
}

/**
 * The deadline in this browser's clock. Prefer the server's eta (seconds from its own now,
 * measured when the response arrived) over parsing the instant, so clock skew does not show.
 */
export function deadlineOf(etaSeconds, iso, receivedAt) {
  if (typeof etaSeconds === "number") return receivedAt + etaSeconds * 1000;
  const t = Date.parse(iso || "");
  return Number.isNaN(t) ? null : t;
}

function text(el, now) {
  const left = (Number(el.dataset.deadline) - now) / 1000;
  if (left <= 0) return el.dataset.done || "now";
  return `${el.dataset.prefix ?? "in "}${duration(left)}`;
}

/** A live countdown span; `done` is shown once the deadline passed. */
export function countdown(deadline, { prefix = "in ", done = "resetting now" } = {}) {
  const el = h("span", { class: "countdown", dataset: { deadline: String(deadline), prefix, done } });
  el.textContent = text(el, Date.now());
  return el;
}

function tick() {
  const now = Date.now();
  let expired = false;
  for (const el of $$("[data-deadline]")) {
    const value = text(el, now);
    if (el.textContent !== value) el.textContent = value;
    if (Number(el.dataset.deadline) <= now && !el.dataset.fired) {
      el.dataset.fired = "1";
      expired = true;
    }
  }
  if (expired) for (const fn of onExpire) fn();
}

export function startTicker() {
  tick();
  return setInterval(tick, 1000);
}
