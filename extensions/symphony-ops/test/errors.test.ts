import * as assert from "node:assert/strict";
import { SymphonyError, errorFromFailure, errorFromResponse } from "../src/core/errors";

const ctx = { method: "POST", path: "/route/execute", baseUrl: "http://127.0.0.1:8787", hadKey: true };

function candidate(model: string, codes: [string, string][]) {
  return { model, provider: model.split("/")[0], class: "hosted", score: 0.5, denied: true, deny_reasons: codes.map(([code, detail]) => ({ code, detail })), factors: {}, why: [], est_tokens: 1, est_cost_usd: 0, est_latency_ms: 1, window: null, policy_hits: [], loa_ok: true };
}

describe("error messages", () => {
  it("401 with a key says the key was rejected and how to set it", () => {
    const e = errorFromResponse(401, { error: { code: "unauthorized", message: "invalid API key" } }, ctx);
    assert.equal(e.kind, "bad_key");
    assert.match(e.message, /rejected the API key \(401\).*Set API Key/);
  });

  it("401 without a key says a key is needed and how to create one", () => {
    const e = errorFromResponse(401, { error: { code: "unauthorized", message: "missing" } }, { ...ctx, hadKey: false });
    assert.equal(e.kind, "no_key");
    assert.match(e.message, /needs an API key.*symphony keys create/);
  });

  it("409 where every candidate is killed says the kill switch is on", () => {
    const body = { error: { code: "no_eligible_model", message: "…" }, decision: { primary: null, fallbacks: [] }, candidates: [candidate("a/x", [["killed", "everything killed at T: drill"]]), candidate("b/y", [["killed", "everything killed at T: drill"], ["loa_exceeds", "LOA"]])] };
    const e = errorFromResponse(409, body, ctx);
    assert.equal(e.kind, "killed");
    assert.match(e.message, /kill switch is on \(everything killed at T: drill\)/);
  });

  it("409 with other denials lists each model's reasons and mentions a partial kill", () => {
    const body = { error: { code: "no_eligible_model", message: "…" }, candidates: [candidate("a/x", [["killed", "provider 'a' killed"]]), candidate("b/y", [["loa_exceeds", "LOA 9 exceeds the model maximum 2"]])] };
    const e = errorFromResponse(409, body, ctx);
    assert.equal(e.kind, "no_eligible_model");
    assert.match(e.message, /part of it \(provider 'a' killed\)/);
    assert.match(e.message, /b\/y: LOA 9 exceeds the model maximum 2/);
  });

  it("422 names each field path", () => {
    const e = errorFromResponse(422, { error: { code: "validation_error", message: "x", fields: [{ path: "body.task", message: "String should match pattern" }] } }, ctx);
    assert.equal(e.kind, "validation");
    assert.match(e.message, /body\.task: String should match pattern/);
  });

  it("a plain 404 on the route means the service lacks the endpoint", () => {
    const e = errorFromResponse(404, { error: { code: "not_found", message: "Not Found" } }, { ...ctx, path: "/incidents" });
    assert.equal(e.kind, "missing_endpoint");
    assert.match(e.message, /does not offer POST \/incidents \(404\); it needs a newer Symphony/);
  });

  it("502 lists every failed attempt", () => {
    const body = { error: { code: "all_candidates_failed", message: "every candidate failed", detail: { audit: { attempts: [{ model: "a/x", status: 503, reason: "unavailable" }] } } } };
    const e = errorFromResponse(502, body, ctx);
    assert.equal(e.kind, "all_failed");
    assert.match(e.message, /a\/x \(503: unavailable\)/);
  });

  it("429 passes on Retry-After", () => {
    assert.match(errorFromResponse(429, { error: { code: "rate_limited", message: "" } }, ctx, "3").message, /Try again in 3 s/);
  });

  it("a refused connection says the service is not reachable at the base URL", () => {
    const err = Object.assign(new TypeError("fetch failed"), { cause: { code: "ECONNREFUSED" } });
    const e = errorFromFailure(err, ctx, 1000, false);
    assert.equal(e.kind, "unreachable");
    assert.match(e.message, /not reachable at http:\/\/127\.0\.0\.1:8787 \(ECONNREFUSED\).*symphony\.baseUrl/);
  });

  it("a failure that is not the network is not called `unreachable`", () => {
    const e = errorFromFailure(new RangeError("bad state"), ctx, 1000, false);
    assert.equal(e.kind, "protocol");
    assert.match(e.message, /POST \/route\/execute at http:\/\/127\.0\.0\.1:8787 failed: bad state/);
    assert.equal(errorFromFailure(Object.assign(new TypeError("terminated"), { cause: { code: "UND_ERR_SOCKET" } }), ctx, 1, false).kind, "unreachable");
  });

  it("a timeout and a user cancel are told apart", () => {
    const timeout = Object.assign(new Error("t"), { name: "TimeoutError" });
    assert.equal(errorFromFailure(timeout, ctx, 5000, false).kind, "timeout");
    assert.match(errorFromFailure(timeout, ctx, 5000, false).message, /within 5 s/);
    assert.equal(errorFromFailure(timeout, ctx, 5000, true).kind, "cancelled");
    assert.ok(errorFromFailure(new SymphonyError("forbidden", "x", ctx), ctx, 1, false).kind === "forbidden");
  });
});
