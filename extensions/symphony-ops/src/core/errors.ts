/** Typed failures of Symphony calls, each with a message a user can act on. */

import type { Candidate } from "./types";

export type ErrorKind =
  | "unreachable" // nothing listens at the base URL (or DNS/TLS failed)
  | "timeout" // no answer in time
  | "cancelled" // the user cancelled
  | "no_key" // 401 and no key is set
  | "bad_key" // 401 with a key set
  | "forbidden" // 403: the key's role or tenant does not allow it
  | "killed" // the kill switch stops every candidate
  | "no_eligible_model" // 409: every candidate denied for other reasons
  | "validation" // 422: the body was refused, with field paths
  | "not_found" // 404 for a named thing (model, tenant, audit record, kill)
  | "missing_endpoint" // 404/405 on the route itself: this service does not have it
  | "rate_limited" // 429
  | "all_failed" // 502: every attempt failed
  | "server" // any other non-2xx
  | "protocol"; // a 2xx answer we could not read

export interface ErrorContext {
  method: string;
  path: string;
  baseUrl: string;
  hadKey: boolean;
}

export class SymphonyError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
    readonly context: ErrorContext,
    readonly status: number | null = null,
    readonly code: string | null = null,
    readonly body: unknown = null,
  ) {
    super(message);
    this.name = "SymphonyError";
  }
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function where(ctx: ErrorContext): string {
  return `${ctx.method} ${ctx.path}`;
}

/** Why each candidate was denied, one short line per model (at most `limit`). */
export function denialSummary(candidates: Candidate[], limit = 6): string {
  const lines = candidates
    .filter((c) => c.denied)
    .slice(0, limit)
    .map((c) => `${c.model}: ${c.deny_reasons.map((r) => r.detail || r.code).join("; ")}`);
  const more = candidates.filter((c) => c.denied).length - lines.length;
  return lines.join(" · ") + (more > 0 ? ` · and ${more} more` : "");
}

function killDetail(candidates: Candidate[]): string | null {
  for (const c of candidates) {
    const hit = c.deny_reasons.find((r) => r.code === "killed");
    if (hit) return hit.detail || "killed";
  }
  return null;
}

function conflict(body: Json, ctx: ErrorContext, status: number, code: string): SymphonyError {
  const candidates = Array.isArray(body.candidates) ? (body.candidates as Candidate[]) : [];
  const kill = killDetail(candidates);
  const everyKilled =
    candidates.length > 0 &&
    candidates.every((c) => c.deny_reasons.some((r) => r.code === "killed"));
  if (kill && everyKilled) {
    return new SymphonyError(
      "killed",
      `The kill switch is on (${kill}), so nothing runs for this request. ` +
        "An operator can lift it with “Symphony: Kill Switch: Lift a Kill…”.",
      ctx,
      status,
      code,
      body,
    );
  }
  const killNote = kill ? ` The kill switch is on for part of it (${kill}).` : "";
  return new SymphonyError(
    "no_eligible_model",
    `No model may run this work: every candidate was denied.${killNote} ${denialSummary(candidates)}`.trim(),
    ctx,
    status,
    code,
    body,
  );
}

function fieldList(error: Json): string {
  const fields = Array.isArray(error.fields) ? (error.fields as Json[]) : [];
  return fields
    .slice(0, 5)
    .map((f) => `${String(f.path ?? "?")}: ${String(f.message ?? "")}`)
    .join("; ");
}

function attemptsOf(body: Json): string {
  const error = isObject(body.error) ? body.error : {};
  const detail = isObject(error.detail) ? error.detail : body;
  const audit = isObject(detail.audit) ? detail.audit : detail;
  const attempts = Array.isArray(audit.attempts) ? (audit.attempts as Json[]) : [];
  return attempts
    .map((a) => `${String(a.model)} (${a.status ?? "no status"}: ${String(a.reason ?? a.outcome ?? "")})`)
    .join(", ");
}

/** The error for a non-2xx answer, from its status and JSON body. */
export function errorFromResponse(
  status: number,
  body: unknown,
  ctx: ErrorContext,
  retryAfter: string | null = null,
): SymphonyError {
  const json = isObject(body) ? body : {};
  const error = isObject(json.error) ? json.error : {};
  const code = typeof error.code === "string" ? error.code : null;
  const serverMessage =
    typeof error.message === "string" ? error.message : typeof body === "string" ? body : "";
  const make = (kind: ErrorKind, message: string) =>
    new SymphonyError(kind, message, ctx, status, code, body);

  if (status === 401) {
    return ctx.hadKey
      ? make(
          "bad_key",
          `Symphony at ${ctx.baseUrl} rejected the API key (401). ` +
            "Set the right one with “Symphony: Set API Key”.",
        )
      : make(
          "no_key",
          `Symphony at ${ctx.baseUrl} needs an API key (401 on ${where(ctx)}). ` +
            "Create one with `symphony keys create --role client --name <you>` and store it with “Symphony: Set API Key”.",
        );
  }
  if (status === 403) {
    return make(
      "forbidden",
      `Your key may not do this (403 on ${where(ctx)}): ${serverMessage || "forbidden"}`,
    );
  }
  if (status === 409 && code === "no_eligible_model") {
    return conflict(json, ctx, status, code);
  }
  if (status === 422) {
    const fields = fieldList(error);
    return make(
      "validation",
      `Symphony refused the request (${where(ctx)}): ${fields || serverMessage || "invalid request"}`,
    );
  }
  if ((status === 404 || status === 405) && (code === null || /^(Not Found|Method Not Allowed)$/.test(serverMessage))) {
    return make(
      "missing_endpoint",
      `This Symphony (${ctx.baseUrl}) does not offer ${where(ctx)} (${status}); it needs a newer Symphony.`,
    );
  }
  if (status === 404) {
    return make("not_found", `Not found (${where(ctx)}): ${serverMessage}`);
  }
  if (status === 429) {
    const wait = retryAfter ? ` Try again in ${retryAfter} s.` : "";
    return make("rate_limited", `Symphony is rate-limiting this key (429).${wait}`);
  }
  if (status === 502 && code === "all_candidates_failed") {
    const attempts = attemptsOf(json);
    return make(
      "all_failed",
      `Every candidate model failed${attempts ? `: ${attempts}` : ""}. ${serverMessage}`.trim(),
    );
  }
  return make(
    "server",
    `Symphony answered ${status}${code ? ` ${code}` : ""} on ${where(ctx)}${serverMessage ? `: ${serverMessage}` : ""}`,
  );
}

const UNREACHABLE_CODES = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ECONNRESET",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EPIPE",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
]);

function causeCode(err: unknown): string | null {
  let current: unknown = err;
  for (let depth = 0; depth < 4 && isObject(current); depth++) {
    if (typeof current.code === "string") return current.code;
    current = (current as { cause?: unknown }).cause;
  }
  return null;
}

/** The error for a request that got no HTTP answer at all. */
export function errorFromFailure(
  err: unknown,
  ctx: ErrorContext,
  timeoutMs: number,
  userCancelled: boolean,
): SymphonyError {
  if (err instanceof SymphonyError) return err;
  const name = isObject(err) && typeof err.name === "string" ? err.name : "";
  if (userCancelled) {
    return new SymphonyError("cancelled", `Cancelled (${where(ctx)}).`, ctx);
  }
  if (name === "TimeoutError" || name === "AbortError") {
    return new SymphonyError(
      "timeout",
      `Symphony at ${ctx.baseUrl} did not answer ${where(ctx)} within ${Math.round(timeoutMs / 1000)} s.`,
      ctx,
    );
  }
  const code = causeCode(err);
  const text = err instanceof Error ? err.message : String(err);
  // fetch() reports network failures as TypeError("fetch failed"/"terminated") with a cause.
  const network = name === "TypeError" && /fetch failed|terminated|network|socket/i.test(text);
  if ((code !== null && UNREACHABLE_CODES.has(code)) || network) {
    return new SymphonyError(
      "unreachable",
      `Symphony is not reachable at ${ctx.baseUrl}${code ? ` (${code})` : ""}. ` +
        "Start it (`symphony serve`, or `scripts/serve` for the demo) or fix the setting symphony.baseUrl.",
      ctx,
    );
  }
  return new SymphonyError("protocol", `${where(ctx)} at ${ctx.baseUrl} failed: ${text}${code ? ` (${code})` : ""}`, ctx);
}

/** A user-facing sentence for anything thrown by the extension's calls. */
export function userMessage(err: unknown): string {
  if (err instanceof SymphonyError) return err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}
