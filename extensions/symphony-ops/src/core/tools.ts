/** The Language Model Tools' logic: plain functions over the client (VS Code glue is apart). */

import type { SymphonyClient } from "./api";
import { SymphonyError, userMessage } from "./errors";
import type { EditorText, Settings } from "./ports";
import { matrixSummary, planSummary } from "./text";
import type { Plan, PlanBody } from "./types";

export interface ExplainToolInput {
  task?: string;
  loa?: number;
  input?: string;
}

/** The plan body for the tool: the model's arguments, else the settings and the selection. */
export function toolPlanBody(args: ExplainToolInput, settings: Settings, selection: EditorText | undefined): PlanBody {
  const body: PlanBody = {
    task: args.task && /^[A-Za-z0-9_.:-]+$/.test(args.task) ? args.task : settings.task,
    loa: typeof args.loa === "number" ? args.loa : settings.loa,
    tenant: settings.tenant,
  };
  const input = args.input ?? (selection && selection.text.trim() ? selection.text : undefined);
  if (input) body.input = input;
  if (settings.env) body.env = settings.env;
  if (Object.keys(settings.overrides).length) body.overrides = { ...settings.overrides };
  return body;
}

/** "Which model would run this, and why", as text for the language model. */
export async function explainForModel(client: SymphonyClient, body: PlanBody, signal?: AbortSignal): Promise<string> {
  const header = `Symphony routing for task '${body.task}' at LOA ${body.loa ?? 1} (tenant ${body.tenant ?? "default"})${body.input ? `, input of ${body.input.length} characters` : ", no input text"}:`;
  try {
    const plan = await client.plan(body, signal ? { signal } : {});
    return planSummary(plan, header);
  } catch (err) {
    if (err instanceof SymphonyError && (err.kind === "no_eligible_model" || err.kind === "killed")) {
      return planSummary(err.body as Plan, `${header}\n${err.message}`);
    }
    return `Symphony could not plan this: ${userMessage(err)}`;
  }
}

/** The Model Matrix as text for the language model. */
export async function matrixForModel(client: SymphonyClient, tenant: string, now: () => number = Date.now, signal?: AbortSignal): Promise<string> {
  try {
    const received = now();
    const matrix = await client.models(tenant, signal ? { signal } : {});
    return `Symphony Model Matrix (tenant ${tenant}, policy ${matrix.policy_version ?? "?"}):\n${matrixSummary(matrix.items, now(), received)}`;
  } catch (err) {
    return `Symphony could not list its models: ${userMessage(err)}`;
  }
}
