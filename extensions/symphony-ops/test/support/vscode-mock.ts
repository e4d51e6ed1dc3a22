/**
 * A hand-written stand-in for the `vscode` module: just the API surface the extension uses,
 * recording what it was asked to show and answering prompts from scripted queues.
 */

/* eslint-disable @typescript-eslint/no-explicit-any */

type Listener<T> = (e: T) => unknown;

export class EventEmitter<T> {
  private listeners: Listener<T>[] = [];
  readonly event = (listener: Listener<T>) => {
    this.listeners.push(listener);
    return new Disposable(() => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    });
  };
  fire(value: T): void {
    for (const l of [...this.listeners]) l(value);
  }
  dispose(): void {
    this.listeners = [];
  }
}

export class Disposable {
  constructor(private readonly fn: () => void = () => undefined) {}
  static from(...items: { dispose(): unknown }[]): Disposable {
    return new Disposable(() => items.forEach((i) => i.dispose()));
  }
  dispose(): void {
    this.fn();
  }
}

export class Uri {
  private constructor(readonly scheme: string, readonly value: string) {}
  static parse(value: string): Uri {
    const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(value)?.[1] ?? "file";
    return new Uri(scheme, value);
  }
  static file(path: string): Uri {
    return new Uri("file", `file://${path}`);
  }
  toString(): string {
    return this.value;
  }
}

export enum TreeItemCollapsibleState {
  None = 0,
  Collapsed = 1,
  Expanded = 2,
}
export enum StatusBarAlignment {
  Left = 1,
  Right = 2,
}
export enum ViewColumn {
  Active = -1,
  Beside = -2,
  One = 1,
}
export enum ProgressLocation {
  SourceControl = 1,
  Window = 10,
  Notification = 15,
}
export enum TaskScope {
  Global = 1,
  Workspace = 2,
}

export class ThemeIcon {
  constructor(readonly id: string, readonly color?: ThemeColor) {}
}
export class ThemeColor {
  constructor(readonly id: string) {}
}

export class TreeItem {
  id?: string;
  description?: string;
  tooltip?: string;
  contextValue?: string;
  iconPath?: ThemeIcon;
  constructor(readonly label: string, readonly collapsibleState: TreeItemCollapsibleState) {}
}

export class McpHttpServerDefinition {
  constructor(
    readonly label: string,
    public uri: Uri,
    public headers: Record<string, string> = {},
    public version?: string,
  ) {}
}

export class LanguageModelTextPart {
  constructor(readonly value: string) {}
}
export class LanguageModelToolResult {
  constructor(readonly content: LanguageModelTextPart[]) {}
}

export class ShellExecution {
  constructor(readonly commandLine: string, readonly options: { env?: Record<string, string> } = {}) {}
}
export class Task {
  constructor(
    readonly definition: { type: string },
    readonly scope: unknown,
    readonly name: string,
    readonly source: string,
    readonly execution: ShellExecution,
  ) {}
}

export class CancellationTokenSource {
  private readonly emitter = new EventEmitter<void>();
  readonly token = {
    isCancellationRequested: false,
    onCancellationRequested: this.emitter.event,
  };
  cancel(): void {
    this.token.isCancellationRequested = true;
    this.emitter.fire();
  }
}

/** Everything the tests inspect or script. */
export const mock = {
  messages: [] as { level: "info" | "warn" | "error"; text: string; actions: string[]; modal?: boolean; detail?: string }[],
  /** Answers for the next messages (button labels), in order; undefined = dismissed. */
  messageAnswers: [] as (string | undefined)[],
  pickAnswers: [] as ((items: any[]) => any)[],
  inputAnswers: [] as (string | undefined)[],
  inputs: [] as any[],
  picks: [] as any[][],
  config: {} as Record<string, unknown>,
  commands: new Map<string, (...args: any[]) => any>(),
  executed: [] as { command: string; args: unknown[] }[],
  outputs: new Map<string, string>(),
  statusItems: [] as any[],
  treeViews: [] as { id: string; provider: any; visibility: EventEmitter<{ visible: boolean }>; view: { message?: string; visible: boolean } }[],
  panels: [] as any[],
  documents: [] as { content: string; language: string }[],
  opened: [] as string[],
  clipboard: "",
  tools: new Map<string, any>(),
  mcpProviders: new Map<string, any>(),
  tasks: [] as Task[],
  taskEnded: new EventEmitter<{ execution: any; exitCode: number | undefined }>(),
  configChanged: new EventEmitter<{ affectsConfiguration(section: string): boolean }>(),
  activeTextEditor: undefined as any,
  reset(): void {
    this.messages = [];
    this.messageAnswers = [];
    this.pickAnswers = [];
    this.inputAnswers = [];
    this.inputs = [];
    this.picks = [];
    this.config = {};
    this.commands.clear();
    this.executed = [];
    this.outputs.clear();
    this.statusItems = [];
    this.treeViews = [];
    this.panels = [];
    this.documents = [];
    this.opened = [];
    this.clipboard = "";
    this.tools.clear();
    this.mcpProviders.clear();
    this.tasks = [];
    this.activeTextEditor = undefined;
  },
};

/** A fake text editor over `text`, with an optional selection [start, end) in characters. */
export function fakeEditor(text: string, fileName = "/work/demo.py", languageId = "python", selection?: [number, number]) {
  const lineOf = (offset: number) => text.slice(0, offset).split("\n").length - 1;
  const sel = selection ?? [0, 0];
  const range = { start: { line: lineOf(sel[0]) }, end: { line: lineOf(sel[1]) }, isEmpty: sel[0] === sel[1], sel };
  return {
    selection: range,
    document: {
      fileName,
      languageId,
      lineCount: text.split("\n").length,
      getText: (r?: typeof range) => (r ? text.slice(r.sel[0], r.sel[1]) : text),
    },
  };
}

function message(level: "info" | "warn" | "error") {
  return (text: string, ...rest: any[]) => {
    let modal = false;
    let detail: string | undefined;
    if (rest.length && typeof rest[0] === "object" && rest[0] !== null) {
      modal = Boolean(rest[0].modal);
      detail = rest[0].detail;
      rest = rest.slice(1);
    }
    mock.messages.push({ level, text, actions: rest as string[], modal, detail });
    return Promise.resolve(mock.messageAnswers.shift());
  };
}

export const window = {
  get activeTextEditor() {
    return mock.activeTextEditor;
  },
  showInformationMessage: message("info"),
  showWarningMessage: message("warn"),
  showErrorMessage: message("error"),
  showQuickPick: (items: any[]) => {
    mock.picks.push(items);
    const answer = mock.pickAnswers.shift();
    return Promise.resolve(answer ? answer(items) : undefined);
  },
  showInputBox: (options: any) => {
    mock.inputs.push(options);
    return Promise.resolve(mock.inputAnswers.shift());
  },
  withProgress: (_options: any, task: (progress: any, token: any) => Promise<any>) =>
    task({ report: () => undefined }, new CancellationTokenSource().token),
  createOutputChannel: (name: string) => {
    mock.outputs.set(name, "");
    const add = (t: string) => mock.outputs.set(name, (mock.outputs.get(name) ?? "") + t);
    return { name, append: add, appendLine: (t: string) => add(`${t}\n`), show: () => undefined, dispose: () => undefined };
  },
  createStatusBarItem: (id: string) => {
    const item = { id, text: "", tooltip: "", command: "", backgroundColor: undefined, name: "", visible: false, show() { this.visible = true; }, dispose: () => undefined };
    mock.statusItems.push(item);
    return item;
  },
  createTreeView: (id: string, options: { treeDataProvider: any }) => {
    const visibility = new EventEmitter<{ visible: boolean }>();
    const view = { message: undefined as string | undefined, visible: true, onDidChangeVisibility: visibility.event, dispose: () => undefined };
    mock.treeViews.push({ id, provider: options.treeDataProvider, visibility, view });
    return view;
  },
  createWebviewPanel: (viewType: string, title: string, _column: unknown, options: any) => {
    const received = new EventEmitter<any>();
    const disposed = new EventEmitter<void>();
    const panel = {
      viewType,
      title,
      options,
      revealed: 0,
      webview: { html: "", cspSource: "vscode-webview://mock", onDidReceiveMessage: received.event, postMessage: () => Promise.resolve(true) },
      onDidDispose: disposed.event,
      reveal() {
        this.revealed += 1;
      },
      dispose: () => disposed.fire(),
      /** Test helper: a message from the page's script. */
      send: (m: unknown) => received.fire(m),
    };
    mock.panels.push(panel);
    return panel;
  },
  showTextDocument: () => Promise.resolve(undefined),
};

export const workspace = {
  workspaceFolders: undefined,
  getConfiguration: (section: string) => ({
    get: <T>(key: string, fallback?: T): T => {
      const full = `${section}.${key}`;
      return (full in mock.config ? mock.config[full] : fallback) as T;
    },
  }),
  onDidChangeConfiguration: mock.configChanged.event,
  openTextDocument: (options: { content: string; language: string }) => {
    mock.documents.push({ content: options.content, language: options.language });
    return Promise.resolve(options);
  },
};

export const commands = {
  registerCommand: (id: string, fn: (...args: any[]) => any) => {
    if (mock.commands.has(id)) throw new Error(`command '${id}' already registered`);
    mock.commands.set(id, fn);
    return new Disposable(() => mock.commands.delete(id));
  },
  executeCommand: (command: string, ...args: unknown[]) => {
    mock.executed.push({ command, args });
    const fn = mock.commands.get(command);
    return Promise.resolve(fn ? fn(...args) : undefined);
  },
};

export const env = {
  openExternal: (uri: Uri) => {
    mock.opened.push(uri.toString());
    return Promise.resolve(true);
  },
  clipboard: {
    writeText: (text: string) => {
      mock.clipboard = text;
      return Promise.resolve();
    },
  },
};

export const lm = {
  registerTool: (name: string, tool: any) => {
    mock.tools.set(name, tool);
    return new Disposable(() => mock.tools.delete(name));
  },
  registerMcpServerDefinitionProvider: (id: string, provider: any) => {
    mock.mcpProviders.set(id, provider);
    return new Disposable(() => mock.mcpProviders.delete(id));
  },
};

export const tasks = {
  executeTask: (task: Task) => {
    mock.tasks.push(task);
    return Promise.resolve({ task });
  },
  onDidEndTaskProcess: mock.taskEnded.event,
};

export const version = "1.101.0-mock";
