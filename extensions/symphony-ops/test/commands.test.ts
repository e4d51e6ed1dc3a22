import * as assert from "node:assert/strict";
import { clearApiKey, executeRoute, explainRoute, fileIncident, openAudit, setApiKey } from "../src/core/commands";
import { type FakeServer, fakeServer, json } from "./support/fake";
import { choose, makeDeps, selection } from "./support/fakes";
import { type DemoServer, demo, freePort } from "./support/server";

describe("developer commands against the real service", function () {
  let server: DemoServer;
  before(async function () {
    this.timeout(180_000);
    server = await demo();
  });

  it("Execute Route streams into the output, then names model, audit id, latency and cost", async () => {
    const deps = makeDeps(server.baseUrl, server.clientKey);
    deps.editorValue = selection("def add(a, b):\n    return a + b");
    const result = await executeRoute(deps);
    assert.ok(result);
    const out = deps.text.value;
    assert.match(out, /^▶ qa · LOA 1 · 31 chars from service\.py:10-11\n/);
    assert.ok(out.includes(`→ ${result.decision.model}\n${result.answer}\n`), out);
    assert.ok(out.includes(`✔ ${result.decision.model} · audit ${result.audit_id} · `), out);
    const note = deps.ui.last();
    assert.equal(note.level, "info");
    assert.match(note.text, new RegExp(`^Symphony: ${result.decision.model.replace("/", "\\/")} · audit ${result.audit_id} · \\d+ ms · \\$`));
    assert.deepEqual(note.actions, ["Explain", "Open Audit Record", "Copy Audit ID"]);
  });

  it("Execute Route → Explain opens the plan for the same input", async () => {
    const deps = makeDeps(server.baseUrl, server.clientKey, { overrides: { temperature: 0.2 } });
    deps.editorValue = selection("why is the sky blue?");
    deps.ui.answers.message.push("Explain");
    const result = await executeRoute(deps);
    assert.equal(deps.explained.length, 1);
    const shown = deps.explained[0];
    assert.equal(shown?.request.input, "why is the sky blue?");
    assert.deepEqual(shown?.request.overrides, { temperature: 0.2 });
    assert.match(shown?.options?.note ?? "", new RegExp(`ran plan ${result?.audit.plan_id}`));
  });

  it("Execute Route without streaming, and with task and LOA from quick picks", async () => {
    const deps = makeDeps(server.baseUrl, server.clientKey, { stream: false, askForOptions: true });
    deps.editorValue = selection("review this");
    deps.ui.answers.pick.push(choose("code-review"), choose("LOA 1"));
    const result = await executeRoute(deps);
    assert.ok(result?.answer);
    assert.match(deps.text.value, /^▶ code-review · LOA 1 /);
    assert.equal(deps.ui.picks[0]?.[0]?.label, "qa", "the default task first");
  });

  it("Execute Route with nothing to send says so and calls nothing", async () => {
    const deps = makeDeps(server.baseUrl, server.clientKey);
    deps.editorValue = selection("   ");
    assert.equal(await executeRoute(deps), undefined);
    assert.match(deps.ui.last().text, /Select some text/);
    assert.equal(deps.text.value, "");
  });

  it("Execute Route while everything is killed: a warning that the kill switch is on", async () => {
    const admin = makeDeps(server.baseUrl, server.adminKey);
    await admin.client.kill("all", null, "commands test");
    try {
      const deps = makeDeps(server.baseUrl, server.clientKey);
      deps.editorValue = selection("hello");
      assert.equal(await executeRoute(deps), undefined);
      const shown = deps.ui.last();
      assert.equal(shown.level, "warn");
      assert.match(shown.text, /kill switch is on .*commands test/);
      assert.match(deps.text.value, /✘ The kill switch is on/);
    } finally {
      await admin.client.unkill("all", null);
    }
  });

  it("a wrong key: the error offers Set API Key, which stores and checks the new key", async () => {
    const deps = makeDeps(server.baseUrl, "sk-wrong");
    deps.editorValue = selection("hello");
    deps.ui.answers.message.push("Set API Key");
    deps.ui.answers.input.push(`  ${server.clientKey}  `);
    await executeRoute(deps);
    const [error, saved] = deps.ui.shown;
    assert.equal(error?.level, "error");
    assert.match(error?.text ?? "", /rejected the API key \(401\)/);
    assert.deepEqual(error?.actions, ["Set API Key"]);
    assert.equal(deps.key.value, server.clientKey, "trimmed and stored");
    assert.equal(deps.keyChanges, 1);
    assert.equal(deps.ui.inputs[0]?.password, true);
    assert.match(saved?.text ?? "", /key saved; .* accepts it/);
  });

  it("Set API Key with a key the service refuses: saved, with a warning saying why", async () => {
    const deps = makeDeps(server.baseUrl, undefined);
    deps.ui.answers.input.push("sk-nope");
    assert.equal(await setApiKey(deps), false);
    assert.match(deps.ui.last().text, /saved, but the check failed: .*rejected the API key/);
    assert.equal(deps.ui.inputs[0]?.validate?.("has space"), "A key has no spaces.");
    await clearApiKey(deps);
    assert.equal(deps.key.value, undefined);
  });

  it("the service is down: the error names the URL and offers the setting", async () => {
    const port = await freePort();
    const deps = makeDeps(`http://127.0.0.1:${port}`, "k");
    deps.editorValue = selection("hello");
    deps.ui.answers.message.push("Open Settings");
    await executeRoute(deps);
    assert.match(deps.ui.last().text, new RegExp(`not reachable at http://127\\.0\\.0\\.1:${port}`));
    assert.deepEqual(deps.ui.settingsOpened, ["symphony.baseUrl"]);
  });

  it("Explain Route shows the plan; at an impossible LOA it still shows every denial", async () => {
    const deps = makeDeps(server.baseUrl, server.clientKey);
    deps.editorValue = selection("plan me");
    const plan = await explainRoute(deps);
    assert.ok(plan?.decision.primary);
    assert.equal(deps.explained[0]?.request.input, "plan me");
    const denied = makeDeps(server.baseUrl, server.clientKey, { loa: 9 });
    const none = await explainRoute(denied);
    assert.equal(none?.decision.primary, null);
    assert.match(denied.explained[0]?.options?.noEligible ?? "", /every candidate was denied/);
    assert.equal(denied.ui.shown.length, 0, "the panel is the answer, not an error");
  });

  it("Explain Route with no selection plans the task alone and says so", async () => {
    const deps = makeDeps(server.baseUrl, server.clientKey);
    await explainRoute(deps);
    assert.equal(deps.explained[0]?.request.input, undefined);
    assert.match(deps.explained[0]?.options?.note ?? "", /No selection/);
  });

  it("Open Audit Record needs an operator key; with one it opens the JSON", async () => {
    const client = makeDeps(server.baseUrl, server.clientKey);
    const r = await client.client.execute({ task: "qa", input: "audit", loa: 1 });
    assert.equal(await openAudit(client, r.audit_id), false);
    assert.match(client.ui.last().text, /403 on GET \/audit\//);
    const admin = makeDeps(server.baseUrl, server.adminKey);
    assert.equal(await openAudit(admin, r.audit_id), true);
    assert.equal(JSON.parse(admin.ui.documents[0]?.content ?? "{}").id, r.audit_id);
  });
});

describe("File Incident (POST /incidents contract, local fake server)", () => {
  let fake: FakeServer;
  afterEach(async () => fake?.close());

  it("sends title, severity and the selection as context; opens the ticket the user picks", async () => {
    fake = await fakeServer((_req, res) =>
      json(res, 201, { id: "inc_7", state: "open", tickets: [{ system: "github", url: "https://github.com/o/r/issues/12", key: "#12" }, { system: "jira", url: "https://o.atlassian.net/browse/SYM-3", key: "SYM-3" }] }),
    );
    const deps = makeDeps(fake.baseUrl, "k");
    deps.editorValue = selection("\n  raise TimeoutError('upstream')\n", "/w/app/client.py", 40);
    deps.ui.answers.input.push("Timeouts calling the router", "p95 went to 9 s");
    deps.ui.answers.pick.push(choose("p2"));
    deps.ui.answers.message.push("Open Jira SYM-3");
    const inc = await fileIncident(deps);
    assert.equal(inc?.id, "inc_7");
    assert.equal(deps.ui.inputs[0]?.value, "raise TimeoutError('upstream')", "title suggested from the selection");
    const sent = JSON.parse(fake.requests[0]?.body ?? "{}") as { title: string; body: string; severity: string };
    assert.equal(sent.title, "Timeouts calling the router");
    assert.equal(sent.severity, "p2");
    assert.match(sent.body, /^p95 went to 9 s\n\nContext from `client\.py:40-42`:\n\n```python\n\n  raise TimeoutError\('upstream'\)\n\n```$/);
    assert.equal(deps.ui.last().text, "Incident inc_7 open: github #12, jira SYM-3.");
    assert.deepEqual(deps.ui.last().actions, ["Open GitHub #12", "Open Jira SYM-3"]);
    assert.deepEqual(deps.ui.opened, ["https://o.atlassian.net/browse/SYM-3"]);
  });

  it("cancelling any prompt files nothing", async () => {
    fake = await fakeServer((_req, res) => json(res, 201, {}));
    const deps = makeDeps(fake.baseUrl, "k");
    deps.ui.answers.input.push("title");
    deps.ui.answers.pick.push(() => undefined);
    assert.equal(await fileIncident(deps), undefined);
    assert.equal(fake.requests.length, 0);
  });

  it("a service without /incidents yet: the message says it needs a newer Symphony", async () => {
    fake = await fakeServer((_req, res) => json(res, 404, { error: { code: "not_found", message: "Not Found" } }));
    const deps = makeDeps(fake.baseUrl, "k");
    deps.ui.answers.input.push("title", "");
    deps.ui.answers.pick.push(choose("p3"));
    assert.equal(await fileIncident(deps), undefined);
    assert.match(deps.ui.last().text, /does not offer POST \/incidents \(404\); it needs a newer Symphony/);
  });
});
