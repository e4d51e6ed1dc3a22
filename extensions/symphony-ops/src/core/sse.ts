/** A Server-Sent Events parser that follows the WHATWG event-stream rules. */

export interface SseMessage {
  /** The event type (`message` when the stream gave none). */
  event: string;
  data: string;
  /** The last event id seen on this stream so far (it persists across messages). */
  lastEventId: string;
  /** Whether this message itself carried an `id:` field. */
  hasId: boolean;
}

/** Feed text chunks in; get whole messages out. Comments and `retry:` are reported apart. */
export class SseParser {
  private buffer = "";
  private data: string[] = [];
  private event = "";
  private sawId = false;
  private firstChunk = true;
  lastEventId = "";
  /** The reconnection delay the server asked for with `retry:`, in milliseconds. */
  retryMs: number | null = null;

  constructor(lastEventId = "") {
    this.lastEventId = lastEventId;
  }

  /** Parse one chunk; return the messages it completed. */
  feed(chunk: string, onComment?: (text: string) => void): SseMessage[] {
    if (this.firstChunk && chunk.length > 0) {
      this.firstChunk = false;
      if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
    }
    this.buffer += chunk;
    const out: SseMessage[] = [];
    for (;;) {
      const match = /\r\n|\r|\n/.exec(this.buffer);
      if (match === null) break;
      // A lone \r at the end may be the first half of \r\n: wait for more text.
      if (match[0] === "\r" && match.index === this.buffer.length - 1) break;
      const line = this.buffer.slice(0, match.index);
      this.buffer = this.buffer.slice(match.index + match[0].length);
      const message = this.line(line, onComment);
      if (message !== null) out.push(message);
    }
    return out;
  }

  private line(line: string, onComment?: (text: string) => void): SseMessage | null {
    if (line === "") return this.dispatch();
    if (line.startsWith(":")) {
      onComment?.(line.slice(1).trimStart());
      return null;
    }
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    switch (field) {
      case "data":
        this.data.push(value);
        break;
      case "event":
        this.event = value;
        break;
      case "id":
        if (!value.includes("\0")) {
          this.lastEventId = value;
          this.sawId = true;
        }
        break;
      case "retry":
        if (/^\d+$/.test(value)) this.retryMs = Number(value);
        break;
      default:
        break; // unknown fields are ignored
    }
    return null;
  }

  private dispatch(): SseMessage | null {
    const hasId = this.sawId;
    const event = this.event || "message";
    const data = this.data.join("\n");
    const hadData = this.data.length > 0;
    this.data = [];
    this.event = "";
    this.sawId = false;
    if (!hadData) return null;
    return { event, data, lastEventId: this.lastEventId, hasId };
  }
}
