import * as assert from "node:assert/strict";
import type { ServerResponse } from "node:http";
import { SymphonyClient } from "../src/core/api";
import { EventStream, type StreamState } from "../src/core/events";
import type { SymphonyEvent } from "../src/core/types";
import { type FakeServer, type Proxy, fakeServer, json, tcpProxy } from "./support/fake";
import { until } from "./support/fakes";
import { type DemoServer, demo } from "./support/server";

function clientFor(baseUrl: string, key?: string): SymphonyClient {
  return new SymphonyClient({ baseUrl: () => baseUrl, getKey: async () => key });
}

function sse(res: ServerResponse): void {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
}

describe("event stream: reconnects with Last-Event-ID (scripted server)", () => {
  let fake: FakeServer;
  let stream: EventStream | null = null;
  afterEach(async () => {
    await stream?.stop();
    stream = null;
    await fake?.close();
  });

  it("after the server closes, reconnects and sends the last id it saw", async () => {
    let connection = 0;
    fake = await fakeServer((_req, res) => {
      connection += 1;
      sse(res);
      if (connection === 1) {
        res.write(": connected\n\n");
        res.write('id: 1\nevent: window.update\ndata: {"type":"window.update","model":"a"}\n\n');
        res.end('id: 2\nevent: route.execute\ndata: {"type":"route.execute"}\n\n'); // the drop
      } else {
        res.write('id: 3\nevent: control.kill\ndata: {"type":"control.kill","scope":"all"}\n\n');
      }
    });
    const events: SymphonyEvent[] = [];
    stream = new EventStream({ client: clientFor(fake.baseUrl, "k"), onEvent: (e) => events.push(e), initialDelayMs: 20 });
    stream.start();
    await until(() => events.length === 3, 5000, "three events");
    assert.deepEqual(events.map((e) => [e.id, e.type]), [["1", "window.update"], ["2", "route.execute"], ["3", "control.kill"]]);
    assert.equal(events[2]?.data.scope, "all");
    assert.equal(fake.requests[0]?.headers["last-event-id"], undefined);
    assert.equal(fake.requests[1]?.headers["last-event-id"], "2");
    assert.equal(fake.requests[1]?.headers.accept, "text/event-stream");
    assert.equal(fake.requests[1]?.headers.authorization, "Bearer k");
    assert.equal(stream.lastEventId, "3");
  });

  it("backs off while the service is down, reports why, and recovers", async () => {
    let connection = 0;
    fake = await fakeServer((_req, res) => {
      connection += 1;
      if (connection <= 2) return json(res, 503, { error: { code: "store_unavailable", message: "store down" } });
      sse(res);
      res.write('id: 9\nevent: policy.update\ndata: {"type":"policy.update"}\n\n');
    });
    const states: StreamState[] = [];
    const events: SymphonyEvent[] = [];
    stream = new EventStream({ client: clientFor(fake.baseUrl), onEvent: (e) => events.push(e), onState: (s) => states.push(s), initialDelayMs: 20, maxDelayMs: 200 });
    stream.start();
    await until(() => events.length === 1, 5000, "the event after recovery");
    const waits = states.filter((s): s is Extract<StreamState, { state: "waiting" }> => s.state === "waiting");
    assert.equal(waits.length, 2);
    assert.ok(waits.every((w) => w.error?.status === 503 && /store down/.test(w.error.message)));
    assert.ok((waits[1]?.delayMs ?? 0) > (waits[0]?.delayMs ?? 0), "the wait grows");
    assert.equal(states[states.length - 1]?.state, "open");
  });

  it("a silent connection (no keep-alive) is dropped and reopened", async () => {
    let connection = 0;
    fake = await fakeServer((_req, res) => {
      connection += 1;
      sse(res);
      if (connection === 1) res.write('id: 4\nevent: reset\ndata: {"type":"reset"}\n\n'); // then silence
      else res.write('id: 5\nevent: policy.update\ndata: {"type":"policy.update"}\n\n');
    });
    const events: SymphonyEvent[] = [];
    stream = new EventStream({ client: clientFor(fake.baseUrl), onEvent: (e) => events.push(e), initialDelayMs: 20, idleTimeoutMs: 1000 });
    stream.start();
    await until(() => events.length === 2, 5000, "an event on the second connection");
    assert.equal(fake.requests[1]?.headers["last-event-id"], "4");
  });

  it("a refused key waits long instead of hammering, until restart()", async () => {
    let allowed = false;
    fake = await fakeServer((req, res) => {
      if (!allowed) return json(res, 401, { error: { code: "unauthorized", message: "invalid API key" } });
      sse(res);
      res.write(`id: 1\nevent: policy.update\ndata: {"auth":"${req.headers.authorization}"}\n\n`);
    });
    const states: StreamState[] = [];
    const events: SymphonyEvent[] = [];
    stream = new EventStream({ client: clientFor(fake.baseUrl, "good"), onEvent: (e) => events.push(e), onState: (s) => states.push(s), initialDelayMs: 20, maxDelayMs: 60_000 });
    stream.start();
    await until(() => states.some((s) => s.state === "waiting"), 5000, "a wait");
    const wait = states.find((s) => s.state === "waiting") as Extract<StreamState, { state: "waiting" }>;
    assert.equal(wait.delayMs, 60_000);
    assert.equal(wait.error?.kind, "bad_key");
    allowed = true;
    stream.restart();
    await until(() => events.length === 1, 5000, "the event after restart");
    assert.equal(events[0]?.data.auth, "Bearer good");
    assert.equal(fake.requests.length, 2);
  });
});

describe("event stream against the real service through a connection we cut", function () {
  let server: DemoServer;
  let proxy: Proxy;
  let stream: EventStream | null = null;

  before(async function () {
    this.timeout(180_000);
    server = await demo();
  });
  afterEach(async () => {
    await stream?.stop();
    stream = null;
    await proxy?.close();
  });

  it("replays what happened while the connection was down, once each, in order", async () => {
    proxy = await tcpProxy(server.port);
    const direct = clientFor(server.baseUrl, server.adminKey);
    const events: SymphonyEvent[] = [];
    const states: StreamState[] = [];
    stream = new EventStream({
      client: clientFor(proxy.baseUrl, server.adminKey),
      path: "/events?types=route.plan",
      onEvent: (e) => events.push(e),
      onState: (s) => states.push(s),
      initialDelayMs: 1500,
    });
    stream.start();
    await until(() => states.some((s) => s.state === "open"), 10_000, "the stream to open");
    const before = await direct.plan({ task: "qa", input: "before the drop", loa: 1 });
    await until(() => events.some((e) => e.data.plan_id === before.plan_id), 10_000, "the first plan event");
    const lastBeforeDrop = stream.lastEventId;

    proxy.sever(); // the network drops; the client waits 1.5 s before reconnecting
    const missed: (string | undefined)[] = [];
    for (const input of ["while down 1", "while down 2"]) missed.push((await direct.plan({ task: "qa", input, loa: 1 })).plan_id);
    await until(() => missed.every((id) => events.some((e) => e.data.plan_id === id)), 15_000, "the replayed events");

    const ids = events.map((e) => Number(e.id));
    assert.deepEqual(ids, [...ids].sort((a, b) => a - b), "in order");
    assert.equal(new Set(ids).size, ids.length, "no duplicates");
    assert.equal(proxy.sent.length, 2, "one reconnect");
    assert.match(proxy.sent[1] ?? "", new RegExp(`last-event-id: ${lastBeforeDrop}\\r\\n`, "i"));
  });
});
