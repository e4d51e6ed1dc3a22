/* The extension through the hand-written `vscode` mock: activation wiring, views, Copilot glue. */

import * as assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as vscode from "vscode";
import { type Activated, VIEW_ID, activate } from "../src/extension";
import { until } from "./support/fakes";
import { type DemoServer, EXTENSION_DIR, demo, freePort } from "./support/server";
import { CancellationTokenSource, McpHttpServerDefinition, fakeEditor, mock } from "./support/vscode-mock";

interface Manifest {
  version: string;
  contributes: {
    commands: { command: string }[];
    views: { explorer: { id: string }[] };
    mcpServerDefinitionProviders: { id: string }[];
    languageModelTools: { name: string }[];
    configuration: { properties: Record<string, { default?: unknown; scope?: string }> };
  };
}
const manifest = JSON.parse(readFileSync(join(EXTENSION_DIR, "package.json"), "utf8")) as Manifest;

function context(secret: string | undefined) {
  const store = new Map<string, string>();
  if (secret) store.set("symphony.apiKey", secret);
  return {
    subscriptions: [] as { dispose(): unknown }[],
    secrets: {
      get: async (k: string) => store.get(k),
      store: async (k: string, v: string) => void store.set(k, v),
      delete: async (k: string) => void store.delete(k),
      onDidChange: () => ({ dispose: () => undefined }),
    },
    extension: { packageJSON: manifest },
    store,
  };
}

describe("the extension in a mocked VS Code", function () {
  let server: DemoServer;
  let ctx: ReturnType<typeof context>;
  let ext: Activated;

  before(async function () {
    this.timeout(180_000);
    server = await demo();
  });

  /** Activate with `key` in SecretStorage (null: no key). */
  function start(key: string | null = server.clientKey, config: Record<string, unknown> = {}) {
    mock.reset();
    mock.config = { "symphony.baseUrl": server.baseUrl, ...config };
    ctx = context(key ?? undefined);
    ext = activate(ctx as unknown as vscode.ExtensionContext);
    return ext;
  }

  afterEach(async () => {
    for (const s of ctx?.subscriptions ?? []) s.dispose();
    await ext?.live.stop();
  });

  it("registers every contributed command, the view, the MCP provider and the tools", () => {
    start();
    assert.deepEqual([...mock.commands.keys()].sort(), manifest.contributes.commands.map((c) => c.command).sort());
    assert.deepEqual(mock.treeViews.map((v) => v.id), [VIEW_ID]);
    assert.deepEqual(manifest.contributes.views.explorer.map((v) => v.id), [VIEW_ID]);
    assert.deepEqual([...mock.mcpProviders.keys()], manifest.contributes.mcpServerDefinitionProviders.map((p) => p.id));
    assert.deepEqual([...mock.tools.keys()].sort(), manifest.contributes.languageModelTools.map((t) => t.name).sort());
  });

  it("settings: base URL defaults to 127.0.0.1:8787 at machine scope; no key setting exists", () => {
    const props = manifest.contributes.configuration.properties;
    assert.equal(props["symphony.baseUrl"]?.default, "http://127.0.0.1:8787");
    assert.equal(props["symphony.baseUrl"]?.scope, "machine");
    assert.ok(!Object.keys(props).some((k) => /key|token|secret/i.test(k)), "the key lives in SecretStorage only");
  });

  it("the Model Matrix view and the status bar fill from the live service", async () => {
    start();
    const provider = mock.treeViews[0]?.provider as vscode.TreeDataProvider<unknown>;
    await until(() => ((provider.getChildren() as unknown[]) ?? []).length > 0 && ext.live.topModel !== null, 20_000, "rows");
    const roots = provider.getChildren() as { children: unknown[] }[];
    const item = provider.getTreeItem(roots[0] as never) as vscode.TreeItem;
    assert.equal(item.collapsibleState, vscode.TreeItemCollapsibleState.Collapsed);
    assert.ok((item.iconPath as vscode.ThemeIcon).id);
    assert.ok(String(item.description).length > 0);
    const detail = provider.getTreeItem((provider.getChildren(roots[0] as never) as unknown[])[2] as never) as vscode.TreeItem;
    assert.equal(detail.label, "Resets:");
    const status = mock.statusItems[0] as { text: string; visible: boolean; command: string };
    await until(() => status.text.includes(ext.live.topModel ?? "?"), 10_000, "status text");
    assert.equal(status.visible, true);
    assert.equal(status.command, "symphony.explain");
  });

  it("MCP: an HTTP definition at <base>/mcp/ with the SecretStorage key; resolve re-reads the key", async () => {
    start("key-one");
    const provider = mock.mcpProviders.get("symphony.mcp");
    const token = new CancellationTokenSource().token;
    const [def] = (await provider.provideMcpServerDefinitions(token)) as McpHttpServerDefinition[];
    assert.ok(def instanceof McpHttpServerDefinition);
    assert.equal(def.label, "Symphony");
    assert.equal(def.uri.toString(), `${server.baseUrl}/mcp/`);
    assert.deepEqual(def.headers, { Authorization: "Bearer key-one" });
    assert.equal(def.version, manifest.version);
    let changed = 0;
    provider.onDidChangeMcpServerDefinitions(() => (changed += 1));
    mock.inputAnswers.push("key-two");
    await vscode.commands.executeCommand("symphony.setApiKey");
    assert.equal(ctx.store.get("symphony.apiKey"), "key-two");
    assert.equal(changed, 1, "Copilot is told the definition changed");
    const resolved = (await provider.resolveMcpServerDefinition(def, token)) as McpHttpServerDefinition;
    assert.deepEqual(resolved.headers, { Authorization: "Bearer key-two" });
  });

  it("MCP can be turned off in the settings", async () => {
    start(null, { "symphony.mcp.enabled": false });
    const defs = await mock.mcpProviders.get("symphony.mcp").provideMcpServerDefinitions(new CancellationTokenSource().token);
    assert.deepEqual(defs, []);
  });

  it("the LM tool says which model would run the selection, and why (real /route/plan)", async () => {
    start();
    mock.activeTextEditor = fakeEditor("x = 1\nprint(x)\n", "/w/a.py", "python", [0, 8]);
    const tool = mock.tools.get("symphony_explain_route");
    const token = new CancellationTokenSource().token;
    const prepared = tool.prepareInvocation({ input: {} }, token);
    assert.match(prepared.invocationMessage, /the selection/);
    const result = (await tool.invoke({ input: { task: "code" } }, token)) as vscode.LanguageModelToolResult;
    const text = (result.content[0] as vscode.LanguageModelTextPart).value;
    assert.match(text, /^Symphony routing for task 'code' at LOA 1 \(tenant default\), input of 8 characters:\nChosen model: /);
    assert.match(text, /Quota state:/);
    const matrix = (await mock.tools.get("symphony_model_matrix").invoke({ input: {} }, token)) as vscode.LanguageModelToolResult;
    const lines = (matrix.content[0] as vscode.LanguageModelTextPart).value.split("\n");
    const models = (await ext.deps.client.models()).items.map((i) => i.model);
    assert.equal(lines.length, models.length + 1);
    for (const m of models) assert.ok(lines.some((l) => l.startsWith(`${m} [`)), m);
  });

  it("Execute Route from the command palette streams into the Symphony output channel", async () => {
    start();
    mock.activeTextEditor = fakeEditor("print('hi')", "/w/b.py", "python", [0, 11]);
    await vscode.commands.executeCommand("symphony.execute");
    const out = mock.outputs.get("Symphony") ?? "";
    assert.match(out, /^▶ qa · LOA 1 · 11 chars from b\.py:1\n→ .+\n.+\n✔ .+ · audit aud_[\w-]+ · \d+ ms · /);
    assert.match(mock.messages[mock.messages.length - 1]?.text ?? "", /^Symphony: .* · audit aud_/);
  });

  it("Explain Route opens a webview with a strict CSP; its buttons re-plan and open the JSON", async () => {
    start();
    mock.activeTextEditor = fakeEditor("explain this", "/w/c.md", "markdown", [0, 12]);
    await vscode.commands.executeCommand("symphony.explain");
    const panel = mock.panels[0];
    assert.equal(panel.options.enableScripts, true);
    assert.deepEqual(panel.options.localResourceRoots, []);
    const html: string = panel.webview.html;
    const nonce = /<script nonce="([^"]+)">/.exec(html)?.[1];
    assert.ok(nonce);
    assert.ok(html.includes(`script-src &#39;nonce-${nonce}&#39;`));
    assert.ok(html.includes("style-src vscode-webview://mock"));
    assert.match(panel.title, /^Explain: /);
    panel.send({ type: "json" });
    await until(() => mock.documents.length === 1, 5000, "the JSON document");
    assert.ok(JSON.parse(mock.documents[0]?.content ?? "{}").candidates.length > 0);
    panel.send({ type: "replan" });
    await until(() => panel.webview.html !== html, 10_000, "a re-render");
    assert.notEqual(/<script nonce="([^"]+)">/.exec(panel.webview.html)?.[1], nonce, "a new nonce per render");
    assert.equal(mock.panels.length, 1, "one panel, reused");
  });

  it("a settings change applies at once (a dead URL turns the status bar to down)", async () => {
    start();
    await until(() => ext.live.connection === "live", 20_000, "live");
    mock.config["symphony.baseUrl"] = `http://127.0.0.1:${await freePort()}`;
    mock.configChanged.fire({ affectsConfiguration: (s: string) => s === "symphony" });
    const status = mock.statusItems[0] as { text: string };
    await until(() => status.text === "$(debug-disconnect) Symphony: down", 10_000, "down");
    assert.match(mock.treeViews[0]?.view.message ?? "", /^Symphony is not reachable at http:\/\/127\.0\.0\.1:\d+/);
  });

  it("after deactivation nothing keeps ticking, even if a late load finishes", async () => {
    start();
    await until(() => ext.live.matrix.hasCountdown(), 20_000, "rows with a countdown");
    ext.tree.refresh();
    assert.notEqual((ext.tree as unknown as { ticker: unknown }).ticker, null, "ticks while active");
    for (const s of ctx.subscriptions) s.dispose();
    await ext.live.stop();
    ext.tree.refresh(); // a late refresh after dispose
    assert.equal((ext.tree as unknown as { ticker: unknown }).ticker, null);
    let notified = 0;
    const late = ext.live as unknown as { options: { onChange: () => void } };
    late.options.onChange = () => (notified += 1);
    await ext.live.refresh();
    assert.equal(notified, 0, "a stopped Live tells no one");
  });

  it("without a key against an authenticating service, the status bar asks for one", async () => {
    start(null);
    const status = mock.statusItems[0] as { text: string; command: string };
    await until(() => status.text === "$(key) Symphony: set key", 10_000, "set key");
    assert.equal(status.command, "symphony.setApiKey");
  });
});
