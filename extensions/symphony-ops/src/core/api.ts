/** The Symphony HTTP client: Node's fetch, bearer key, typed answers and typed errors. */

import { type ErrorContext, SymphonyError, errorFromFailure, errorFromResponse } from "./errors";
import { SseParser } from "./sse";
import type {
  AuditRecord,
  Burndown,
  ExecuteBody,
  ExecuteResult,
  Health,
  Incident,
  IncidentBody,
  Kill,
  KillResult,
  KillScope,
  Matrix,
  Plan,
  PlanBody,
  ReloadResult,
  UnkillResult,
} from "./types";

export type FetchLike = typeof fetch;

export interface ClientOptions {
  /** Read on every call, so a settings change applies at once. */
  baseUrl: () => string;
  /** The API key from SecretStorage (undefined: send none). */
  getKey: () => Promise<string | undefined>;
  timeoutMs?: () => number;
  fetch?: FetchLike;
  userAgent?: string;
}

export interface CallOptions {
  signal?: AbortSignal;
  /** Overrides the configured timeout; 0 means none. */
  timeoutMs?: number;
}

export interface StreamHandlers {
  onModel?: (info: { model: string; attempts?: number }) => void;
  onDelta?: (text: string) => void;
}

export interface McpProbe {
  url: string;
  protocolVersion: string | null;
  serverName: string | null;
  serverVersion: string | null;
  tools: string[] | null;
}

const STREAM_ERROR_STATUS: Record<string, number> = {
  no_eligible_model: 409,
  all_candidates_failed: 502,
  validation_error: 422,
  not_found: 404,
  unauthorized: 401,
  forbidden: 403,
  rate_limited: 429,
  store_unavailable: 503,
};

export const MCP_PROTOCOL_VERSION = "2025-06-18";

/** Join the configured base URL and a path, tolerating a trailing slash on the base. */
export function joinUrl(base: string, path: string): string {
  return base.replace(/\/+$/, "") + (path.startsWith("/") ? path : `/${path}`);
}

export class SymphonyClient {
  private readonly fetchImpl: FetchLike;

  constructor(private readonly options: ClientOptions) {
    this.fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
  }

  get baseUrl(): string {
    return this.options.baseUrl().replace(/\/+$/, "");
  }

  /** Headers every call sends (the bearer key when one is set). */
  async headers(accept = "application/json"): Promise<Record<string, string>> {
    const key = await this.options.getKey();
    const headers: Record<string, string> = { accept };
    if (this.options.userAgent) headers["user-agent"] = this.options.userAgent;
    if (key) headers.authorization = `Bearer ${key}`;
    return headers;
  }

  private timeout(call?: CallOptions): number {
    return call?.timeoutMs ?? this.options.timeoutMs?.() ?? 120_000;
  }

  /** Send one request; return the parsed JSON body or throw a SymphonyError. */
  async request<T>(method: string, path: string, body?: unknown, call?: CallOptions): Promise<T> {
    const response = await this.send(method, path, body, "application/json", call);
    const text = await response.text();
    try {
      return (text ? JSON.parse(text) : null) as T;
    } catch {
      throw new SymphonyError(
        "protocol",
        `Symphony answered ${method} ${path} with something that is not JSON: ${text.slice(0, 120)}`,
        { method, path, baseUrl: this.baseUrl, hadKey: false },
        response.status,
      );
    }
  }

  /** Send a request and return the 2xx response (its body unread); throw on anything else. */
  async send(
    method: string,
    path: string,
    body: unknown,
    accept: string,
    call?: CallOptions,
    extraHeaders: Record<string, string> = {},
  ): Promise<Response> {
    const headers = { ...(await this.headers(accept)), ...extraHeaders };
    const ctx: ErrorContext = {
      method,
      path,
      baseUrl: this.baseUrl,
      hadKey: "authorization" in headers,
    };
    if (body !== undefined) headers["content-type"] = "application/json";
    const timeoutMs = this.timeout(call);
    // timeoutMs 0: no deadline (long-lived streams watch their own idleness instead).
    const signals = [call?.signal, timeoutMs > 0 ? AbortSignal.timeout(timeoutMs) : undefined];
    const present = signals.filter((s): s is AbortSignal => s !== undefined);
    const signal = present.length > 1 ? AbortSignal.any(present) : present[0];
    let response: Response;
    try {
      response = await this.fetchImpl(joinUrl(this.baseUrl, path), {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
      });
    } catch (err) {
      throw errorFromFailure(err, ctx, timeoutMs, call?.signal?.aborted ?? false);
    }
    if (!response.ok) {
      const text = await response.text().catch(() => "");
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // not JSON: keep the text for the message
      }
      throw errorFromResponse(response.status, parsed, ctx, response.headers.get("retry-after"));
    }
    return response;
  }

  plan(body: PlanBody, call?: CallOptions): Promise<Plan> {
    return this.request<Plan>("POST", "/route/plan", body, call);
  }

  execute(body: ExecuteBody, call?: CallOptions): Promise<ExecuteResult> {
    return this.request<ExecuteResult>("POST", "/route/execute", { ...body, stream: false }, call);
  }

  /**
   * Execute with `stream: true`: deltas arrive through `handlers` as the model writes;
   * resolves with the final result. SSE is asked for explicitly: the service honours Accept
   * (`application/json` would get the whole result as one JSON document instead).
   */
  async executeStream(
    body: ExecuteBody,
    handlers: StreamHandlers,
    call?: CallOptions,
  ): Promise<ExecuteResult> {
    const path = "/route/execute";
    const response = await this.send("POST", path, { ...body, stream: true }, "text/event-stream", call);
    const ctx: ErrorContext = { method: "POST", path, baseUrl: this.baseUrl, hadKey: false };
    if (!(response.headers.get("content-type") ?? "").includes("text/event-stream")) {
      return (await response.json()) as ExecuteResult; // a server that answered JSON anyway
    }
    const parser = new SseParser();
    const decoder = new TextDecoder();
    let result: ExecuteResult | null = null;
    const reader = response.body?.getReader();
    if (!reader) throw new SymphonyError("protocol", "the stream had no body", ctx, response.status);
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        for (const message of parser.feed(decoder.decode(value, { stream: true }))) {
          const data = parseJson(message.data, ctx);
          if (message.event === "delta") handlers.onDelta?.(String(data.text ?? ""));
          else if (message.event === "model") {
            handlers.onModel?.(data as { model: string; attempts?: number });
          } else if (message.event === "result") result = data as unknown as ExecuteResult;
          else if (message.event === "error") {
            const error = (data.error ?? {}) as { code?: string };
            const status = STREAM_ERROR_STATUS[error.code ?? ""] ?? 500;
            throw errorFromResponse(status, data, ctx);
          }
        }
      }
    } catch (err) {
      throw errorFromFailure(err, ctx, this.timeout(call), call?.signal?.aborted ?? false);
    } finally {
      reader.releaseLock();
    }
    if (result === null) {
      throw new SymphonyError("protocol", "the stream ended without a result event", ctx, 200);
    }
    return result;
  }

  models(tenant = "default", call?: CallOptions): Promise<Matrix> {
    return this.request<Matrix>("GET", `/models?tenant=${encodeURIComponent(tenant)}`, undefined, call);
  }

  health(call?: CallOptions): Promise<Health> {
    return this.request<Health>("GET", "/status/health.json", undefined, call);
  }

  burndown(call?: CallOptions): Promise<Burndown> {
    return this.request<Burndown>("GET", "/status/burndown.json", undefined, call);
  }

  /** Active kills (operator role). */
  async kills(call?: CallOptions): Promise<Kill[]> {
    return (await this.request<{ active: Kill[] }>("GET", "/control", undefined, call)).active;
  }

  kill(scope: KillScope, target: string | null, reason: string, call?: CallOptions): Promise<KillResult> {
    const body = scope === "all" ? { scope, reason } : { scope, target, reason };
    return this.request<KillResult>("POST", "/control/kill", body, call);
  }

  unkill(scope: KillScope, target: string | null, reason?: string, call?: CallOptions): Promise<UnkillResult> {
    const body: Record<string, unknown> = scope === "all" ? { scope } : { scope, target };
    if (reason) body.reason = reason;
    return this.request<UnkillResult>("POST", "/control/unkill", body, call);
  }

  /** POST /policy/reload; an invalid file is an answer (ok=false, errors), not a throw. */
  async reloadPolicy(call?: CallOptions): Promise<ReloadResult> {
    try {
      return await this.request<ReloadResult>("POST", "/policy/reload", undefined, call);
    } catch (err) {
      if (err instanceof SymphonyError && err.status === 422 && isReload(err.body)) return err.body;
      throw err;
    }
  }

  auditRecord(id: string, call?: CallOptions): Promise<AuditRecord> {
    return this.request<AuditRecord>("GET", `/audit/${encodeURIComponent(id)}`, undefined, call);
  }

  async auditQuery(query: { type?: string; limit?: number }, call?: CallOptions): Promise<AuditRecord[]> {
    const params = new URLSearchParams();
    if (query.type) params.set("type", query.type);
    params.set("limit", String(query.limit ?? 20));
    const page = await this.request<{ items: AuditRecord[] }>("GET", `/audit?${params}`, undefined, call);
    return page.items;
  }

  /** POST /incidents (contract of the incidents issue: `{title, body, severity}`). */
  createIncident(body: IncidentBody, call?: CallOptions): Promise<Incident> {
    return this.request<Incident>("POST", "/incidents", body, call);
  }

  /** The MCP endpoint Copilot is given: `<base>/mcp/` (the trailing slash avoids a 307). */
  mcpUrl(): string {
    return joinUrl(this.baseUrl, "/mcp/");
  }

  /** Check the MCP endpoint answers `initialize` and `tools/list` (Streamable HTTP, stateless). */
  async probeMcp(call?: CallOptions): Promise<McpProbe> {
    const init = await this.mcpCall(
      "initialize",
      {
        protocolVersion: MCP_PROTOCOL_VERSION,
        capabilities: {},
        clientInfo: { name: "symphony-ops", version: "probe" },
      },
      call,
    );
    const info = (init.serverInfo ?? {}) as { name?: string; version?: string };
    const protocolVersion = typeof init.protocolVersion === "string" ? init.protocolVersion : null;
    let tools: string[] | null = null;
    try {
      const listed = await this.mcpCall("tools/list", {}, call, protocolVersion ?? MCP_PROTOCOL_VERSION);
      tools = Array.isArray(listed.tools) ? (listed.tools as { name: string }[]).map((t) => t.name) : null;
    } catch {
      tools = null; // initialize worked: the server is there even if listing needs a session
    }
    return {
      url: this.mcpUrl(),
      protocolVersion,
      serverName: info.name ?? null,
      serverVersion: info.version ?? null,
      tools,
    };
  }

  private async mcpCall(
    method: string,
    params: Record<string, unknown>,
    call?: CallOptions,
    protocolVersion?: string,
  ): Promise<Record<string, unknown>> {
    const path = "/mcp/";
    const extra: Record<string, string> = {};
    if (protocolVersion) extra["mcp-protocol-version"] = protocolVersion;
    const response = await this.send(
      "POST",
      path,
      { jsonrpc: "2.0", id: 1, method, params },
      "application/json, text/event-stream",
      call,
      extra,
    );
    const text = await response.text();
    const ctx = { method: "POST", path, baseUrl: this.baseUrl, hadKey: false };
    let payload: Record<string, unknown> | null = null;
    try {
      if ((response.headers.get("content-type") ?? "").includes("text/event-stream")) {
        const messages = new SseParser().feed(`${text}\n\n`);
        const last = messages.filter((m) => m.event === "message").pop();
        payload = last ? (JSON.parse(last.data) as Record<string, unknown>) : null;
      } else {
        payload = JSON.parse(text) as Record<string, unknown>;
      }
    } catch {
      payload = null;
    }
    if (payload === null) {
      throw new SymphonyError("protocol", `MCP ${method}: unreadable answer: ${text.slice(0, 120)}`, ctx, response.status);
    }
    if (payload.error) {
      const error = payload.error as { message?: string; code?: number };
      throw new SymphonyError("protocol", `MCP ${method} failed: ${error.message ?? "error"} (${error.code ?? "?"})`, ctx, response.status);
    }
    return (payload.result ?? {}) as Record<string, unknown>;
  }
}

function isReload(body: unknown): body is ReloadResult {
  return typeof body === "object" && body !== null && "ok" in body && "errors" in body;
}

function parseJson(text: string, ctx: ErrorContext): Record<string, unknown> {
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new SymphonyError("protocol", `unreadable stream event: ${text.slice(0, 120)}`, ctx, 200);
  }
}
