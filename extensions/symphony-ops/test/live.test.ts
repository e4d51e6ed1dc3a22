import * as assert from "node:assert/strict";
import { SymphonyClient } from "../src/core/api";
import { Live } from "../src/core/live";
import { DEFAULT_SETTINGS } from "../src/core/ports";
import { statusView } from "../src/core/status";
import { until } from "./support/fakes";
import { type DemoServer, demo, freePort } from "./support/server";

describe("live Model Matrix and status bar state (real service, real event stream)", function () {
  let server: DemoServer;
  let live: Live | null = null;
  before(async function () {
    this.timeout(180_000);
    server = await demo();
  });
  afterEach(async () => {
    await live?.stop();
    live = null;
  });

  function start(baseUrl: string, key: string | undefined) {
    const settings = { ...DEFAULT_SETTINGS, baseUrl };
    const client = new SymphonyClient({ baseUrl: () => settings.baseUrl, getKey: async () => key });
    let changes = 0;
    live = new Live({ client, settings: () => settings, onChange: () => (changes += 1), debounceMs: 50, planIntervalMs: 60_000, stream: { initialDelayMs: 100 } });
    live.start();
    return { live, changes: () => changes, client };
  }

  it("loads the matrix, plans the top model and goes live", async () => {
    const { live: l } = start(server.baseUrl, server.clientKey);
    await until(() => l.connection === "live" && l.matrix.size > 0 && l.topModel !== null, 20_000, "live with a top model");
    const view = statusView(l.status());
    assert.equal(view.text, `$(pulse) ${l.topModel}`);
    assert.match(view.tooltip, /Events: live/);
    assert.equal(l.kills, null, "a client key may not read /control");
  });

  it("a kill made elsewhere reaches the tree and the status bar through the stream", async () => {
    const { live: l } = start(server.baseUrl, server.adminKey);
    await until(() => l.connection === "live" && l.matrix.size > 0 && l.topModel !== null, 20_000, "live");
    const admin = new SymphonyClient({ baseUrl: () => server.baseUrl, getKey: async () => server.adminKey });
    await admin.kill("all", null, "live test");
    try {
      await until(() => l.matrix.killed().length === l.matrix.size && l.topModel === null, 20_000, "every row killed");
      const view = statusView(l.status());
      assert.equal(view.text, "$(stop-circle) no model · KILL ALL");
      assert.match(view.tooltip, /everything \(live test\)/);
      assert.ok(l.matrix.nodes(Date.now()).every((n) => n.icon === "stop-circle"));
      assert.ok(l.recent.some((e) => e.type === "control.kill"));
    } finally {
      await admin.unkill("all", null);
    }
    await until(() => l.matrix.killed().length === 0 && l.topModel !== null, 20_000, "the kill lifted");
    assert.equal(statusView(l.status()).text, `$(pulse) ${l.topModel}`);
  });

  it("usage from an execution refreshes the remaining count", async () => {
    const { live: l, client } = start(server.baseUrl, server.adminKey);
    await until(() => l.connection === "live" && l.matrix.size > 0 && l.topModel !== null, 20_000, "live");
    const admin = new SymphonyClient({ baseUrl: () => server.baseUrl, getKey: async () => server.adminKey });
    const model = l.topModel ?? "";
    const before = l.matrix.items().find((i) => i.model === model)?.window.used;
    const r = await admin.execute({ task: "qa", input: "count me", loa: 1, overrides: { provider_hints: [model.split("/")[0] ?? ""] } });
    assert.equal(r.decision.model, model);
    const remaining = () => l.matrix.items().find((i) => i.model === r.decision.model)?.window;
    const expected = (await client.models()).items.find((i) => i.model === r.decision.model)?.window.used;
    assert.notEqual(expected, before, "the execution used the window");
    await until(() => remaining()?.used === expected, 20_000, "the used count to follow the execution");
  });

  it("a service that is down shows as down, with the reason", async () => {
    const port = await freePort();
    const { live: l } = start(`http://127.0.0.1:${port}`, "k");
    await until(() => l.connection === "down", 10_000, "down");
    const view = statusView(l.status());
    assert.equal(view.text, "$(debug-disconnect) Symphony: down");
    assert.match(view.tooltip, new RegExp(`not reachable at http://127\\.0\\.0\\.1:${port}`));
  });

  it("a refused key shows as `set key`", async () => {
    const { live: l } = start(server.baseUrl, "sk-wrong");
    await until(() => l.connection === "key", 10_000, "key state");
    assert.equal(statusView(l.status()).command, "symphony.setApiKey");
  });
});
