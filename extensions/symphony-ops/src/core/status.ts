/** The status bar item as data: the top model for your task, the kill switch, the link state. */

import { killLabel } from "./text";
import type { Kill } from "./types";

export type Connection = "connecting" | "live" | "reconnecting" | "down" | "key" | "stopped";

export interface StatusInput {
  connection: Connection;
  /** The model the tower picks for your default task now (null: none eligible or unknown). */
  topModel: string | null;
  /** Why there is no top model (e.g. the 409 message). */
  topReason: string | null;
  task: string;
  /** Active kills from GET /control (null when the key may not read them). */
  kills: Kill[] | null;
  /** Killed models as the matrix shows them (any key may read these). */
  killedModels: { model: string; reason: string }[];
  modelCount: number;
  error: string | null;
  baseUrl: string;
}

export interface StatusView {
  text: string;
  tooltip: string;
  severity: "normal" | "warning" | "error";
  command: string;
}

function killText(input: StatusInput): string | null {
  if (input.kills && input.kills.length) {
    const all = input.kills.find((k) => k.scope === "all");
    return all ? "KILL ALL" : `kill: ${input.kills.map((k) => killLabel(k)).join(", ")}`;
  }
  if (!input.kills && input.killedModels.length) {
    return input.modelCount > 0 && input.killedModels.length >= input.modelCount ? "KILL ALL" : `kill: ${input.killedModels.length} model(s)`;
  }
  return null;
}

export function statusView(input: StatusInput): StatusView {
  const kill = killText(input);
  const lines = [`Symphony at ${input.baseUrl}`];
  if (input.connection === "down") {
    return {
      text: "$(debug-disconnect) Symphony: down",
      tooltip: [...lines, input.error ?? "not reachable", "Click for health."].join("\n"),
      severity: "error",
      command: "symphony.health",
    };
  }
  if (input.connection === "key") {
    return {
      text: "$(key) Symphony: set key",
      tooltip: [...lines, input.error ?? "the API key was refused", "Click to set the API key."].join("\n"),
      severity: "warning",
      command: "symphony.setApiKey",
    };
  }
  const link =
    input.connection === "live" ? "live" : input.connection === "reconnecting" ? "reconnecting…" : input.connection === "connecting" ? "connecting…" : "stopped";
  lines.push(`Events: ${link}`);
  lines.push(input.topModel ? `Top model for '${input.task}': ${input.topModel}` : `No model for '${input.task}': ${input.topReason ?? "not planned yet"}`);
  if (kill) {
    lines.push(`Kill switch: ${input.kills ? input.kills.map((k) => `${killLabel(k)} (${k.reason ?? ""})`).join("; ") : input.killedModels.map((k) => `${k.model}: ${k.reason}`).join("; ")}`);
  } else {
    lines.push("Kill switch: off");
  }
  const icon = kill ? "$(stop-circle)" : input.connection === "live" ? "$(pulse)" : "$(sync~spin)";
  const model = input.topModel ?? "no model";
  return {
    text: `${icon} ${model}${kill ? ` · ${kill}` : ""}`,
    tooltip: [...lines, "Click to explain the route for your selection."].join("\n"),
    severity: kill ? "error" : input.topModel ? "normal" : "warning",
    command: "symphony.explain",
  };
}
