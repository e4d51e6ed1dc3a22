/**
 * The live state behind the Model Matrix view and the status bar: GET /models, GET /control
 * and a plan for your default task, kept current by the /events stream.
 */

import type { SymphonyClient } from "./api";
import { SymphonyError, userMessage } from "./errors";
import { type EventStreamOptions, EventStream, type StreamState } from "./events";
import { MatrixModel } from "./matrix";
import type { Settings } from "./ports";
import type { Connection, StatusInput } from "./status";
import type { Kill, SymphonyEvent } from "./types";

export interface LiveOptions {
  client: SymphonyClient;
  settings: () => Settings;
  /** Called whenever what the view or status bar shows changed. */
  onChange: () => void;
  now?: () => number;
  /** Events arriving within this many ms cause one refetch (default 750). */
  debounceMs?: number;
  /** Plans triggered by usage events are at most this often (default 60 s); kills and policy changes replan at once. */
  planIntervalMs?: number;
  stream?: Partial<Pick<EventStreamOptions, "initialDelayMs" | "maxDelayMs" | "idleTimeoutMs">>;
}

const REPLAN_NOW = new Set(["control.kill", "control.unkill", "policy.update", "reset"]);
const REPLAN_LATER = new Set(["window.update", "rate.limit", "route.execute"]);
const MAX_BOUNDARY_WAIT_MS = 10 * 60_000;

export class Live {
  readonly matrix = new MatrixModel();
  connection: Connection = "stopped";
  topModel: string | null = null;
  topReason: string | null = null;
  kills: Kill[] | null = null;
  lastError: string | null = null;
  /** The most recent events (newest last), for the output channel and tests. */
  readonly recent: SymphonyEvent[] = [];
  private readonly stream: EventStream;
  private readonly now: () => number;
  private refetchTimer: NodeJS.Timeout | null = null;
  private planTimer: NodeJS.Timeout | null = null;
  private boundaryTimer: NodeJS.Timeout | null = null;
  private lastPlanAt = 0;
  private running = false;
  private killsForbidden = false;
  private pending: Promise<unknown>[] = [];

  constructor(private readonly options: LiveOptions) {
    this.now = options.now ?? Date.now;
    this.stream = new EventStream({
      client: options.client,
      onEvent: (e) => this.onEvent(e),
      onState: (s) => this.onState(s),
      ...options.stream,
    });
  }

  get lastEventId(): string | null {
    return this.stream.lastEventId;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.connection = "connecting";
    this.track(this.refresh());
    this.track(this.planTop());
    this.stream.start();
  }

  async stop(): Promise<void> {
    this.running = false;
    for (const t of [this.refetchTimer, this.planTimer, this.boundaryTimer]) if (t) clearTimeout(t);
    await this.stream.stop();
    await Promise.allSettled(this.pending);
    this.connection = "stopped";
  }

  /** Reconnect and reload everything (after the key or base URL changed). */
  restart(): void {
    if (!this.running) return;
    this.killsForbidden = false;
    this.stream.restart();
    this.track(this.refresh());
    this.track(this.planTop());
  }

  /** Wait for the loads started so far (tests). */
  async settled(): Promise<void> {
    while (this.pending.length) await Promise.allSettled(this.pending.splice(0));
  }

  private track(p: Promise<unknown>): void {
    this.pending.push(p);
    void p.finally(() => {
      const i = this.pending.indexOf(p);
      if (i >= 0) this.pending.splice(i, 1);
    });
  }

  /** Reload the matrix (and the kills, if the key may read them). */
  async refresh(): Promise<void> {
    const s = this.options.settings();
    try {
      const matrix = await this.options.client.models(s.tenant, { timeoutMs: 15_000 });
      this.matrix.setItems(matrix.items, this.now(), matrix.policy_version ?? null);
      this.lastError = null;
      if (this.connection === "down" || this.connection === "key") this.connection = "connecting";
    } catch (err) {
      this.fail(err);
    }
    if (!this.killsForbidden) {
      try {
        this.kills = await this.options.client.kills({ timeoutMs: 15_000 });
      } catch (err) {
        // A client key may not read /control: the matrix's `killed` says enough. Do not ask
        // again (each refusal is an error on the service) until the key changes.
        this.kills = null;
        if (err instanceof SymphonyError && err.kind === "forbidden") this.killsForbidden = true;
      }
    }
    this.scheduleBoundary();
    this.changed();
  }

  /** Plan the default task to know the top model (an audited route.plan on the service). */
  async planTop(): Promise<void> {
    const s = this.options.settings();
    this.lastPlanAt = this.now();
    try {
      const plan = await this.options.client.plan({ task: s.task, loa: s.loa, tenant: s.tenant }, { timeoutMs: 15_000 });
      this.topModel = plan.decision.primary?.model ?? null;
      this.topReason = null;
    } catch (err) {
      if (err instanceof SymphonyError && (err.kind === "killed" || err.kind === "no_eligible_model")) {
        this.topModel = null;
        this.topReason = err.kind === "killed" ? "kill switch on" : "every candidate denied";
      } else {
        this.fail(err);
      }
    }
    this.changed();
  }

  private fail(err: unknown): void {
    this.lastError = userMessage(err);
    this.matrix.setError(this.lastError);
    if (err instanceof SymphonyError) {
      if (err.kind === "no_key" || err.kind === "bad_key") this.connection = "key";
      else if (err.kind === "unreachable" || err.kind === "timeout") this.connection = "down";
    }
  }

  private onState(state: StreamState): void {
    if (state.state === "open") {
      this.connection = "live";
    } else if (state.state === "waiting") {
      if (state.error) this.fail(state.error);
      else this.connection = "reconnecting";
    } else if (state.state === "connecting" && this.connection === "live") {
      this.connection = "reconnecting";
    }
    this.changed();
  }

  private onEvent(event: SymphonyEvent): void {
    this.recent.push(event);
    if (this.recent.length > 50) this.recent.shift();
    const effect = this.matrix.applyEvent(event, this.now());
    if (effect === "changed") this.changed();
    if (effect === "refetch") this.scheduleRefresh();
    if (REPLAN_NOW.has(event.type)) this.schedulePlan(0);
    else if (REPLAN_LATER.has(event.type)) {
      const interval = this.options.planIntervalMs ?? 60_000;
      this.schedulePlan(Math.max(0, this.lastPlanAt + interval - this.now()));
    }
  }

  private scheduleRefresh(): void {
    if (this.refetchTimer || !this.running) return;
    this.refetchTimer = setTimeout(() => {
      this.refetchTimer = null;
      this.track(this.refresh());
    }, this.options.debounceMs ?? 750);
  }

  private schedulePlan(delayMs: number): void {
    if (!this.running) return;
    if (this.planTimer) {
      if (delayMs > 0) return; // one is already due
      clearTimeout(this.planTimer);
    }
    this.planTimer = setTimeout(() => {
      this.planTimer = null;
      this.track(this.planTop());
    }, Math.max(delayMs, this.options.debounceMs ?? 750));
  }

  /** Refetch just after the next reset or power-window edge, when the service's answer changes by itself. */
  private scheduleBoundary(): void {
    if (this.boundaryTimer) clearTimeout(this.boundaryTimer);
    this.boundaryTimer = null;
    if (!this.running) return;
    const next = this.matrix.nextBoundary(this.now());
    if (next === null) return;
    const wait = Math.min(next - this.now() + 1000, MAX_BOUNDARY_WAIT_MS);
    this.boundaryTimer = setTimeout(() => {
      this.boundaryTimer = null;
      this.track(this.refresh());
    }, wait);
  }

  /** Tell the views; nothing after stop() (a late load must not wake disposed views). */
  private changed(): void {
    if (this.running) this.options.onChange();
  }

  status(): StatusInput {
    const s = this.options.settings();
    return {
      connection: this.connection,
      topModel: this.topModel,
      topReason: this.topReason,
      task: s.task,
      kills: this.kills,
      killedModels: this.matrix.killed(),
      modelCount: this.matrix.size,
      error: this.lastError,
      baseUrl: this.options.client.baseUrl,
    };
  }
}
