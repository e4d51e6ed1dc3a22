/** The ports of core/ports.ts implemented with the VS Code API (kept thin on purpose). */

import * as vscode from "vscode";
import { DEFAULT_SETTINGS, type EditorText, type InputOptions, type Output, type PickItem, type Secrets, type Settings, type Ui } from "../core/ports";
import type { Overrides } from "../core/types";

export const SECRET_KEY = "symphony.apiKey";

export function readSettings(): Settings {
  const c = vscode.workspace.getConfiguration("symphony");
  const d = DEFAULT_SETTINGS;
  return {
    baseUrl: c.get<string>("baseUrl", d.baseUrl) || d.baseUrl,
    task: c.get<string>("task", d.task) || d.task,
    tasks: c.get<string[]>("tasks", d.tasks),
    loa: c.get<number>("loa", d.loa),
    tenant: c.get<string>("tenant", d.tenant) || d.tenant,
    env: c.get<string>("env", d.env),
    overrides: c.get<Overrides>("overrides", d.overrides) ?? {},
    askForOptions: c.get<boolean>("askForOptions", d.askForOptions),
    stream: c.get<boolean>("stream", d.stream),
    timeoutSeconds: c.get<number>("requestTimeoutSeconds", d.timeoutSeconds),
    incidentSeverities: c.get<string[]>("incidentSeverities", d.incidentSeverities),
    drillCommand: c.get<string>("drillCommand", d.drillCommand) || d.drillCommand,
    mcpEnabled: c.get<boolean>("mcp.enabled", d.mcpEnabled),
  };
}

export function secretsOf(storage: vscode.SecretStorage): Secrets {
  return {
    get: async () => (await storage.get(SECRET_KEY)) || undefined,
    set: (value) => Promise.resolve(storage.store(SECRET_KEY, value)),
    delete: () => Promise.resolve(storage.delete(SECRET_KEY)),
  };
}

/** The selection, or the whole document when nothing is selected. */
export function editorText(): EditorText | undefined {
  const editor = vscode.window.activeTextEditor;
  if (!editor) return undefined;
  const doc = editor.document;
  const sel = editor.selection;
  const isSelection = !sel.isEmpty;
  return {
    text: isSelection ? doc.getText(sel) : doc.getText(),
    fileName: doc.fileName,
    languageId: doc.languageId,
    startLine: isSelection ? sel.start.line + 1 : 1,
    endLine: isSelection ? sel.end.line + 1 : doc.lineCount,
    isSelection,
  };
}

export function outputOf(channel: vscode.OutputChannel): Output {
  return {
    show: () => channel.show(true),
    append: (text) => channel.append(text),
    appendLine: (text) => channel.appendLine(text),
  };
}

export class VsUi implements Ui {
  info(message: string, ...actions: string[]) {
    return Promise.resolve(vscode.window.showInformationMessage(message, ...actions));
  }

  warn(message: string, ...actions: string[]) {
    return Promise.resolve(vscode.window.showWarningMessage(message, ...actions));
  }

  error(message: string, ...actions: string[]) {
    return Promise.resolve(vscode.window.showErrorMessage(message, ...actions));
  }

  async confirm(message: string, detail: string, action: string): Promise<boolean> {
    return (await vscode.window.showWarningMessage(message, { modal: true, detail }, action)) === action;
  }

  async pick<T>(items: PickItem<T>[], placeHolder: string): Promise<T | undefined> {
    const chosen = await vscode.window.showQuickPick(
      items.map((i) => ({ label: i.label, description: i.description, detail: i.detail, value: i.value })),
      { placeHolder, ignoreFocusOut: true },
    );
    return chosen?.value;
  }

  input(options: InputOptions): Promise<string | undefined> {
    return Promise.resolve(
      vscode.window.showInputBox({
        prompt: options.prompt,
        value: options.value,
        placeHolder: options.placeHolder,
        password: options.password ?? false,
        ignoreFocusOut: true,
        validateInput: options.validate ? (v) => options.validate?.(v) ?? null : undefined,
      }),
    );
  }

  progress<T>(title: string, task: (signal: AbortSignal) => Promise<T>): Promise<T> {
    return Promise.resolve(
      vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, (_progress, token) => {
        const controller = new AbortController();
        token.onCancellationRequested(() => controller.abort());
        return task(controller.signal);
      }),
    );
  }

  async openUrl(url: string): Promise<void> {
    await vscode.env.openExternal(vscode.Uri.parse(url));
  }

  async openDocument(content: string, language: string): Promise<void> {
    const doc = await vscode.workspace.openTextDocument({ content, language });
    await vscode.window.showTextDocument(doc, { preview: true });
  }

  async openSettings(query: string): Promise<void> {
    await vscode.commands.executeCommand("workbench.action.openSettings", query);
  }

  async copy(text: string): Promise<void> {
    await vscode.env.clipboard.writeText(text);
  }

  async runInTerminal(name: string, command: string, env: Record<string, string>): Promise<number | undefined> {
    // A shell task keeps its terminal open after the end and reports the exit code.
    const scope = vscode.workspace.workspaceFolders?.[0] ?? vscode.TaskScope.Workspace;
    const task = new vscode.Task({ type: "shell" }, scope, name, "symphony", new vscode.ShellExecution(command, { env }));
    const execution = await vscode.tasks.executeTask(task);
    return new Promise((resolve) => {
      const sub = vscode.tasks.onDidEndTaskProcess((ended) => {
        if (ended.execution !== execution) return;
        sub.dispose();
        resolve(ended.exitCode);
      });
    });
  }
}
