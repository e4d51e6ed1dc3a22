/**
 * A live subscription to GET /events that survives drops: it reconnects with backoff and
 * sends `Last-Event-ID`, so the service replays what was missed (or sends `reset`).
 */

import type { SymphonyClient } from "./api";
import { SymphonyError } from "./errors";
import { SseParser } from "./sse";
import type { SymphonyEvent } from "./types";

export type StreamState =
  | { state: "connecting"; attempt: number; lastEventId: string | null }
  | { state: "open" }
  | { state: "waiting"; delayMs: number; error: SymphonyError | null }
  | { state: "stopped" };

export interface EventStreamOptions {
  client: SymphonyClient;
  /** Path and query, e.g. `/events` or `/events?types=window.update`. */
  path?: string;
  onEvent: (event: SymphonyEvent) => void;
  onState?: (state: StreamState) => void;
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** Reconnect when nothing (not even a keep-alive comment) arrived for this long. */
  idleTimeoutMs?: number;
}

export class EventStream {
  /** The id of the last event received; sent as `Last-Event-ID` on reconnect. */
  lastEventId: string | null = null;
  private running = false;
  private connection: AbortController | null = null;
  private wake: (() => void) | null = null;
  private delayMs: number;
  private serverRetryMs: number | null = null;
  private loop: Promise<void> | null = null;
  private reconnectNow = false;

  constructor(private readonly options: EventStreamOptions) {
    this.delayMs = options.initialDelayMs ?? 1000;
  }

  /** Start streaming (idempotent). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Stop and wait until the connection is closed. */
  async stop(): Promise<void> {
    this.running = false;
    this.connection?.abort();
    this.wake?.();
    await this.loop;
    this.loop = null;
  }

  /** Drop the current connection and reconnect now (after a key or URL change). */
  restart(): void {
    this.delayMs = this.options.initialDelayMs ?? 1000;
    this.reconnectNow = true;
    this.connection?.abort();
    this.wake?.();
  }

  private emit(state: StreamState): void {
    this.options.onState?.(state);
  }

  private async run(): Promise<void> {
    let attempt = 0;
    while (this.running) {
      attempt += 1;
      this.emit({ state: "connecting", attempt, lastEventId: this.lastEventId });
      let error: SymphonyError | null = null;
      let healthy = false;
      try {
        healthy = await this.connectOnce();
      } catch (err) {
        error = err instanceof SymphonyError ? err : null;
      }
      if (!this.running) break;
      if (this.reconnectNow) {
        this.reconnectNow = false;
        continue;
      }
      const initial = this.options.initialDelayMs ?? 1000;
      const max = this.options.maxDelayMs ?? 30_000;
      if (healthy) this.delayMs = this.serverRetryMs ?? initial;
      // A refused key will not fix itself: wait long, until restart() after "Set API Key".
      const delay = error && (error.kind === "bad_key" || error.kind === "no_key" || error.kind === "forbidden") ? max : this.delayMs;
      this.emit({ state: "waiting", delayMs: delay, error });
      await this.sleep(delay);
      this.reconnectNow = false; // restart() during the wait already cut it short
      this.delayMs = Math.min(Math.max(this.delayMs, initial) * 2, max);
    }
    this.emit({ state: "stopped" });
  }

  /** One connection; resolves true when it delivered anything (the stream was healthy). */
  private async connectOnce(): Promise<boolean> {
    const controller = new AbortController();
    this.connection = controller;
    const idleMs = this.options.idleTimeoutMs ?? 45_000;
    let idle: NodeJS.Timeout | null = null;
    const touch = () => {
      if (idle) clearTimeout(idle);
      idle = setTimeout(() => controller.abort(), idleMs);
    };
    let healthy = false;
    touch();
    try {
      const extra: Record<string, string> = {};
      if (this.lastEventId !== null) extra["last-event-id"] = this.lastEventId;
      const response = await this.options.client.send(
        "GET",
        this.options.path ?? "/events",
        undefined,
        "text/event-stream",
        { signal: controller.signal, timeoutMs: 0 },
        extra,
      );
      this.emit({ state: "open" });
      const parser = new SseParser(this.lastEventId ?? "");
      const decoder = new TextDecoder();
      const reader = response.body?.getReader();
      if (!reader) return false;
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          healthy = true;
          touch();
          for (const message of parser.feed(decoder.decode(value, { stream: true }))) {
            if (message.hasId) this.lastEventId = message.lastEventId;
            try {
              this.options.onEvent({
                id: message.hasId ? message.lastEventId : null,
                type: message.event,
                data: parseData(message.data),
              });
            } catch {
              // A listener's failure must not drop the connection (it would reconnect forever).
            }
          }
          if (parser.retryMs !== null) this.serverRetryMs = parser.retryMs;
        }
      } finally {
        reader.releaseLock();
      }
    } catch (err) {
      if (healthy || controller.signal.aborted) return healthy; // a drop after data: reconnect
      throw err;
    } finally {
      if (idle) clearTimeout(idle);
      controller.abort(); // close the socket whatever happened
      if (this.connection === controller) this.connection = null;
    }
    return healthy;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = null;
        done();
      };
    });
  }
}

function parseData(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : { value };
  } catch {
    return { raw: text };
  }
}
