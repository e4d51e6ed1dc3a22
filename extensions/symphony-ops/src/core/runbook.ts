/**
 * Operator runbook commands: kill/unkill a scope, reload the policy, health, burndown and
 * the drill. Each says what happened and, where the service audited it, links the record.
 */

import type { SymphonyClient } from "./api";
import { guarded, openAudit } from "./commands";
import { SymphonyError, userMessage } from "./errors";
import type { Deps } from "./ports";
import { burndownSummary, healthSummary, killLabel } from "./text";
import type { AuditRecord, Kill, KillResult, KillScope, MatrixItem, ReloadResult, UnkillResult } from "./types";

const OPEN_AUDIT = "Open Audit Record";

/** The models a kill of (scope, target) stops, from the Model Matrix rows. */
export function affectedModels(items: MatrixItem[], scope: KillScope, target: string | null): string[] {
  switch (scope) {
    case "all":
    case "tenant":
      return items.map((i) => i.model);
    case "provider":
      return items.filter((i) => i.provider === target).map((i) => i.model);
    case "model":
      return items.filter((i) => i.model === target).map((i) => i.model);
  }
}

/** The confirmation text that names what stops. */
export function killConfirmation(items: MatrixItem[], scope: KillScope, target: string | null, reason: string): { message: string; detail: string } {
  const models = affectedModels(items, scope, target);
  const what = killLabel({ scope, target });
  const who = scope === "tenant" ? `every request of tenant '${target}' on every model` : models.length ? models.join(", ") : "no model the matrix shows (the kill still applies to future ones)";
  return {
    message: `Kill ${what}?`,
    detail:
      `This stops now: ${who}. ` +
      "Plans deny them ('killed'), streams already running on them are cut mid-answer, and nothing runs there until the kill is lifted. " +
      `Reason recorded in the audit trail: “${reason}”.`,
  };
}

/** Find the audit record the service wrote for an action (needs the operator role). */
export async function findAudit(
  client: SymphonyClient,
  type: string,
  match: (record: AuditRecord) => boolean,
): Promise<AuditRecord | null> {
  try {
    const records = await client.auditQuery({ type, limit: 20 }, { timeoutMs: 10_000 });
    return records.find(match) ?? null;
  } catch {
    return null; // a key without audit.read: say so without the link
  }
}

async function announce(deps: Deps, message: string, record: AuditRecord | null, extra: string[] = []): Promise<string | undefined> {
  const text = record ? `${message} Audit ${record.id}.` : `${message} (No audit record found to link.)`;
  const choice = await deps.ui.info(text, ...(record ? [OPEN_AUDIT] : []), ...extra);
  if (choice === OPEN_AUDIT && record) await openAudit(deps, record.id);
  return choice;
}

/** Kill Switch: pick a scope and target, give a reason, confirm what stops, kill. */
export async function killScope(deps: Deps): Promise<KillResult | undefined> {
  return guarded(deps, async () => {
    let items = deps.matrix();
    if (!items.length) items = (await deps.client.models(deps.settings().tenant)).items;
    const scope = await deps.ui.pick<KillScope>(
      [
        { label: "provider", description: "every model of one provider", value: "provider" },
        { label: "model", description: "one model", value: "model" },
        { label: "tenant", description: "every request of one tenant", value: "tenant" },
        { label: "all", description: "EVERYTHING: no model runs for anyone", value: "all" },
      ],
      "What to stop",
    );
    if (!scope) return undefined;
    let target: string | null = null;
    if (scope !== "all") {
      const choices = await targetsFor(deps, scope, items);
      target = (await deps.ui.pick(choices.map((c) => ({ label: c, value: c })), `Which ${scope}`)) ?? null;
      if (target === null) return undefined;
    }
    const reason = await deps.ui.input({
      prompt: `Why stop ${killLabel({ scope, target })}? (recorded in the audit trail)`,
      placeHolder: "incident 42: runaway spend",
      validate: (v) => (!v.trim() ? "A reason is required." : v.length > 500 ? "At most 500 characters." : null),
    });
    if (reason === undefined) return undefined;
    const { message, detail } = killConfirmation(items, scope, target, reason.trim());
    if (!(await deps.ui.confirm(message, detail, "Kill"))) return undefined;
    const result = await deps.client.kill(scope, target, reason.trim());
    deps.refresh();
    const record = await findAudit(deps.client, "control.kill", (r) => r.payload.at === result.kill.at);
    const stopped = affectedModels(items, scope, target);
    const choice = await announce(
      deps,
      `Killed ${killLabel(result.kill)}: ${scope === "tenant" ? `tenant '${target}' gets no model` : `${stopped.length} model(s) stopped (${stopped.slice(0, 4).join(", ")}${stopped.length > 4 ? ", …" : ""})`}. ${result.active.length} kill(s) active.`,
      record,
      ["Lift It"],
    );
    if (choice === "Lift It") await liftOne(deps, result.kill);
    return result;
  });
}

async function targetsFor(deps: Deps, scope: KillScope, items: MatrixItem[]): Promise<string[]> {
  if (scope === "provider") return [...new Set(items.map((i) => i.provider))].sort();
  if (scope === "model") return items.map((i) => i.model);
  const policy = await deps.client.request<{ tenants?: string[] }>("GET", "/policy");
  return policy.tenants ?? ["default"];
}

async function liftOne(deps: Deps, kill: Kill): Promise<UnkillResult | undefined> {
  const models = affectedModels(deps.matrix(), kill.scope, kill.target);
  const ok = await deps.ui.confirm(
    `Lift the kill of ${killLabel(kill)}?`,
    `${kill.scope === "tenant" ? `Tenant '${kill.target}'` : models.length ? models.join(", ") : "Its models"} can run again at once. It was killed at ${kill.at}${kill.actor ? ` by ${kill.actor}` : ""}: “${kill.reason ?? ""}”.`,
    "Lift",
  );
  if (!ok) return undefined;
  const result = await deps.client.unkill(kill.scope, kill.target);
  deps.refresh();
  const record = await findAudit(deps.client, "control.unkill", (r) => (r.payload.kill as Kill | undefined)?.at === kill.at);
  await announce(deps, `Lifted the kill of ${killLabel(kill)}. ${result.active.length} kill(s) still active.`, record);
  return result;
}

/** Kill Switch: lift one of the active kills. */
export async function liftKill(deps: Deps): Promise<UnkillResult | undefined> {
  return guarded(deps, async () => {
    const kills = await deps.client.kills();
    if (!kills.length) {
      await deps.ui.info("No kill is active: everything may run.");
      return undefined;
    }
    const kill = await deps.ui.pick(
      kills.map((k) => ({ label: killLabel(k), description: k.reason ?? "", detail: `since ${k.at}${k.actor ? ` by ${k.actor}` : ""}`, value: k })),
      "Which kill to lift",
    );
    if (!kill) return undefined;
    return liftOne(deps, kill);
  });
}

/** Reload Policy: re-read the files; an invalid file keeps the old policy and lists every error. */
export async function reloadPolicy(deps: Deps): Promise<ReloadResult | undefined> {
  return guarded(deps, async () => {
    const before = await deps.client.request<{ version?: string }>("GET", "/policy").catch(() => ({ version: undefined }));
    const result = await deps.client.reloadPolicy();
    deps.refresh();
    if (!result.ok) {
      deps.output.show();
      deps.output.appendLine(`Policy reload rejected; still on ${result.version}:`);
      for (const e of result.errors) deps.output.appendLine(`  ${e}`);
      const record = await findAudit(deps.client, "policy.reject", (r) => r.payload.kept_version === result.version);
      const first = result.errors[0] ?? "invalid policy";
      const text = `Policy reload rejected: the service keeps version ${result.version}. ${result.errors.length} error(s), first: ${first}`;
      const choice = await deps.ui.error(record ? `${text} Audit ${record.id}.` : text, ...(record ? [OPEN_AUDIT] : []));
      if (choice === OPEN_AUDIT && record) await openAudit(deps, record.id);
      return result;
    }
    if (!result.changed) {
      await deps.ui.info(`Policy files unchanged: still version ${result.version}; nothing applied, nothing audited.`);
      return result;
    }
    const record = await findAudit(deps.client, "policy.change", (r) => r.payload.to === result.version);
    await announce(deps, `Policy reloaded: ${before.version ?? "?"} → ${result.version}.`, record);
    return result;
  });
}

/** Show Health: upstreams, policy, store, whether the key is accepted, and the MCP endpoint. */
export async function showHealth(deps: Deps): Promise<boolean | undefined> {
  return guarded(deps, async () => {
    const health = await deps.client.health();
    const extra: string[] = [];
    try {
      await deps.client.models(deps.settings().tenant, { timeoutMs: 10_000 });
      extra.push("API key: accepted (GET /models answered).");
    } catch (err) {
      extra.push(`API key: ${userMessage(err)}`);
    }
    try {
      const mcp = await deps.client.probeMcp({ timeoutMs: 10_000 });
      extra.push(`MCP: ${mcp.url} answers (${mcp.serverName ?? "server"} ${mcp.serverVersion ?? ""}, protocol ${mcp.protocolVersion ?? "?"}${mcp.tools ? `, ${mcp.tools.length} tools` : ""}).`);
    } catch (err) {
      extra.push(err instanceof SymphonyError && err.kind === "missing_endpoint" ? `MCP: ${deps.client.mcpUrl()} is not offered by this service yet.` : `MCP: ${userMessage(err)}`);
    }
    const summary = healthSummary(health, extra);
    deps.output.show();
    deps.output.appendLine(summary.report);
    if (summary.ok) await deps.ui.info(summary.line);
    else await deps.ui.warn(summary.line);
    return summary.ok;
  });
}

/** Show Burndown: requests, tokens and cost per model over the last minute, hour and day. */
export async function showBurndown(deps: Deps): Promise<string | undefined> {
  return guarded(deps, async () => {
    const summary = burndownSummary(await deps.client.burndown());
    deps.output.show();
    deps.output.appendLine(summary.report);
    await deps.ui.info(summary.line);
    return summary.report;
  });
}

/** Run the Drill: `symphony drill` in a terminal against this service; report its exit. */
export async function runDrill(deps: Deps): Promise<number | undefined> {
  const s = deps.settings();
  const base = deps.client.baseUrl;
  // The demo names its simulator (any port, not only 8788); pass it on so the drill needs no guess.
  const simulator = await deps.client.health().then((h) => h.simulator, () => undefined);
  const ok = await deps.ui.confirm(
    `Run the incident drill against ${base}?`,
    "The drill injects latency into the demo simulator, waits for the SLO to breach and an incident to open with its tickets and notifications, " +
      "then removes the fault and waits for recovery and the autoclose. It prints each step and exits 0 only if every step happened. " +
      (simulator ? `Simulator: ${simulator}. ` : "No simulator reported: the drill needs a demo (symphony serve --demo). ") +
      `Command: ${s.drillCommand}`,
    "Run Drill",
  );
  if (!ok) return undefined;
  const env: Record<string, string> = { PROXY_BASE: base };
  const key = await deps.secrets.get();
  if (key) env.SYMPHONY_KEY = key;
  if (simulator) env.SYMPHONY_SIM_URL = simulator;
  const code = await deps.ui.runInTerminal("Symphony drill", s.drillCommand, env);
  if (code === 0) await deps.ui.info("Drill passed: every step happened (see the terminal).");
  else if (code === undefined) await deps.ui.warn("The drill terminal closed before it reported an exit code.");
  else await deps.ui.error(`Drill failed (exit ${code}): see the terminal for the step that did not happen.`);
  return code;
}
