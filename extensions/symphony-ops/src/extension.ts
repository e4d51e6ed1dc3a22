/** Composition root: build the client, live state, views and commands; nothing else. */

import * as vscode from "vscode";
import { SymphonyClient } from "./core/api";
import { clearApiKey, executeRoute, explainBody, explainRoute, fileIncident, openAudit, setApiKey } from "./core/commands";
import { Live } from "./core/live";
import type { MatrixNode } from "./core/matrix";
import type { Deps } from "./core/ports";
import { killScope, liftKill, reloadPolicy, runDrill, showBurndown, showHealth } from "./core/runbook";
import { VsUi, editorText, outputOf, readSettings, secretsOf } from "./vscode/adapters";
import { registerMcp, registerTools } from "./vscode/copilot";
import { ExplainPanel } from "./vscode/explainPanel";
import { MatrixTreeProvider, updateStatusBar } from "./vscode/views";

export const VIEW_ID = "symphonyModelMatrix";

export interface Activated {
  deps: Deps;
  live: Live;
  tree: MatrixTreeProvider;
}

export function activate(context: vscode.ExtensionContext): Activated {
  const version = String((context.extension?.packageJSON as { version?: string } | undefined)?.version ?? "0.0.0");
  const secrets = secretsOf(context.secrets);
  const client = new SymphonyClient({
    baseUrl: () => readSettings().baseUrl,
    getKey: () => secrets.get(),
    timeoutMs: () => readSettings().timeoutSeconds * 1000,
    userAgent: `symphony-ops/${version} (vscode ${vscode.version})`,
  });
  const channel = vscode.window.createOutputChannel("Symphony");
  const ui = new VsUi();
  const status = vscode.window.createStatusBarItem("symphony.status", vscode.StatusBarAlignment.Left, 50);
  status.name = "Symphony";

  let tree: MatrixTreeProvider | null = null;
  let view: vscode.TreeView<MatrixNode> | null = null;
  const live = new Live({
    client,
    settings: readSettings,
    onChange: () => {
      tree?.refresh();
      updateStatusBar(status, live);
      if (view) view.message = live.lastError ?? undefined;
    },
  });
  tree = new MatrixTreeProvider(live);
  view = vscode.window.createTreeView(VIEW_ID, { treeDataProvider: tree, showCollapseAll: true });
  tree.setVisible(view.visible ?? true);
  view.onDidChangeVisibility((e) => tree?.setVisible(e.visible));

  const copilotDeps = { client, settings: readSettings, secrets, editor: editorText, version };
  const mcp = registerMcp(copilotDeps);

  // The deps object is needed by the panel's callbacks: declared first, filled below.
  const deps: Deps = {
    client,
    ui,
    output: outputOf(channel),
    editor: editorText,
    settings: readSettings,
    secrets,
    explain: { show: () => undefined },
    matrix: () => live.matrix.items(),
    refresh: () => void live.refresh(),
    keyChanged: () => {
      live.restart();
      mcp.changed();
    },
  };
  const panel = new ExplainPanel(
    (request) => void explainBody(deps, request),
    (plan) => void ui.openDocument(JSON.stringify(plan, null, 2), "json"),
    (text) => void ui.copy(text),
  );
  deps.explain = panel;

  const commands: Record<string, () => Promise<unknown>> = {
    "symphony.execute": () => executeRoute(deps),
    "symphony.explain": () => explainRoute(deps),
    "symphony.incident": () => fileIncident(deps),
    "symphony.setApiKey": () => setApiKey(deps),
    "symphony.clearApiKey": () => clearApiKey(deps),
    "symphony.kill": () => killScope(deps),
    "symphony.unkill": () => liftKill(deps),
    "symphony.reloadPolicy": () => reloadPolicy(deps),
    "symphony.health": () => showHealth(deps),
    "symphony.burndown": () => showBurndown(deps),
    "symphony.drill": () => runDrill(deps),
    "symphony.refreshMatrix": () => live.refresh(),
    "symphony.openAudit": () => openAudit(deps),
  };
  for (const [id, run] of Object.entries(commands)) {
    context.subscriptions.push(vscode.commands.registerCommand(id, run));
  }

  context.subscriptions.push(
    channel,
    status,
    view,
    tree,
    panel,
    mcp.disposable,
    registerTools(copilotDeps),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration("symphony")) {
        live.restart();
        mcp.changed();
      }
    }),
    { dispose: () => void live.stop() },
  );
  updateStatusBar(status, live);
  live.start();
  return { deps, live, tree };
}

export function deactivate(): void {
  // Everything is in context.subscriptions; VS Code disposes them.
}
