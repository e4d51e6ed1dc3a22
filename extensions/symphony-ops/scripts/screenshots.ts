/**
 * Render the Explain Route webview and a Model Matrix preview from a real `symphony serve
 * --demo`, and screenshot them with headless Chromium into media/*.png.
 *
 *   npm run screenshots            (CHROMIUM=/usr/bin/chromium by default)
 */

import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { SymphonyClient } from "../src/core/api";
import { esc, makeNonce, renderExplainHtml } from "../src/core/explainHtml";
import { type MatrixNode, MatrixModel } from "../src/core/matrix";
import { statusView } from "../src/core/status";
import { EXTENSION_DIR, startDemo } from "../test/support/server";

const run = promisify(execFile);

/** The VS Code Dark+ values of the theme variables the page uses. */
const DARK_THEME = `
:root { --vscode-font-family: "DejaVu Sans", "Segoe UI", system-ui, sans-serif; --vscode-font-size: 13px;
  --vscode-editor-font-family: "DejaVu Sans Mono", Consolas, monospace; --vscode-foreground: #cccccc;
  --vscode-editor-background: #1e1e1e; --vscode-descriptionForeground: #a0a0a0; --vscode-panel-border: #3c3c3c;
  --vscode-sideBar-background: #252526; --vscode-textLink-foreground: #3794ff; }
`;

const CODICON: Record<string, string> = {
  pass: "✔", "stop-circle": "■", eye: "◉", "circle-slash": "⊘", watch: "◔", shield: "⛨", warning: "▲",
  calendar: "▦", dashboard: "◍", history: "↺", pulse: "∿", zap: "⚡", info: "ℹ",
};
const COLOR: Record<string, string> = {
  "testing.iconPassed": "#73c991", errorForeground: "#f48771", "editorWarning.foreground": "#cca700",
};

function treeHtml(nodes: MatrixNode[], expanded: Set<string>, status: string, statusError: boolean): string {
  const row = (n: MatrixNode, depth: number): string => {
    const open = expanded.has(n.id);
    const twisty = n.children.length ? (open ? "⌄" : "›") : "";
    const icon = `<span class="icon" data-c="${esc(n.color ?? "")}">${esc(CODICON[n.icon] ?? "•")}</span>`;
    const self = `<div class="row d${depth}"><span class="tw">${twisty}</span>${icon}<span class="label">${esc(n.label)}</span><span class="desc">${esc(n.description)}</span></div>`;
    return self + (open ? n.children.map((c) => row(c, depth + 1)).join("") : "");
  };
  const colors = Object.entries(COLOR).map(([k, v]) => `.icon[data-c="${k}"] { color: ${v}; }`).join("\n");
  return `<!DOCTYPE html><html><head><meta charset="utf-8"><style>
body { margin: 0; background: #1e1e1e; font: 13px "DejaVu Sans", system-ui, sans-serif; color: #cccccc; }
.side { width: 560px; background: #252526; height: 100vh; position: relative; }
.title { padding: 9px 20px; font-size: 11px; letter-spacing: .06em; color: #bbbbbb; }
.section { padding: 4px 12px; font-size: 11px; font-weight: 700; letter-spacing: .04em; color: #cccccc; border-top: 1px solid #3c3c3c; }
.row { display: flex; align-items: center; height: 22px; white-space: nowrap; overflow: hidden; }
.row:hover { background: #2a2d2e; }
.d0 { padding-left: 12px; } .d1 { padding-left: 34px; }
.tw { width: 14px; color: #c5c5c5; } .icon { width: 20px; text-align: center; }
.label { margin-right: 8px; } .desc { color: #9d9d9d; overflow: hidden; text-overflow: ellipsis; }
.status { position: fixed; left: 0; right: 0; bottom: 0; height: 22px; background: #007acc; color: #fff; display: flex; align-items: center; padding-left: 10px; font-size: 12px; }
.status span { padding: 0 8px; } .status .bad { background: #c72e0f; height: 22px; display: flex; align-items: center; }
${colors}
</style></head><body><div class="side"><div class="title">EXPLORER</div><div class="section">⌄ MODEL MATRIX</div>
${nodes.map((n) => row(n, 0)).join("")}</div>
<div class="status"><span class="${statusError ? "bad" : ""}">${esc(status)}</span></div></body></html>`;
}

async function shoot(html: string, out: string, width: number, height: number, work: string): Promise<void> {
  const page = join(work, `${Math.random().toString(36).slice(2)}.html`);
  writeFileSync(page, html);
  const profile = mkdtempSync(join(work, "profile-"));
  await run(
    process.env.CHROMIUM ?? "/usr/bin/chromium",
    [
      "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--hide-scrollbars", `--user-data-dir=${profile}`,
      `--window-size=${width},${height}`, `--screenshot=${out}`, `file://${page}`,
    ],
    { timeout: 120_000 },
  );
  console.log(`wrote ${out}`);
}

async function main(): Promise<void> {
  const server = await startDemo();
  const work = mkdtempSync(join(tmpdir(), "symphony-shots-"));
  try {
    const client = new SymphonyClient({ baseUrl: () => server.baseUrl, getKey: async () => server.adminKey });
    // Some real traffic first, so windows show usage, and one provider killed.
    for (let i = 0; i < 3; i++) await client.execute({ task: "qa", input: `warm-up ${i}`, loa: 1 });
    await client.kill("provider", "xai", "incident 42: runaway spend");
    const request = { task: "qa", input: "Summarise which usage window resets first and why.", loa: 1, overrides: { temperature: 0.3, tokens_max: 400 } };
    const plan = await client.plan(request);
    const html = renderExplainHtml(plan, { nonce: makeNonce(), cspSource: "'self'", request, previewCss: DARK_THEME });
    await shoot(html, join(EXTENSION_DIR, "media", "explain-route.png"), 1180, 1780, work);

    const received = Date.now();
    const matrix = await client.models();
    const model = new MatrixModel();
    model.setItems(matrix.items, received, matrix.policy_version ?? null);
    const top = plan.decision.primary?.model ?? null;
    const kills = await client.kills();
    const view = statusView({ connection: "live", topModel: top, topReason: null, task: "qa", kills, killedModels: model.killed(), modelCount: model.size, error: null, baseUrl: server.baseUrl });
    const nodes = model.nodes(Date.now());
    const expanded = new Set([nodes[2]?.id ?? "", nodes.find((n) => n.label === "perplexity/api")?.id ?? ""]);
    const statusText = view.text.replace(/\$\([a-z~-]+\)\s*/g, "");
    await shoot(treeHtml(nodes, expanded, `Symphony: ${statusText}`, view.severity === "error"), join(EXTENSION_DIR, "media", "model-matrix.png"), 900, 470, work);
    await client.unkill("provider", "xai");
  } finally {
    await server.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
