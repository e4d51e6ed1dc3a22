// Words and numbers for people: window kinds, deny reasons, times, money.

const SOURCE_WORDS = {
  configured: "configured",
  heuristic: "heuristic",
  learned: "learned from telemetry",
  headers: "headers",
  errors: "learned from errors",
};

export const DENY_WORDS = {
  not_allowed_for_tenant: "not allowed for this tenant",
  task_not_allowed: "not allowed for this task",
  loa_exceeds: "LOA too high",
  hosted_disallowed: "hosted models not allowed",
  provider_hint_mismatch: "does not match the provider hints",
  window_closed: "usage window closed",
  quota_exhausted: "quota used up",
  reserve_hold: "held in reserve",
  over_cost_cap: "over the cost ceiling",
  context_too_large: "input too large for its context",
  no_credentials: "no API key configured",
  cooldown: "cooling down after upstream errors",
  no_endpoint: "no endpoint (tracked only)",
  killed: "switched off by an operator",
  budget_exhausted: "budget used up",
};

export const FACTOR_WORDS = {
  preference: "rule preference",
  latency: "latency",
  cost: "cost",
  locality: "local-first",
  headroom: "headroom",
  window: "power window",
};

export function sourceWords(source) {
  return SOURCE_WORDS[source] || source || "unknown";
}

export function denyWords(code) {
  return DENY_WORDS[code] || String(code || "denied").replaceAll("_", " ");
}

/** "America/Los_Angeles" → "PT" (generic zone name), falling back to the IANA name. */
export function zoneShort(zone) {
  if (zone === "UTC" || zone === "Etc/UTC") return "UTC";
  try {
    const parts = new Intl.DateTimeFormat("en-US", { timeZone: zone, timeZoneName: "shortGeneric" })
      .formatToParts(new Date());
    const name = parts.find((p) => p.type === "timeZoneName");
    return name ? name.value : zone;
  } catch {
    return zone;
  }
}

function humanPeriod(text) {
  const m = /^(\d+)\s*([smhd])$/.exec(text || "");
  if (!m) return null;
  const n = Number(m[1]);
  const unit = { s: "second", m: "minute", h: "hour", d: "day" }[m[2]];
  if ((unit === "second" && n === 60) || (unit === "minute" && n === 1)) return "per-minute";
  if ((unit === "minute" && n === 60) || (unit === "hour" && n === 1)) return "hourly";
  if ((unit === "hour" && n === 24) || (unit === "day" && n === 1)) return "daily";
  return `every ${n} ${unit}${n === 1 ? "" : "s"}`;
}

/** The window kind in words: rolling 3h, 5h session, daily 00:00 PT, per-minute… */
export function windowWords(win) {
  if (!win) return "unknown";
  const kind = String(win.kind || "");
  const label = String(win.label || kind);
  let m = /^rolling_(\w+)$/.exec(kind);
  if (m) return `rolling ${m[1]}`;
  m = /^session_(\w+)$/.exec(kind);
  if (m) return `${m[1]} session`;
  m = /^every_(\w+)$/.exec(kind);
  if (m) return humanPeriod(m[1]) || label;
  if (kind === "header_driven") return "header-driven";
  if (kind === "dynamic") return "dynamic";
  // daily / weekly / monthly labels carry an IANA zone: show its short name.
  return label.replace(/\b([A-Z][A-Za-z_]+\/[A-Za-z_/+-]+|UTC)\b/g, (zone) => zoneShort(zone));
}

const ISO_LOCAL = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/**
 * A local instant as the server gave it (already in the policy timezone): "Mon 23 Nov 01:00"
 * plus its UTC offset. No conversion to the browser's zone.
 */
export function localParts(isoLocal) {
  const m = ISO_LOCAL.exec(isoLocal || "");
  if (!m) return null;
  const [, y, mo, d, hh, mm, , off] = m;
  const weekday = WEEKDAYS[new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d))).getUTCDay()];
  const offset = off === "Z" ? "UTC" : `UTC${off[0] === "-" ? "−" : "+"}${off.slice(1).replace(/^0/, "").replace(":00", "")}`;
  return { day: `${weekday} ${Number(d)} ${MONTHS[Number(mo) - 1]}`, time: `${hh}:${mm}`, offset };
}

export function localText(isoLocal) {
  const p = localParts(isoLocal);
  return p ? `${p.day} ${p.time} (${p.offset})` : "–";
}

/** 93784 → "1d 2h 3m"; 3725 → "1h 2m 5s"; 42 → "42s". */
export function duration(seconds) {
  let s = Math.max(0, Math.floor(seconds));
  const d = Math.floor(s / 86400);
  s -= d * 86400;
  const hrs = Math.floor(s / 3600);
  s -= hrs * 3600;
  const min = Math.floor(s / 60);
  s -= min * 60;
  if (d > 0) return `${d}d ${hrs}h ${min}m`;
  if (hrs > 0) return `${hrs}h ${String(min).padStart(2, "0")}m ${String(s).padStart(2, "0")}s`;
  if (min > 0) return `${min}m ${String(s).padStart(2, "0")}s`;
  return `${s}s`;
}

export function usd(value, digits = 4) {
  if (value === null || value === undefined) return "–";
  if (value === 0) return "$0";
  if (Math.abs(value) < 10 ** -digits) return `$${value.toExponential(1)}`;
  return `$${value.toFixed(digits)}`;
}

export function num(value) {
  if (value === null || value === undefined) return "–";
  return Number(value).toLocaleString("en-US", { maximumFractionDigits: 2 });
}

export function ms(value) {
  if (value === null || value === undefined) return "–";
  return value >= 10000 ? `${(value / 1000).toFixed(1)} s` : `${Math.round(value)} ms`;
}

export function pct(fraction) {
  if (fraction === null || fraction === undefined) return "–";
  return `${Math.round(fraction * 100)}%`;
}

/** Browser-local wall time for event lines: "10:09:39". */
export function clockTime(iso) {
  const t = Date.parse(iso || "");
  if (Number.isNaN(t)) return "";
  return new Date(t).toLocaleTimeString("en-GB", { hour12: false });
}

/** The price per 1M tokens: "$0.15 / $0.60", "free", or "–" when unknown. */
export function price(p) {
  if (!p || (p.prompt === null && p.completion === null)) return "–";
  if (!p.prompt && !p.completion) return "free";
  const f = (v) => (v === null || v === undefined ? "?" : `$${Number(v).toFixed(2)}`);
  return `${f(p.prompt)} / ${f(p.completion)}`;
}
