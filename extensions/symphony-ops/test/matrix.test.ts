import * as assert from "node:assert/strict";
import { SymphonyClient } from "../src/core/api";
import { MatrixModel, powerWindowText, remainingText, rowState } from "../src/core/matrix";
import { statusView } from "../src/core/status";
import { matrixSummary } from "../src/core/text";
import type { MatrixItem } from "../src/core/types";
import { type DemoServer, demo } from "./support/server";

const T0 = Date.parse("2026-12-01T15:13:38Z");

function item(model: string, window: Partial<MatrixItem["window"]> = {}, extra: Partial<MatrixItem> = {}): MatrixItem {
  return {
    model,
    provider: model.split("/")[0] ?? "p",
    class: "hosted",
    executable: true,
    killed: null,
    window: { kind: "every_1m", label: "every 1m", unit: "requests", open: true, used: 0, cap: 50, remaining: 50, remaining_fraction: 1, resets_at: "2026-12-01T15:14:00Z", resets_at_local: "2026-12-01T08:14:00-07:00", eta_seconds: 22, source: "configured", reserve_hold: false, power_window_open: false, next_power_window: null, ...window },
    ...extra,
  };
}

describe("Model Matrix tree model", () => {
  it("shows window kind, remaining, a ticking time to reset, state and power window", () => {
    const m = new MatrixModel();
    m.setItems([item("perplexity/api", { power_window_open: true, next_power_window: { start: "2026-12-01T15:00:00Z", end: "2026-12-01T15:30:00Z", start_local: "2026-12-01T08:00:00-07:00", end_local: "2026-12-01T08:30:00-07:00" } })], T0);
    const [node] = m.nodes(T0);
    assert.equal(node?.label, "perplexity/api");
    assert.match(node?.description ?? "", /^every 1m · 50\/50 left · resets in 22s · ⚡$/);
    const details = Object.fromEntries((node?.children ?? []).map((c) => [c.label, c.description]));
    assert.deepEqual(details, {
      "Window:": "every 1m (requests)",
      "Remaining:": "50 of 50 requests (100%)",
      "Resets:": "in 22s (at 08:14 -07:00)",
      "State:": "open",
      "Power window:": "open until 08:30 -07:00",
    });
    // Ticking: the same data, five seconds later, counts down without a refetch.
    const later = m.nodes(T0 + 5000)[0]?.children.find((c) => c.label === "Resets:");
    assert.equal(later?.description, "in 17s (at 08:14 -07:00)");
    assert.equal(m.nodes(T0 + 30_000)[0]?.children.find((c) => c.label === "Resets:")?.description, "resetting now");
  });

  it("counts down from the server's eta, not the client's clock", () => {
    const m = new MatrixModel();
    // resets_at says 15:14:00, but the client clock is 10 minutes off: eta_seconds wins.
    m.setItems([item("a/b", { eta_seconds: 60 })], T0 + 600_000);
    assert.match(m.nodes(T0 + 600_000 + 15_000)[0]?.description ?? "", /resets in 45s/);
  });

  it("names each state: killed, tracked only, closed, cooldown, reserve hold, low", () => {
    assert.equal(rowState(item("a/b", {}, { killed: "provider 'a' killed" }), T0), "killed");
    assert.equal(rowState(item("a/b", {}, { executable: false }), T0), "tracked");
    assert.equal(rowState(item("a/b", { open: false, closed_reason: "cap reached" }), T0), "closed");
    assert.equal(rowState(item("a/b", { cooldown_until: "2026-12-01T15:20:00Z" }), T0), "cooldown");
    assert.equal(rowState(item("a/b", { reserve_hold: true }), T0), "reserve");
    assert.equal(rowState(item("a/b", { remaining_fraction: 0.1, remaining: 5 }), T0), "low");
    const m = new MatrixModel();
    m.setItems([item("a/b", { open: false, closed_reason: "cap reached" })], T0);
    const node = m.nodes(T0)[0];
    assert.equal(node?.icon, "circle-slash");
    assert.equal(node?.context, "symphony.model.closed");
    assert.match(node?.description ?? "", /^closed · every 1m · 50\/50 left/);
  });

  it("explains windows without a cap or a reset", () => {
    assert.equal(remainingText(item("x/y", { kind: "header_driven", remaining: null, cap: null }).window), "unknown until the provider's headers say");
    const m = new MatrixModel();
    m.setItems([item("x/y", { kind: "rolling_3h", label: "rolling 3h", resets_at: null, eta_seconds: null, used: 0 })], T0);
    assert.equal(m.nodes(T0)[0]?.children.find((c) => c.label === "Resets:")?.description, "no usage in the window yet");
    assert.equal(m.hasCountdown(), false);
    assert.equal(powerWindowText(item("x/y"), T0), "none scheduled");
  });

  it("applies a full window.update at once; partial updates and kills ask for a refetch", () => {
    const m = new MatrixModel();
    m.setItems([item("a/b")], T0);
    const effect = m.applyEvent({ id: "7", type: "window.update", data: { model: "a/b", window: { ...item("a/b").window, remaining: 3, remaining_fraction: 0.06, eta_seconds: 10 } } }, T0);
    assert.equal(effect, "changed");
    assert.equal(m.nodes(T0)[0]?.description, "low · every 1m · 3/50 left · resets in 10s");
    assert.equal(m.applyEvent({ id: "8", type: "window.update", data: { model: "a/b", remaining: 2 } }, T0), "refetch");
    assert.equal(m.applyEvent({ id: "9", type: "control.kill", data: { scope: "all" } }, T0), "refetch");
    assert.equal(m.applyEvent({ id: "10", type: "reset", data: {} }, T0), "refetch");
    assert.equal(m.applyEvent({ id: "11", type: "route.plan", data: {} }, T0), "none");
  });

  it("knows the next instant it changes by itself (a reset or a power-window edge)", () => {
    const m = new MatrixModel();
    m.setItems([item("a/b", { eta_seconds: 3600 }), item("c/d", { eta_seconds: null, resets_at: null, next_power_window: { start: "2026-12-01T15:30:00Z", end: "2026-12-01T16:00:00Z" } })], T0);
    assert.equal(m.nextBoundary(T0), Date.parse("2026-12-01T15:30:00Z"));
  });

  it("status bar: top model, then the kill switch state when one is on", () => {
    const base = { connection: "live" as const, topModel: "openai/chatgpt-plus", topReason: null, task: "qa", kills: [], killedModels: [], modelCount: 3, error: null, baseUrl: "http://x" };
    assert.equal(statusView(base).text, "$(pulse) openai/chatgpt-plus");
    const killed = statusView({ ...base, topModel: null, topReason: "kill switch on", kills: [{ scope: "all", target: null, reason: "drill", actor: null, at: "t" }] });
    assert.equal(killed.text, "$(stop-circle) no model · KILL ALL");
    assert.equal(killed.severity, "error");
    assert.match(killed.tooltip, /Kill switch: everything \(drill\)/);
    const clientKey = statusView({ ...base, kills: null, killedModels: [{ model: "a/b", reason: "provider 'a' killed" }] });
    assert.equal(clientKey.text, "$(stop-circle) openai/chatgpt-plus · kill: 1 model(s)");
    assert.equal(statusView({ ...base, connection: "down", error: "not reachable" }).text, "$(debug-disconnect) Symphony: down");
    assert.equal(statusView({ ...base, connection: "key" }).command, "symphony.setApiKey");
  });
});

describe("Model Matrix from the real service", function () {
  let server: DemoServer;
  before(async function () {
    this.timeout(180_000);
    server = await demo();
  });

  it("renders every model the service lists, with five detail rows each", async () => {
    const client = new SymphonyClient({ baseUrl: () => server.baseUrl, getKey: async () => server.clientKey });
    const matrix = await client.models();
    const m = new MatrixModel();
    const now = Date.now();
    m.setItems(matrix.items, now, matrix.policy_version ?? null);
    const nodes = m.nodes(now);
    assert.deepEqual(nodes.map((n) => n.label), matrix.items.map((i) => i.model));
    for (const n of nodes) {
      assert.deepEqual(n.children.map((c) => c.label), ["Window:", "Remaining:", "Resets:", "State:", "Power window:"]);
      assert.ok(n.children.every((c) => c.description.length > 0 && !c.description.includes("undefined")), n.tooltip);
    }
    const text = matrixSummary(matrix.items, now);
    assert.equal(text.split("\n").length, matrix.items.length);
  });
});
