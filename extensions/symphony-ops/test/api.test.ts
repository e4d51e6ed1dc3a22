import * as assert from "node:assert/strict";
import { SymphonyClient } from "../src/core/api";
import { SymphonyError } from "../src/core/errors";
import { type FakeServer, fakeServer, json } from "./support/fake";
import { type DemoServer, demo, freePort } from "./support/server";

function clientFor(baseUrl: string, key?: string, timeoutMs = 30_000): SymphonyClient {
  return new SymphonyClient({ baseUrl: () => baseUrl, getKey: async () => key, timeoutMs: () => timeoutMs });
}

async function rejects(p: Promise<unknown>): Promise<SymphonyError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof SymphonyError, `expected a SymphonyError, got ${String(err)}`);
    return err;
  }
  assert.fail("expected the call to fail");
}

describe("API client against a real `symphony serve --demo` (auth on)", function () {
  let server: DemoServer;
  let admin: SymphonyClient;

  before(async function () {
    this.timeout(180_000);
    server = await demo();
    admin = clientFor(server.baseUrl, server.adminKey);
  });

  it("plans: a chosen model, every candidate with factors, and the controls", async () => {
    const plan = await admin.plan({ task: "qa", input: "Which window resets first?", loa: 1 });
    assert.match(plan.plan_id ?? "", /^pln_/);
    assert.ok(plan.decision.primary, "a primary model");
    assert.ok(plan.candidates.length > 1);
    assert.ok(plan.candidates.every((c) => typeof c.score === "number" && "latency" in c.factors));
    assert.equal(plan.controls?.loa, 1);
  });

  it("executes (JSON): the answer, the model, an audit id, latency and cost", async () => {
    const r = await admin.execute({ task: "qa", input: "say hello", loa: 1 });
    assert.match(r.audit_id, /^aud_/);
    assert.ok(r.answer.length > 0);
    assert.equal(r.decision.model, r.audit.attempts[r.audit.attempts.length - 1]?.model);
    assert.equal(typeof r.latency_ms, "number");
  });

  it("executes with stream: SSE deltas arrive in order and add up to the final answer", async () => {
    const deltas: string[] = [];
    const models: string[] = [];
    const r = await admin.executeStream({ task: "qa", input: "stream me a hello", loa: 1 }, { onDelta: (t) => deltas.push(t), onModel: (m) => models.push(m.model) });
    assert.ok(deltas.length > 1, "several deltas");
    assert.equal(deltas.join(""), r.answer);
    assert.deepEqual(models, [r.decision.model]);
    assert.match(r.audit_id, /^aud_/);
  });

  it("reads the Model Matrix, health and burndown", async () => {
    const m = await admin.models();
    assert.ok(m.items.length > 0);
    assert.ok(m.items.every((i) => typeof i.window.kind === "string" && "remaining" in i.window));
    const h = await admin.health();
    assert.equal(h.policy_loaded, true);
    assert.ok(Object.keys(h.services).length > 0);
    const b = await admin.burndown();
    assert.ok(b.windows.m1 && b.windows.h1 && b.windows.d1);
  });

  it("kills and lifts a provider; the kill shows in /control and in the matrix", async () => {
    const provider = (await admin.models()).items[0]?.provider ?? "local";
    const k = await admin.kill("provider", provider, "api test");
    try {
      assert.equal(k.kill.scope, "provider");
      assert.ok((await admin.kills()).some((x) => x.target === provider));
      const killed = (await admin.models()).items.filter((i) => i.provider === provider);
      assert.ok(killed.every((i) => typeof i.killed === "string" && i.killed.includes("api test")));
    } finally {
      const u = await admin.unkill("provider", provider);
      assert.equal(u.unkilled.target, provider);
    }
    assert.ok(!(await admin.kills()).some((x) => x.target === provider));
  });

  it("reloads the policy: unchanged files are ok and not a change", async () => {
    const r = await admin.reloadPolicy();
    assert.equal(r.ok, true);
    assert.equal(r.changed, false);
    assert.deepEqual(r.errors, []);
  });

  it("opens the audit record of an execution", async () => {
    const r = await admin.execute({ task: "qa", input: "audit me", loa: 1 });
    const record = await admin.auditRecord(r.audit_id);
    assert.equal(record.id, r.audit_id);
    assert.equal(record.type, "route.execute");
    const recent = await admin.auditQuery({ type: "route.execute", limit: 5 });
    assert.ok(recent.some((x) => x.id === r.audit_id));
  });

  it("no key → no_key, a wrong key → bad_key, a client key on kill → forbidden", async () => {
    const none = await rejects(clientFor(server.baseUrl).models());
    assert.equal(none.kind, "no_key");
    assert.equal(none.status, 401);
    const wrong = await rejects(clientFor(server.baseUrl, "sk-not-a-real-key").models());
    assert.equal(wrong.kind, "bad_key");
    assert.match(wrong.message, /rejected the API key/);
    const client = clientFor(server.baseUrl, server.clientKey);
    assert.ok((await client.models()).items.length > 0, "a client key reads the matrix");
    const forbidden = await rejects(client.kill("all", null, "not allowed"));
    assert.equal(forbidden.kind, "forbidden");
    assert.match(forbidden.message, /403 on POST \/control\/kill/);
  });

  it("409 at an impossible LOA explains every denied candidate", async () => {
    const e = await rejects(admin.plan({ task: "qa", input: "x", loa: 9 }));
    assert.equal(e.kind, "no_eligible_model");
    assert.match(e.message, /every candidate was denied/);
    assert.match(e.message, /LOA 9 exceeds/);
  });

  it("422 names the bad field", async () => {
    const e = await rejects(admin.plan({ task: "not a task!", loa: 1 }));
    assert.equal(e.kind, "validation");
    assert.match(e.message, /body\.task/);
  });

  it("with everything killed, execute says the kill switch is on (and streaming too)", async () => {
    await admin.kill("all", null, "api test: kill all");
    try {
      const e = await rejects(admin.execute({ task: "qa", input: "x", loa: 1 }));
      assert.equal(e.kind, "killed");
      assert.match(e.message, /kill switch is on \(everything killed .*api test: kill all\)/);
      const s = await rejects(admin.executeStream({ task: "qa", input: "x", loa: 1 }, {}));
      assert.equal(s.kind, "killed");
    } finally {
      await admin.unkill("all", null);
    }
  });

  it("POST /incidents: the result or, on a service without it yet, a clear message", async () => {
    const openapi = (await (await fetch(`${server.baseUrl}/openapi.json`)).json()) as { paths: Record<string, unknown> };
    if ("/incidents" in openapi.paths) {
      const inc = await admin.createIncident({ title: "extension test", body: "from the api test", severity: "p3" });
      assert.ok(inc.id && Array.isArray(inc.tickets));
    } else {
      const e = await rejects(admin.createIncident({ title: "t", body: "b", severity: "p3" }));
      assert.equal(e.kind, "missing_endpoint");
      assert.match(e.message, /does not offer POST \/incidents/);
    }
  });

  it("the MCP probe: initialize and tools/list on the real /mcp/, tools filtered by the key's role", async () => {
    const probe = await admin.probeMcp();
    assert.equal(probe.url, `${server.baseUrl}/mcp/`);
    assert.equal(probe.protocolVersion, "2025-06-18");
    assert.equal(probe.serverName, "symphony");
    for (const tool of ["plan", "execute", "models", "health", "burndown", "audit_record"]) {
      assert.ok(probe.tools?.includes(tool), `admin sees ${tool}: ${probe.tools}`);
    }
    const asClient = await clientFor(server.baseUrl, server.clientKey).probeMcp();
    assert.ok(asClient.tools?.includes("plan"));
    assert.ok(!asClient.tools?.includes("audit_record"), "operator tools are not offered to a client key");
    const noKey = await rejects(clientFor(server.baseUrl).probeMcp());
    assert.equal(noKey.kind, "no_key");
  });
});

describe("API client failures without a service", () => {
  it("a closed port is `unreachable` and names the base URL", async () => {
    const port = await freePort();
    const e = await rejects(clientFor(`http://127.0.0.1:${port}`).health());
    assert.equal(e.kind, "unreachable");
    assert.match(e.message, new RegExp(`not reachable at http://127\\.0\\.0\\.1:${port}`));
  });

  it("a service that never answers is a `timeout`", async () => {
    const silent = await fakeServer(() => new Promise(() => undefined));
    try {
      const e = await rejects(clientFor(silent.baseUrl, undefined, 300).health());
      assert.equal(e.kind, "timeout");
    } finally {
      await silent.close();
    }
  });

  it("a user cancel is `cancelled`, not an error to show", async () => {
    const silent = await fakeServer(() => new Promise(() => undefined));
    try {
      const controller = new AbortController();
      const p = clientFor(silent.baseUrl).health({ signal: controller.signal });
      setTimeout(() => controller.abort(), 50);
      assert.equal((await rejects(p)).kind, "cancelled");
    } finally {
      await silent.close();
    }
  });
});

describe("contracts built elsewhere, against a local fake server", () => {
  let fake: FakeServer;
  afterEach(async () => fake?.close());

  it("POST /incidents sends {title, body, severity} with the key and reads the tickets", async () => {
    fake = await fakeServer((req, res) =>
      json(res, 201, { id: "inc_42", state: "open", tickets: [{ system: "github", url: "https://github.com/o/r/issues/7", key: "#7" }, { system: "jira", url: "https://x.atlassian.net/browse/SYM-3", key: "SYM-3" }] }),
    );
    const inc = await clientFor(fake.baseUrl, "k1").createIncident({ title: "T", body: "B", severity: "p2" });
    assert.equal(inc.id, "inc_42");
    assert.deepEqual(inc.tickets.map((t) => t.key), ["#7", "SYM-3"]);
    const [req] = fake.requests;
    assert.equal(req?.method, "POST");
    assert.equal(req?.url, "/incidents");
    assert.equal(req?.headers.authorization, "Bearer k1");
    assert.deepEqual(JSON.parse(req?.body ?? ""), { title: "T", body: "B", severity: "p2" });
  });

  it("MCP probe: initialize then tools/list on /mcp/, JSON or SSE answers, bearer key sent", async () => {
    fake = await fakeServer((req, res) => {
      const rpc = JSON.parse(req.body) as { id: number; method: string };
      if (req.url !== "/mcp/") return json(res, 404, { error: { code: "not_found", message: "Not Found" } });
      if (rpc.method === "initialize") {
        return json(res, 200, { jsonrpc: "2.0", id: rpc.id, result: { protocolVersion: "2025-06-18", capabilities: { tools: {} }, serverInfo: { name: "symphony", version: "0.9" } } });
      }
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.end(`event: message\ndata: ${JSON.stringify({ jsonrpc: "2.0", id: rpc.id, result: { tools: [{ name: "plan" }, { name: "execute" }, { name: "models" }] } })}\n\n`);
    });
    const probe = await clientFor(`${fake.baseUrl}/`, "k2").probeMcp();
    assert.deepEqual(probe, { url: `${fake.baseUrl}/mcp/`, protocolVersion: "2025-06-18", serverName: "symphony", serverVersion: "0.9", tools: ["plan", "execute", "models"] });
    assert.equal(fake.requests.length, 2);
    for (const r of fake.requests) {
      assert.equal(r.headers.authorization, "Bearer k2");
      assert.match(String(r.headers.accept), /application\/json.*text\/event-stream/);
    }
    assert.equal(fake.requests[1]?.headers["mcp-protocol-version"], "2025-06-18");
  });

  it("streaming execute asks for SSE explicitly (Accept: text/event-stream)", async () => {
    fake = await fakeServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write('event: model\ndata: {"model":"m/1","attempts":1}\n\n');
      res.write('event: delta\ndata: {"text":"hi"}\n\n');
      res.end(`event: result\ndata: ${JSON.stringify({ audit_id: "aud_x", latency_ms: 1, answer: "hi", decision: { model: "m/1" }, audit: { attempts: [], cost_usd: 0 } })}\n\n`);
    });
    const r = await clientFor(fake.baseUrl).executeStream({ task: "qa", input: "x" }, {});
    assert.equal(r.answer, "hi");
    assert.equal(fake.requests[0]?.headers.accept, "text/event-stream");
    assert.equal(JSON.parse(fake.requests[0]?.body ?? "{}").stream, true);
  });

  it("a stream that ends without a result is a protocol error; an error event is typed", async () => {
    fake = await fakeServer((req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      if (JSON.parse(req.body).input === "cut") return void res.end('event: delta\ndata: {"text":"par"}\n\n');
      res.end(`event: error\ndata: ${JSON.stringify({ error: { code: "all_candidates_failed", message: "every candidate failed" }, audit: { attempts: [{ model: "m/1", status: 503, reason: "unavailable" }] } })}\n\n`);
    });
    const cut = await rejects(clientFor(fake.baseUrl).executeStream({ task: "qa", input: "cut" }, {}));
    assert.equal(cut.kind, "protocol");
    const failed = await rejects(clientFor(fake.baseUrl).executeStream({ task: "qa", input: "fail" }, {}));
    assert.equal(failed.kind, "all_failed");
    assert.match(failed.message, /m\/1 \(503: unavailable\)/);
  });
});
