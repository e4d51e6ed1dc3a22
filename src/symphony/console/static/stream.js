// Server-Sent Events over fetch(): EventSource cannot send an Authorization header.
// Parses `id:`, `event:`, `data:` and `retry:` lines and reconnects with Last-Event-ID.

import { authHeaders, getKey, onKeyChange, requestKey, unauthorizedReason, forgetKey } from "./api.js";
import { sleep } from "./dom.js";

/** Feed text chunks in, get whole SSE messages out ({id, event, data, retry}). */
export class SseParser {
  constructor(onMessage) {
    this.onMessage = onMessage;
    this.buffer = "";
    this.reset();
  }

  reset() {
    this.event = "";
    this.data = [];
    this.id = null;
    this.retry = null;
  }

  push(chunk) {
    this.buffer += chunk;
    const lines = this.buffer.split(/\r\n|\r|\n/);
    // A lone trailing "\r" may be half of "\r\n": keep it for the next chunk.
    this.buffer = lines.pop();
    for (const line of lines) this.line(line);
  }

  line(line) {
    if (line === "") {
      if (this.data.length || this.id !== null || this.retry !== null) {
        this.onMessage({ id: this.id, event: this.event || "message", data: this.data.length ? this.data.join("\n") : null, retry: this.retry });
      }
      this.reset();
      return;
    }
    if (line.startsWith(":")) return; // comment / keep-alive
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") this.data.push(value);
    else if (field === "event") this.event = value;
    else if (field === "id" && !value.includes("\0")) this.id = value;
    else if (field === "retry" && /^\d+$/.test(value)) this.retry = Number(value);
  }
}

/**
 * Keep /events open: onEvent(type, data, id) for each event, onState(state, detail) with
 * "connecting" | "live" | "reconnecting" | "needs-key". Returns a stop() function.
 */
export function openStream({ onEvent, onState, path = "/events" }) {
  let stopped = false;
  let lastId = null;
  let retryMs = 3000;
  let controller = null;
  let keyWaiter = null;

  onKeyChange((key) => {
    if (key && keyWaiter) keyWaiter();
  });

  const waitForKey = () => new Promise((resolve) => {
    keyWaiter = () => {
      keyWaiter = null;
      resolve();
    };
  });

  async function connectOnce() {
    controller = new AbortController();
    const sentKey = getKey();
    const extra = { Accept: "text/event-stream" };
    if (lastId !== null) extra["Last-Event-ID"] = lastId;
    const res = await fetch(path, { headers: authHeaders(extra), signal: controller.signal, cache: "no-store" });
    if (res.status === 401) {
      if (getKey() !== sentKey) return true; // a key arrived meanwhile: use it
      if (sentKey) forgetKey();
      onState("needs-key");
      if (!(await requestKey(unauthorizedReason(Boolean(sentKey))))) await waitForKey();
      return true; // a key is there now: reconnect at once
    }
    if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
    onState("live");
    const parser = new SseParser((msg) => {
      if (msg.id !== null) lastId = msg.id;
      if (msg.retry !== null) retryMs = Math.max(500, msg.retry);
      if (msg.data === null) return;
      let data;
      try {
        data = JSON.parse(msg.data);
      } catch {
        data = { type: msg.event, text: msg.data };
      }
      onEvent(msg.event, data, msg.id);
    });
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      parser.push(value);
    }
    return false;
  }

  (async () => {
    onState("connecting");
    while (!stopped) {
      try {
        if (await connectOnce()) continue;
        if (stopped) return;
      } catch (err) {
        if (stopped) return;
        if (err && err.name === "AbortError") return;
      }
      onState("reconnecting", retryMs);
      await sleep(retryMs);
    }
  })();

  return () => {
    stopped = true;
    if (controller) controller.abort();
  };
}
