/* `npm run package` produces a .vsix holding only the bundle, README, LICENSE and icon. */

import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type * as vscode from "vscode";
import { until } from "./support/fakes";
import { type DemoServer, EXTENSION_DIR, demo } from "./support/server";
import { mock } from "./support/vscode-mock";
import { readZip } from "./support/zip";

const run = promisify(execFile);

describe("the packaged .vsix", function () {
  this.timeout(240_000);
  let dir: string;
  let entries: Map<string, Buffer>;
  let pkg: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "symphony-ops-vsix-"));
    const npm = process.platform === "win32" ? "npm.cmd" : "npm";
    await run(npm, ["run", "package", "--", "--out", join(dir, "symphony-ops.vsix")], { cwd: EXTENSION_DIR, maxBuffer: 10_000_000 });
    entries = readZip(join(dir, "symphony-ops.vsix"));
    pkg = JSON.parse(entries.get("extension/package.json")?.toString() ?? "{}");
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("contains only the bundle, README, LICENSE, icon and the manifests", () => {
    assert.deepEqual([...entries.keys()].sort(), [
      "[Content_Types].xml",
      "extension.vsixmanifest",
      "extension/LICENSE.txt",
      "extension/dist/extension.js",
      "extension/media/icon.png",
      "extension/package.json",
      "extension/readme.md",
    ]);
    assert.ok(entries.get("extension/media/icon.png")?.subarray(1, 4).toString() === "PNG");
  });

  it("has the manifest the issue asks for", () => {
    assert.equal(pkg.name, "symphony-ops");
    assert.equal(pkg.main, "./dist/extension.js");
    assert.equal(pkg.engines.vscode, "^1.101.0");
    assert.equal(pkg.dependencies, undefined, "no runtime dependencies");
    const commands = pkg.contributes.commands.map((c: { command: string }) => c.command);
    for (const id of ["symphony.execute", "symphony.explain", "symphony.incident"]) assert.ok(commands.includes(id), id);
    assert.deepEqual(pkg.contributes.views.explorer.map((v: { id: string }) => v.id), ["symphonyModelMatrix"]);
    assert.equal(pkg.contributes.mcpServerDefinitionProviders[0].id, "symphony.mcp");
    const vsixManifest = entries.get("extension.vsixmanifest")?.toString() ?? "";
    assert.match(vsixManifest, new RegExp(`<Identity Language="en-US" Id="symphony-ops" Version="${pkg.version}" Publisher="${pkg.publisher}"`));
    assert.match(vsixManifest, /Microsoft\.VisualStudio\.Code\.Engine" Value="\^1\.101\.0"/);
  });

  it("the bundle needs nothing but vscode and Node built-ins (no node-fetch)", () => {
    const bundle = entries.get("extension/dist/extension.js")?.toString() ?? "";
    const required = new Set([...bundle.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]));
    assert.deepEqual([...required].sort(), ["node:crypto", "vscode"]);
    assert.ok(!bundle.includes("node-fetch"));
  });

  it("the bundled extension activates (in the vscode mock) and talks to the service", async function () {
    const server: DemoServer = await demo();
    const file = join(dir, "extension.js");
    writeFileSync(file, entries.get("extension/dist/extension.js") ?? "");
    const ext = require(file) as { activate(ctx: unknown): { live: { stop(): Promise<void>; matrix: { size: number } } } };
    mock.reset();
    mock.config = { "symphony.baseUrl": server.baseUrl };
    const subscriptions: { dispose(): unknown }[] = [];
    const activated = ext.activate({
      subscriptions,
      secrets: { get: async () => server.clientKey, store: async () => undefined, delete: async () => undefined, onDidChange: () => ({ dispose: () => undefined }) },
      extension: { packageJSON: pkg },
    } as unknown as vscode.ExtensionContext);
    try {
      assert.equal(mock.commands.size, pkg.contributes.commands.length);
      await until(() => activated.live.matrix.size > 0, 20_000, "the matrix from the bundle");
    } finally {
      for (const s of subscriptions) s.dispose();
      await activated.live.stop();
    }
  });
});
