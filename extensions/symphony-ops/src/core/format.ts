/** Small text formatters shared by the tree, the status bar, messages and the webview. */

/** A countdown like `2h 05m`, `4m 09s` or `12s` (never negative). */
export function countdown(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const d = Math.floor(total / 86_400);
  const h = Math.floor((total % 86_400) / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const two = (n: number) => String(n).padStart(2, "0");
  if (d > 0) return `${d}d ${two(h)}h`;
  if (h > 0) return `${h}h ${two(m)}m`;
  if (m > 0) return `${m}m ${two(s)}s`;
  return `${s}s`;
}

/** US dollars with enough digits to show tiny per-call costs. */
export function usd(value: number | null | undefined): string {
  if (value === null || value === undefined) return "cost unknown";
  if (value === 0) return "$0";
  if (Math.abs(value) >= 0.01) return `$${value.toFixed(2)}`;
  return `$${value.toPrecision(2)}`;
}

export function ms(value: number | null | undefined): string {
  if (value === null || value === undefined) return "?";
  return value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : `${Math.round(value)} ms`;
}

export function percent(fraction: number | null | undefined): string {
  if (fraction === null || fraction === undefined) return "?";
  return `${Math.round(fraction * 100)}%`;
}

/** `HH:MM` and its UTC offset from an ISO instant with an offset, as the service wrote it. */
export function clockOf(isoLocal: string | null | undefined): string {
  if (!isoLocal) return "?";
  const m = /T(\d{2}:\d{2})(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$/.exec(isoLocal);
  if (!m) return isoLocal;
  const offset = m[2] === undefined ? "" : m[2] === "Z" ? " UTC" : ` ${m[2]}`;
  return `${m[1]}${offset}`;
}

/** `2026-12-01 09:05` from an ISO string (date and minutes as written, no zone math). */
export function dateTimeOf(iso: string | null | undefined): string {
  if (!iso) return "?";
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(iso);
  return m ? `${m[1]} ${m[2]}` : iso;
}

/** Plain number with a unit, e.g. `39 messages`. */
export function amount(value: number | null | undefined, unit = ""): string {
  if (value === null || value === undefined) return "?";
  const n = Number.isInteger(value) ? String(value) : value.toFixed(1);
  return unit ? `${n} ${unit}` : n;
}

/** Shorten text for one-line places (notifications, tree descriptions). */
export function clip(text: string, max = 80): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}
