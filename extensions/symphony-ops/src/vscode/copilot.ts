/** Copilot: Symphony's MCP server for agent mode, and two Language Model Tools. */

import * as vscode from "vscode";
import type { SymphonyClient } from "../core/api";
import { mcpDefinition } from "../core/mcp";
import type { EditorText, Secrets, Settings } from "../core/ports";
import { type ExplainToolInput, explainForModel, matrixForModel, toolPlanBody } from "../core/tools";

export const MCP_PROVIDER_ID = "symphony.mcp";
export const EXPLAIN_TOOL = "symphony_explain_route";
export const MATRIX_TOOL = "symphony_model_matrix";

export interface CopilotDeps {
  client: SymphonyClient;
  settings: () => Settings;
  secrets: Secrets;
  editor: () => EditorText | undefined;
  version: string;
}

/** Register the MCP server definition provider; returns it with a `changed` trigger. */
export function registerMcp(deps: CopilotDeps): { disposable: vscode.Disposable; changed: () => void } {
  const emitter = new vscode.EventEmitter<void>();
  const build = async (): Promise<vscode.McpHttpServerDefinition[]> => {
    const s = deps.settings();
    const data = mcpDefinition(s.baseUrl, await deps.secrets.get(), s.mcpEnabled, deps.version);
    return data ? [new vscode.McpHttpServerDefinition(data.label, vscode.Uri.parse(data.url), data.headers, data.version)] : [];
  };
  const registration = vscode.lm.registerMcpServerDefinitionProvider(MCP_PROVIDER_ID, {
    onDidChangeMcpServerDefinitions: emitter.event,
    provideMcpServerDefinitions: () => build(),
    // Called when Copilot starts the server: re-read the key so a key set since is used.
    resolveMcpServerDefinition: async (server) => {
      const key = await deps.secrets.get();
      if (server instanceof vscode.McpHttpServerDefinition) {
        const headers = { ...server.headers };
        if (key) headers.Authorization = `Bearer ${key}`;
        else delete headers.Authorization;
        server.headers = headers;
      }
      return server;
    },
  });
  return {
    disposable: vscode.Disposable.from(registration, emitter),
    changed: () => emitter.fire(),
  };
}

function text(value: string): vscode.LanguageModelToolResult {
  return new vscode.LanguageModelToolResult([new vscode.LanguageModelTextPart(value)]);
}

/** Register the two Language Model Tools (declared in package.json `languageModelTools`). */
export function registerTools(deps: CopilotDeps): vscode.Disposable {
  const signalOf = (token: vscode.CancellationToken): AbortSignal => {
    const controller = new AbortController();
    token.onCancellationRequested(() => controller.abort());
    return controller.signal;
  };
  const explain = vscode.lm.registerTool<ExplainToolInput>(EXPLAIN_TOOL, {
    prepareInvocation: (options) => ({
      invocationMessage: `Asking Symphony which model would run ${options.input.input ? "this text" : "the selection"}`,
    }),
    invoke: async (options, token) => {
      const body = toolPlanBody(options.input ?? {}, deps.settings(), deps.editor());
      return text(await explainForModel(deps.client, body, signalOf(token)));
    },
  });
  const matrix = vscode.lm.registerTool<Record<string, never>>(MATRIX_TOOL, {
    prepareInvocation: () => ({ invocationMessage: "Reading Symphony's Model Matrix" }),
    invoke: async (_options, token) => text(await matrixForModel(deps.client, deps.settings().tenant, Date.now, signalOf(token))),
  });
  return vscode.Disposable.from(explain, matrix);
}
