/**
 * The Model Matrix tree as plain data: rows from GET /models, kept live by events, rendered
 * into nodes for a given `now` (so the time to reset ticks without refetching).
 */

import { amount, clockOf, countdown, percent } from "./format";
import type { MatrixItem, MatrixWindow, SymphonyEvent } from "./types";

export type RowState = "killed" | "tracked" | "closed" | "cooldown" | "reserve" | "low" | "open";

export interface MatrixNode {
  id: string;
  label: string;
  description: string;
  tooltip: string;
  /** A codicon name. */
  icon: string;
  /** A theme color id for the icon, if any. */
  color?: string;
  /** The `viewItem` context value (for menus). */
  context: string;
  children: MatrixNode[];
}

interface Row {
  item: MatrixItem;
  /** When the window resets, on the client's clock (server eta + the moment we got it). */
  resetsAtMs: number | null;
}

/** What an event means for the matrix. */
export type EventEffect = "none" | "changed" | "refetch";

const REFETCH_EVENTS = new Set([
  "route.execute",
  "budget.update",
  "rate.limit",
  "policy.update",
  "control.kill",
  "control.unkill",
  "reset",
]);

function resetDeadline(window: MatrixWindow, receivedAtMs: number): number | null {
  // eta_seconds is the server's own now → reset: immune to a skewed client clock.
  if (typeof window.eta_seconds === "number") return receivedAtMs + window.eta_seconds * 1000;
  if (window.resets_at) {
    const at = Date.parse(window.resets_at);
    return Number.isNaN(at) ? null : at;
  }
  return null;
}

export class MatrixModel {
  private rows = new Map<string, Row>();
  policyVersion: string | null = null;
  /** Set when the last load failed: the tree shows it instead of stale rows. */
  error: string | null = null;
  loadedAtMs: number | null = null;

  get size(): number {
    return this.rows.size;
  }

  items(): MatrixItem[] {
    return [...this.rows.values()].map((r) => r.item);
  }

  /** Replace every row with a fresh GET /models answer. */
  setItems(items: MatrixItem[], receivedAtMs: number, policyVersion: string | null = null): void {
    this.rows = new Map(
      items.map((item) => [item.model, { item, resetsAtMs: resetDeadline(item.window, receivedAtMs) }]),
    );
    this.policyVersion = policyVersion;
    this.error = null;
    this.loadedAtMs = receivedAtMs;
  }

  setError(message: string): void {
    this.error = message;
  }

  /** Apply one event; say whether the tree changed or needs a refetch. */
  applyEvent(event: SymphonyEvent, receivedAtMs: number): EventEffect {
    if (event.type === "window.update") {
      const model = typeof event.data.model === "string" ? event.data.model : null;
      const window = event.data.window as MatrixWindow | undefined;
      const row = model ? this.rows.get(model) : undefined;
      if (row && window && typeof window === "object" && "kind" in window) {
        row.item = { ...row.item, window: { ...row.item.window, ...window } };
        row.resetsAtMs = resetDeadline(row.item.window, receivedAtMs);
        return "changed";
      }
      return "refetch"; // partial payloads (headers, cooldowns): read the whole row again
    }
    return REFETCH_EVENTS.has(event.type) ? "refetch" : "none";
  }

  /** The next instant (ms) at which a row changes by itself: a reset or a power window edge. */
  nextBoundary(nowMs: number): number | null {
    let next: number | null = null;
    const consider = (t: number | null) => {
      if (t !== null && t > nowMs && (next === null || t < next)) next = t;
    };
    for (const row of this.rows.values()) {
      consider(row.resetsAtMs);
      const pw = row.item.window.next_power_window ?? row.item.schedule?.next[0] ?? null;
      if (pw) {
        consider(Date.parse(pw.start));
        consider(Date.parse(pw.end));
      }
    }
    return next;
  }

  /** Whether any row shows a countdown (the view then ticks every second). */
  hasCountdown(): boolean {
    return [...this.rows.values()].some((r) => r.resetsAtMs !== null);
  }

  /** Kill state as the matrix shows it: which models are killed, and why. */
  killed(): { model: string; reason: string }[] {
    return this.items()
      .filter((i) => i.killed)
      .map((i) => ({ model: i.model, reason: String(i.killed) }));
  }

  nodes(nowMs: number): MatrixNode[] {
    return [...this.rows.values()].map((row) => rowNode(row, nowMs));
  }
}

export function rowState(item: MatrixItem, nowMs: number): RowState {
  const w = item.window;
  if (item.killed) return "killed";
  if (!item.executable) return "tracked";
  if (!w.open) return "closed";
  if (w.cooldown_until && Date.parse(w.cooldown_until) > nowMs) return "cooldown";
  if (w.reserve_hold) return "reserve";
  if (typeof w.remaining_fraction === "number" && w.remaining_fraction < 0.2) return "low";
  return "open";
}

const STATE_ICON: Record<RowState, { icon: string; color?: string }> = {
  killed: { icon: "stop-circle", color: "errorForeground" },
  tracked: { icon: "eye" },
  closed: { icon: "circle-slash", color: "errorForeground" },
  cooldown: { icon: "watch", color: "editorWarning.foreground" },
  reserve: { icon: "shield", color: "editorWarning.foreground" },
  low: { icon: "warning", color: "editorWarning.foreground" },
  open: { icon: "pass", color: "testing.iconPassed" },
};

export function stateText(item: MatrixItem, nowMs: number): string {
  const w = item.window;
  switch (rowState(item, nowMs)) {
    case "killed":
      return `killed: ${item.killed}`;
    case "tracked":
      return "tracked only (no endpoint: cannot execute)";
    case "closed":
      return `closed${w.closed_reason ? `: ${w.closed_reason}` : ""}`;
    case "cooldown":
      return `cooling down until ${clockOf(w.cooldown_until)}`;
    case "reserve":
      return "open, reserve hold (kept for priority work)";
    case "low":
      return `open, low (${percent(w.remaining_fraction)} left)`;
    case "open":
      return "open";
  }
}

export function remainingText(w: MatrixWindow): string {
  if (w.remaining === null || w.remaining === undefined) {
    return w.kind === "header_driven" ? "unknown until the provider's headers say" : "unknown (no fixed cap)";
  }
  const cap = w.cap === null || w.cap === undefined ? "" : ` of ${amount(w.cap)}`;
  const frac = typeof w.remaining_fraction === "number" ? ` (${percent(w.remaining_fraction)})` : "";
  return `${amount(w.remaining)}${cap} ${w.unit ?? ""}${frac}`.replace(/\s+/g, " ").trim();
}

export function resetText(row: { item: MatrixItem; resetsAtMs: number | null }, nowMs: number): string {
  const w = row.item.window;
  if (row.resetsAtMs !== null) {
    const left = row.resetsAtMs - nowMs;
    const at = w.resets_at_local ? ` (at ${clockOf(w.resets_at_local)})` : "";
    return left > 0 ? `in ${countdown(left)}${at}` : "resetting now";
  }
  if (w.kind.startsWith("rolling") || w.kind.startsWith("session")) {
    return w.used ? "rolling: frees as usage ages out" : "no usage in the window yet";
  }
  if (w.kind === "header_driven") return "learned from response headers";
  return "no fixed reset";
}

export function powerWindowText(item: MatrixItem, nowMs: number): string {
  const w = item.window;
  const next = w.next_power_window ?? item.schedule?.next[0] ?? null;
  const open = w.power_window_open ?? item.schedule?.power_window_open ?? false;
  if (open && next && Date.parse(next.start) <= nowMs) {
    return `open until ${clockOf(next.end_local ?? next.end)}`;
  }
  if (open) return "open";
  if (next) return `next ${clockOf(next.start_local ?? next.start)}–${clockOf(next.end_local ?? next.end)}`;
  return "none scheduled";
}

function rowNode(row: Row, nowMs: number): MatrixNode {
  const { item } = row;
  const w = item.window;
  const state = rowState(item, nowMs);
  const { icon, color } = STATE_ICON[state];
  const id = item.model;
  const left =
    w.remaining === null || w.remaining === undefined
      ? w.label
      : `${w.label} · ${amount(w.remaining)}${w.cap !== null && w.cap !== undefined ? `/${amount(w.cap)}` : ""} left`;
  const reset = row.resetsAtMs !== null ? ` · resets ${resetText(row, nowMs).replace(/ \(at .*\)$/, "")}` : "";
  const power = (w.power_window_open ?? false) ? " · ⚡" : "";
  const details: [string, string, string][] = [
    ["window", "Window", `${w.label}${w.unit ? ` (${w.unit})` : ""}`],
    ["remaining", "Remaining", remainingText(w)],
    ["reset", "Resets", resetText(row, nowMs)],
    ["state", "State", stateText(item, nowMs)],
    ["power", "Power window", powerWindowText(item, nowMs)],
  ];
  const children: MatrixNode[] = details.map(([key, label, value]) => ({
    id: `${id}#${key}`,
    label: `${label}:`,
    description: value,
    tooltip: `${label}: ${value}`,
    icon: DETAIL_ICON[key] ?? "info",
    context: `symphony.detail.${key}`,
    children: [],
  }));
  const tooltip = [
    `${item.model} (${item.provider}, ${item.class})`,
    ...details.map(([, label, value]) => `${label}: ${value}`),
    `Source: ${w.source}`,
  ].join("\n");
  return {
    id,
    label: item.model,
    // A state other than open comes first: it is what matters, and the tail may be cut off.
    description: `${state === "open" ? "" : `${state} · `}${left}${reset}${power}`,
    tooltip,
    icon,
    ...(color ? { color } : {}),
    context: `symphony.model.${state}`,
    children,
  };
}

const DETAIL_ICON: Record<string, string> = {
  window: "calendar",
  remaining: "dashboard",
  reset: "history",
  state: "pulse",
  power: "zap",
};
