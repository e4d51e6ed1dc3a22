import * as assert from "node:assert/strict";
import { affectedModels, killConfirmation, killScope, liftKill, reloadPolicy, runDrill, showBurndown, showHealth } from "../src/core/runbook";
import type { MatrixItem } from "../src/core/types";
import { type FakeServer, fakeServer, json } from "./support/fake";
import { choose, makeDeps } from "./support/fakes";
import { type DemoServer, demo } from "./support/server";

const rows = [
  { model: "openai/chatgpt-plus", provider: "openai" },
  { model: "anthropic/claude-pro", provider: "anthropic" },
  { model: "openai/gpt-api", provider: "openai" },
] as MatrixItem[];

describe("kill confirmations name what stops", () => {
  it("a provider: exactly its models", () => {
    assert.deepEqual(affectedModels(rows, "provider", "openai"), ["openai/chatgpt-plus", "openai/gpt-api"]);
    const c = killConfirmation(rows, "provider", "openai", "incident 42");
    assert.equal(c.message, "Kill provider 'openai'?");
    assert.match(c.detail, /^This stops now: openai\/chatgpt-plus, openai\/gpt-api\. /);
    assert.match(c.detail, /streams already running on them are cut/);
    assert.match(c.detail, /“incident 42”/);
  });

  it("everything, a tenant, one model", () => {
    assert.match(killConfirmation(rows, "all", null, "r").detail, /stops now: openai\/chatgpt-plus, anthropic\/claude-pro, openai\/gpt-api\./);
    assert.equal(killConfirmation(rows, "all", null, "r").message, "Kill everything?");
    assert.match(killConfirmation(rows, "tenant", "acme", "r").detail, /every request of tenant 'acme' on every model/);
    assert.deepEqual(affectedModels(rows, "model", "anthropic/claude-pro"), ["anthropic/claude-pro"]);
  });
});

describe("runbook commands against the real service", function () {
  let server: DemoServer;
  before(async function () {
    this.timeout(180_000);
    server = await demo();
  });

  it("Kill: pick provider, reason, confirm → killed, the message links the audit record; Lift It undoes it", async () => {
    const deps = makeDeps(server.baseUrl, server.adminKey);
    deps.matrixItems = (await deps.client.models()).items;
    const provider = deps.matrixItems.find((i) => i.class === "hosted")?.provider ?? "openai";
    const models = deps.matrixItems.filter((i) => i.provider === provider).map((i) => i.model);
    deps.ui.answers.pick.push(choose("provider"), choose(provider));
    deps.ui.answers.input.push("runbook test");
    deps.ui.answers.confirm.push(true, true);
    deps.ui.answers.message.push("Lift It");
    const result = await killScope(deps);
    assert.equal(result?.kill.target, provider);
    assert.equal(deps.ui.confirms[0]?.message, `Kill provider '${provider}'?`);
    assert.ok(deps.ui.confirms[0]?.detail.startsWith(`This stops now: ${models.join(", ")}.`));
    const killed = deps.ui.shown[0];
    assert.match(killed?.text ?? "", new RegExp(`^Killed provider '${provider}': ${models.length} model\\(s\\) stopped .* Audit aud_`));
    assert.deepEqual(killed?.actions, ["Open Audit Record", "Lift It"]);
    const auditId = /Audit (aud_[\w-]+)/.exec(killed?.text ?? "")?.[1] ?? "";
    const record = await deps.client.auditRecord(auditId);
    assert.equal(record.type, "control.kill");
    assert.equal(record.payload.target, provider);
    // "Lift It" asked for a confirmation and lifted it, linking the unkill record.
    assert.match(deps.ui.confirms[1]?.message ?? "", new RegExp(`Lift the kill of provider '${provider}'`));
    assert.match(deps.ui.shown[1]?.text ?? "", /^Lifted the kill of provider .* Audit aud_/);
    assert.deepEqual(await deps.client.kills(), []);
    assert.ok(deps.refreshed >= 2, "the matrix was told to reload");
  });

  it("Kill: saying no at the confirmation kills nothing", async () => {
    const deps = makeDeps(server.baseUrl, server.adminKey);
    deps.ui.answers.pick.push(choose("all"));
    deps.ui.answers.input.push("just looking");
    deps.ui.answers.confirm.push(false);
    assert.equal(await killScope(deps), undefined);
    assert.match(deps.ui.confirms[0]?.detail ?? "", /^This stops now: /);
    assert.deepEqual(await deps.client.kills(), []);
  });

  it("Kill with a client key: the service refuses, the message says the key may not", async () => {
    const deps = makeDeps(server.baseUrl, server.clientKey);
    deps.ui.answers.pick.push(choose("all"));
    deps.ui.answers.input.push("r");
    deps.ui.answers.confirm.push(true);
    assert.equal(await killScope(deps), undefined);
    assert.match(deps.ui.last().text, /Your key may not do this \(403 on POST \/control\/kill\)/);
  });

  it("Lift a Kill: lists the active kills, lifts the chosen one; none active says so", async () => {
    const deps = makeDeps(server.baseUrl, server.adminKey);
    await liftKill(deps);
    assert.equal(deps.ui.last().text, "No kill is active: everything may run.");
    const model = (await deps.client.models()).items[0]?.model ?? "";
    await deps.client.kill("model", model, "lift test");
    deps.ui.answers.pick.push((items) => items[0]?.value);
    deps.ui.answers.confirm.push(true);
    const r = await liftKill(deps);
    assert.equal(r?.unkilled.target, model);
    assert.equal(deps.ui.picks[0]?.[0]?.label, `model '${model}'`);
    assert.equal(deps.ui.picks[0]?.[0]?.description, "lift test");
    assert.match(deps.ui.last().text, /Lifted the kill of model .* Audit aud_/);
  });

  it("Reload Policy: unchanged files say nothing was applied", async () => {
    const deps = makeDeps(server.baseUrl, server.adminKey);
    const r = await reloadPolicy(deps);
    assert.equal(r?.ok, true);
    assert.match(deps.ui.last().text, /^Policy files unchanged: still version \w+; nothing applied, nothing audited\.$/);
  });

  it("Show Health: upstream table, key accepted, MCP line, and a one-line verdict", async () => {
    const deps = makeDeps(server.baseUrl, server.clientKey);
    await showHealth(deps);
    assert.match(deps.text.value, /^Health at /);
    assert.match(deps.text.value, /UPSTREAM +OK +LATENCY/);
    assert.match(deps.text.value, /API key: accepted/);
    assert.match(deps.text.value, /MCP: http:\/\/127\.0\.0\.1:\d+\/mcp\/ answers \(symphony \S+, protocol 2025-06-18, \d+ tools\)\./);
    assert.match(deps.ui.last().text, /^Symphony (healthy|degraded): /);
    const noKey = makeDeps(server.baseUrl, undefined);
    await showHealth(noKey);
    assert.match(noKey.text.value, /API key: Symphony at .* needs an API key/);
  });

  it("Show Burndown: per-model table and the last hour in one line", async () => {
    const deps = makeDeps(server.baseUrl, server.clientKey);
    await deps.client.execute({ task: "qa", input: "burn", loa: 1 });
    const report = await showBurndown(deps);
    assert.match(report ?? "", /MODEL +M1 req\/tok\/cost +H1 req\/tok\/cost +D1 req\/tok\/cost +LEFT\/CAP/);
    assert.match(deps.ui.last().text, /^Last hour: [1-9]\d* request\(s\) on [1-9]\d* model\(s\), \$/);
  });

  it("Run the Drill: confirms, runs the command with the service URL and key, reports the exit", async () => {
    const deps = makeDeps(server.baseUrl, server.adminKey, { drillCommand: "symphony drill" });
    deps.ui.answers.confirm.push(true);
    deps.ui.answers.exitCode = 0;
    assert.equal(await runDrill(deps), 0);
    // The demo's simulator runs on a free port (not 8788): the drill gets it from the service.
    assert.deepEqual(deps.ui.terminals[0], {
      name: "Symphony drill",
      command: "symphony drill",
      env: { PROXY_BASE: server.baseUrl, SYMPHONY_KEY: server.adminKey, SYMPHONY_SIM_URL: `http://127.0.0.1:${server.simulatorPort}` },
    });
    assert.match(deps.ui.last().text, /^Drill passed/);
    deps.ui.answers.confirm.push(true);
    deps.ui.answers.exitCode = 3;
    await runDrill(deps);
    assert.match(deps.ui.last().text, /^Drill failed \(exit 3\)/);
    deps.ui.answers.confirm.push(false);
    assert.equal(await runDrill(deps), undefined);
    assert.equal(deps.ui.terminals.length, 2);
  });
});

describe("Reload Policy with an invalid file (scripted 422)", () => {
  let fake: FakeServer;
  afterEach(async () => fake?.close());

  it("says the old policy stays, lists every error, links the rejection record", async () => {
    fake = await fakeServer((req, res) => {
      if (req.url === "/policy") return json(res, 200, { version: "v1" });
      if (req.url === "/policy/reload") return json(res, 422, { ok: false, changed: false, version: "v1", errors: ["config/router.policy.yml:12: models[0].quota.cap: must be > 0", "config/router.policy.yml:30: rules[1]: unknown model"] });
      if (req.url?.startsWith("/audit?type=policy.reject")) return json(res, 200, { items: [{ seq: 3, id: "aud_rej", type: "policy.reject", at: "t", actor: "api", tenant: null, payload: { kept_version: "v1" } }] });
      return json(res, 404, { error: { code: "not_found", message: "Not Found" } });
    });
    const deps = makeDeps(fake.baseUrl, "k");
    const r = await reloadPolicy(deps);
    assert.equal(r?.ok, false);
    assert.match(deps.ui.last().text, /^Policy reload rejected: the service keeps version v1\. 2 error\(s\), first: config\/router\.policy\.yml:12: .* Audit aud_rej\.$/);
    assert.match(deps.text.value, /rules\[1\]: unknown model/);
  });
});
