import * as assert from "node:assert/strict";
import { SseParser } from "../src/core/sse";

describe("SSE parser", () => {
  it("parses id, event and JSON data the way /events writes them", () => {
    const p = new SseParser();
    const out = p.feed('id: 42\nevent: route.execute\ndata: {"type":"route.execute","model":"local/ollama"}\n\n');
    assert.equal(out.length, 1);
    assert.deepEqual(out[0], { event: "route.execute", data: '{"type":"route.execute","model":"local/ollama"}', lastEventId: "42", hasId: true });
  });

  it("joins multi-line data and defaults the event to message", () => {
    const [m] = new SseParser().feed("data: one\ndata: two\n\n");
    assert.equal(m?.event, "message");
    assert.equal(m?.data, "one\ntwo");
  });

  it("reassembles messages split anywhere, including between \\r and \\n", () => {
    const text = "id: 7\r\nevent: delta\r\ndata: {\"text\":\"hé\"}\r\n\r\n";
    for (let cut = 1; cut < text.length; cut++) {
      const p = new SseParser();
      const out = [...p.feed(text.slice(0, cut)), ...p.feed(text.slice(cut))];
      assert.equal(out.length, 1, `cut at ${cut}`);
      assert.equal(out[0]?.data, '{"text":"hé"}');
      assert.equal(out[0]?.lastEventId, "7");
    }
  });

  it("reports comments (keep-alives) and the retry field without dispatching them", () => {
    const p = new SseParser();
    const comments: string[] = [];
    const out = p.feed(": connected\nretry: 3000\n\n: ping - 2026\n\n", (c) => comments.push(c));
    assert.deepEqual(out, []);
    assert.deepEqual(comments, ["connected", "ping - 2026"]);
    assert.equal(p.retryMs, 3000);
  });

  it("keeps the last event id across messages without an id (like `dropped`)", () => {
    const p = new SseParser("5");
    const out = p.feed("id: 6\nevent: a\ndata: {}\n\nevent: dropped\ndata: {}\n\n");
    assert.equal(out[1]?.lastEventId, "6");
    assert.equal(out[1]?.hasId, false);
  });

  it("ignores an id containing NUL, a leading BOM, unknown fields and data-less events", () => {
    const p = new SseParser();
    const out = p.feed("\ufeffid: 1\0\nfoo: bar\nevent: x\n\nevent: y\ndata: ok\n\n");
    assert.equal(out.length, 1);
    assert.equal(out[0]?.event, "y");
    assert.equal(p.lastEventId, "");
  });
});
