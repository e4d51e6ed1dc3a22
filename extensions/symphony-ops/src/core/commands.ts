/** Developer commands: Execute Route, Explain Route, File Incident, and the API key. */

import { SymphonyError, userMessage } from "./errors";
import { clip, ms, usd } from "./format";
import type { Deps, EditorText } from "./ports";
import type { ExecuteResult, Incident, Plan, PlanBody } from "./types";

export const SET_KEY_ACTION = "Set API Key";
export const SETTINGS_ACTION = "Open Settings";
const MAX_CONTEXT_CHARS = 20_000;

/** Show a failure with the action that fixes it; return undefined (cancel is silent). */
export async function reportError(deps: Deps, err: unknown): Promise<undefined> {
  if (err instanceof SymphonyError && err.kind === "cancelled") return undefined;
  const kind = err instanceof SymphonyError ? err.kind : null;
  if (kind === "no_key" || kind === "bad_key") {
    if ((await deps.ui.error(userMessage(err), SET_KEY_ACTION)) === SET_KEY_ACTION) await setApiKey(deps);
  } else if (kind === "unreachable" || kind === "timeout") {
    if ((await deps.ui.error(userMessage(err), SETTINGS_ACTION)) === SETTINGS_ACTION) {
      await deps.ui.openSettings("symphony.baseUrl");
    }
  } else if (kind === "killed") {
    await deps.ui.warn(userMessage(err));
  } else {
    await deps.ui.error(userMessage(err));
  }
  return undefined;
}

/** Run `fn`, turning any failure into a clear message. */
export async function guarded<T>(deps: Deps, fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (err) {
    return reportError(deps, err);
  }
}

/** The plan/execute body from settings, or from quick picks when askForOptions is on. */
export async function requestBody(deps: Deps, input: string | undefined): Promise<PlanBody | undefined> {
  const s = deps.settings();
  let task = s.task;
  let loa = s.loa;
  if (s.askForOptions) {
    const tasks = [s.task, ...s.tasks.filter((t) => t !== s.task)];
    const picked = await deps.ui.pick(
      tasks.map((t) => ({ label: t, description: t === s.task ? "default" : "", value: t })),
      "Task for this unit of work",
    );
    if (picked === undefined) return undefined;
    task = picked;
    const level = await deps.ui.pick(
      [0, 1, 2, 3, 4, 5].map((n) => ({ label: `LOA ${n}`, description: n === s.loa ? "default" : "", value: n })),
      "Level of autonomy",
    );
    if (level === undefined) return undefined;
    loa = level;
  }
  const body: PlanBody = { task, loa, tenant: s.tenant };
  if (input) body.input = input;
  if (s.env) body.env = s.env;
  if (Object.keys(s.overrides).length) body.overrides = { ...s.overrides };
  return body;
}

function where(text: EditorText): string {
  const name = text.fileName.split(/[\\/]/).pop() ?? text.fileName;
  return text.startLine === text.endLine ? `${name}:${text.startLine}` : `${name}:${text.startLine}-${text.endLine}`;
}

function stopNote(result: ExecuteResult): string {
  switch (result.audit.stopped_reason) {
    case null:
    case undefined:
      return "";
    case "killed":
      return " Stopped by the kill switch: the answer is partial.";
    case "cost_cap":
      return " Stopped at the cost cap: the answer is partial.";
    case "upstream_error":
      return " The upstream failed mid-answer: the answer is partial.";
    default:
      return ` Stopped: ${result.audit.stopped_reason}.`;
  }
}

/** One line for the end of an execution: model, audit id, latency, cost. */
export function resultLine(result: ExecuteResult): string {
  const attempts = result.audit.attempts.length;
  return (
    `${result.decision.model} · audit ${result.audit_id} · ${ms(result.latency_ms)} · ${usd(result.audit.cost_usd)}` +
    (attempts > 1 ? ` · ${attempts} attempts` : "")
  );
}

/** Execute Route: send the selection (or the file) through /route/execute. */
export async function executeRoute(deps: Deps): Promise<ExecuteResult | undefined> {
  const text = deps.editor();
  if (!text || !text.text.trim()) {
    await deps.ui.warn("Select some text, or open a file, to send through Symphony.");
    return undefined;
  }
  return guarded(deps, async () => {
    const body = await requestBody(deps, text.text);
    if (!body) return undefined;
    const s = deps.settings();
    const out = deps.output;
    out.show();
    out.appendLine(`▶ ${body.task} · LOA ${body.loa} · ${text.text.length} chars from ${where(text)}${text.isSelection ? "" : " (whole file)"}`);
    const run = deps.ui.progress(`Symphony: running ${body.task}…`, async (signal) => {
      if (!s.stream) {
        const r = await deps.client.execute(body, { signal });
        out.appendLine(`→ ${r.decision.model}`);
        out.append(r.answer);
        return r;
      }
      return deps.client.executeStream(
        body,
        {
          onModel: (m) => out.appendLine(`→ ${m.model}${m.attempts && m.attempts > 1 ? ` (attempt ${m.attempts})` : ""}`),
          onDelta: (t) => out.append(t),
        },
        { signal, timeoutMs: s.timeoutSeconds * 1000 },
      );
    });
    let result: ExecuteResult;
    try {
      result = await run;
    } catch (err) {
      out.appendLine("");
      out.appendLine(`✘ ${userMessage(err)}`);
      throw err;
    }
    out.appendLine("");
    out.appendLine(`✔ ${resultLine(result)}${stopNote(result)}`);
    const message = `Symphony: ${resultLine(result)}.${stopNote(result)}`;
    const actions = ["Explain", "Open Audit Record", "Copy Audit ID"];
    const choice = result.audit.stopped_reason ? await deps.ui.warn(message, ...actions) : await deps.ui.info(message, ...actions);
    if (choice === "Explain") {
      await explainBody(deps, body, `Plan computed now for the same input; the execution ran plan ${result.audit.plan_id} (audit ${result.audit_id}) on ${result.decision.model}.`);
    } else if (choice === "Open Audit Record") {
      await openAudit(deps, result.audit_id);
    } else if (choice === "Copy Audit ID") {
      await deps.ui.copy(result.audit_id);
    }
    return result;
  });
}

/** Plan `body` and show it; a 409 still shows every candidate and why it was denied. */
export async function explainBody(deps: Deps, body: PlanBody, note?: string): Promise<Plan | undefined> {
  return guarded(deps, async () => {
    try {
      const plan = await deps.ui.progress("Symphony: planning…", (signal) => deps.client.plan(body, { signal }));
      deps.explain.show(plan, body, note ? { note } : {});
      return plan;
    } catch (err) {
      if (err instanceof SymphonyError && (err.kind === "no_eligible_model" || err.kind === "killed")) {
        const plan = err.body as Plan;
        deps.explain.show(plan, body, { noEligible: err.message, ...(note ? { note } : {}) });
        return plan;
      }
      throw err;
    }
  });
}

/** Explain Route: which model would run the selection (or the task alone), and why. */
export async function explainRoute(deps: Deps): Promise<Plan | undefined> {
  const text = deps.editor();
  const input = text && text.text.trim() ? text.text : undefined;
  const body = await requestBody(deps, input);
  if (!body) return undefined;
  return explainBody(deps, body, input ? undefined : "No selection: planned the task alone (no input text).");
}

/** File Incident: POST /incidents with the selection as context; show the ticket links. */
export async function fileIncident(deps: Deps): Promise<Incident | undefined> {
  const text = deps.editor();
  const selection = text && text.text.trim() ? text : undefined;
  const suggested = selection ? clip(selection.text.split(/\r?\n/).find((l) => l.trim()) ?? "", 80) : "";
  const title = await deps.ui.input({
    prompt: "Incident title",
    value: suggested,
    validate: (v) => (!v.trim() ? "A title is required." : v.length > 200 ? "At most 200 characters." : null),
  });
  if (title === undefined) return undefined;
  const s = deps.settings();
  const severity = await deps.ui.pick(
    s.incidentSeverities.map((v) => ({ label: v, value: v })),
    "Severity",
  );
  if (severity === undefined) return undefined;
  const description = await deps.ui.input({ prompt: "What happened? (optional)", placeHolder: "what you saw, what you expected" });
  if (description === undefined) return undefined;
  const parts = [description.trim()];
  if (selection) {
    const context = selection.text.length > MAX_CONTEXT_CHARS ? `${selection.text.slice(0, MAX_CONTEXT_CHARS)}\n… (cut at ${MAX_CONTEXT_CHARS} characters)` : selection.text;
    parts.push(`Context from \`${where(selection)}\`:\n\n\`\`\`${selection.languageId}\n${context}\n\`\`\``);
  }
  const body = { title: title.trim(), body: parts.filter(Boolean).join("\n\n") || title.trim(), severity };
  return guarded(deps, async () => {
    const incident = await deps.ui.progress("Symphony: filing the incident…", (signal) => deps.client.createIncident(body, { signal }));
    const links = incident.tickets.map((t) => ({
      label: `Open ${t.system === "github" ? "GitHub" : t.system === "jira" ? "Jira" : t.system} ${t.key}`,
      url: t.url,
    }));
    const tickets = incident.tickets.length
      ? incident.tickets.map((t) => `${t.system} ${t.key}`).join(", ")
      : "no tickets yet (they are created in the background and retried until they exist)";
    deps.output.appendLine(`Incident ${incident.id} (${incident.state}, ${severity}): ${title.trim()}`);
    for (const t of incident.tickets) deps.output.appendLine(`  ${t.system} ${t.key}: ${t.url}`);
    const choice = await deps.ui.info(`Incident ${incident.id} ${incident.state}: ${tickets}.`, ...links.map((l) => l.label));
    const link = links.find((l) => l.label === choice);
    if (link) await deps.ui.openUrl(link.url);
    return incident;
  });
}

/** Set API Key: store it in SecretStorage, then check that Symphony accepts it. */
export async function setApiKey(deps: Deps): Promise<boolean> {
  const key = await deps.ui.input({
    prompt: "Symphony API key (stored in VS Code's SecretStorage, never in settings)",
    password: true,
    placeHolder: "the last line printed by `symphony keys create`",
    validate: (v) => (!v.trim() ? "The key is empty." : /\s/.test(v.trim()) ? "A key has no spaces." : null),
  });
  if (key === undefined) return false;
  await deps.secrets.set(key.trim());
  deps.keyChanged();
  try {
    await deps.client.models(deps.settings().tenant, { timeoutMs: 10_000 });
    await deps.ui.info(`Symphony API key saved; ${deps.client.baseUrl} accepts it.`);
    return true;
  } catch (err) {
    await deps.ui.warn(`Symphony API key saved, but the check failed: ${userMessage(err)}`);
    return false;
  }
}

export async function clearApiKey(deps: Deps): Promise<void> {
  await deps.secrets.delete();
  deps.keyChanged();
  await deps.ui.info("Symphony API key removed from SecretStorage.");
}

/** Open one audit record as JSON (operator role). */
export async function openAudit(deps: Deps, id?: string): Promise<boolean> {
  const auditId =
    id ??
    (await deps.ui.input({
      prompt: "Audit record id",
      placeHolder: "aud_…",
      validate: (v) => (/^aud_[A-Za-z0-9_-]+$/.test(v.trim()) ? null : "An audit id looks like aud_…"),
    }));
  if (!auditId) return false;
  const record = await guarded(deps, () => deps.client.auditRecord(auditId.trim()));
  if (!record) return false;
  await deps.ui.openDocument(JSON.stringify(record, null, 2), "json");
  return true;
}
