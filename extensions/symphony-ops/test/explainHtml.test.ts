import * as assert from "node:assert/strict";
import { SymphonyClient } from "../src/core/api";
import { SymphonyError } from "../src/core/errors";
import { contentSecurityPolicy, makeNonce, renderExplainHtml } from "../src/core/explainHtml";
import type { Plan } from "../src/core/types";
import { type DemoServer, demo } from "./support/server";

function cspOf(html: string): string {
  const m = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html);
  assert.ok(m, "a CSP meta tag");
  return (m[1] ?? "").replace(/&#39;/g, "'");
}

describe("Explain Route webview HTML", function () {
  let server: DemoServer;
  let client: SymphonyClient;
  before(async function () {
    this.timeout(180_000);
    server = await demo();
    client = new SymphonyClient({ baseUrl: () => server.baseUrl, getKey: async () => server.clientKey });
  });

  it("has a strict CSP: nothing by default, script and style only with this render's nonce", async () => {
    const plan = await client.plan({ task: "qa", input: "hello", loa: 1 });
    const nonce = makeNonce();
    const html = renderExplainHtml(plan, { nonce, cspSource: "vscode-webview://abc", request: { task: "qa", loa: 1 } });
    const csp = cspOf(html);
    assert.equal(csp, contentSecurityPolicy(nonce, "vscode-webview://abc"));
    assert.match(csp, /^default-src 'none'; /);
    assert.match(csp, new RegExp(`script-src 'nonce-${nonce}'`));
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/);
    const scripts = [...html.matchAll(/<script([^>]*)>/g)].map((m) => m[1]);
    assert.deepEqual(scripts, [` nonce="${nonce}"`]);
    assert.deepEqual([...html.matchAll(/<style([^>]*)>/g)].map((m) => m[1]), [` nonce="${nonce}"`]);
    assert.doesNotMatch(html, /\son[a-z]+=/i, "no inline event handlers");
    assert.doesNotMatch(html, /\sstyle=/i, "no style attributes (the CSP would block them)");
    assert.doesNotMatch(html, /(src|href)="https?:/i, "no remote loads");
    assert.notEqual(makeNonce(), nonce, "a fresh nonce each render");
  });

  it("shows the chosen model, every candidate with factors and deny reasons, and the controls", async () => {
    const request = { task: "qa", input: "Which window resets first?", loa: 1, overrides: { temperature: 0.3 } };
    const plan = await client.plan(request);
    const html = renderExplainHtml(plan, { nonce: "n1", cspSource: "x", request });
    assert.ok(plan.decision.primary);
    assert.match(html, new RegExp(`<h2>${plan.decision.primary.model.replace("/", "\\/")}</h2>`));
    for (const c of plan.candidates) assert.ok(html.includes(`<strong>${c.model}</strong>`), c.model);
    const denied = plan.candidates.filter((c) => c.denied);
    assert.ok(denied.length > 0, "the demo policy denies some candidates");
    for (const c of denied) for (const r of c.deny_reasons) assert.ok(html.includes(`<code>${r.code}</code>`), r.code);
    assert.match(html, /<code>temperature<\/code><\/td><td>0\.3<\/td><td><span class="badge you">your override<\/span>/);
    assert.match(html, /<code>loa<\/code><\/td><td>1<\/td><td><span class="badge you">your request<\/span>/);
    assert.equal((html.match(/<svg class="bar"/g) ?? []).length, plan.candidates.length);
  });

  it("escapes text from the service", () => {
    const evil = "<img src=x onerror=alert(1)>";
    const plan: Plan = {
      policy_version: "v",
      decision: { primary: null, fallbacks: [] },
      candidates: [{ model: evil, provider: "p", class: "hosted", score: 0.1, denied: true, deny_reasons: [{ code: "x", detail: evil }], factors: {}, why: [evil], est_tokens: 1, est_cost_usd: 0, est_latency_ms: 1, window: null, policy_hits: [], loa_ok: true }],
    };
    const html = renderExplainHtml(plan, { nonce: "n", cspSource: "x", request: { task: "qa" }, noEligible: evil });
    assert.ok(!html.includes("<img"));
    assert.ok(html.includes("&lt;img src=x onerror=alert(1)&gt;"));
  });

  it("renders a 409 (nothing eligible) with every candidate's reasons", async () => {
    try {
      await client.plan({ task: "qa", input: "x", loa: 9 });
      assert.fail("expected 409");
    } catch (err) {
      assert.ok(err instanceof SymphonyError && err.kind === "no_eligible_model");
      const html = renderExplainHtml(err.body as Plan, { nonce: "n", cspSource: "x", request: { task: "qa", loa: 9 }, noEligible: err.message });
      assert.match(html, /<h2>No eligible model<\/h2>/);
      assert.match(html, /loa_exceeds/);
    }
  });
});
