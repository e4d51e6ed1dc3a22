/** What the command handlers need from the editor, as interfaces (VS Code or a test fake). */

import type { SymphonyClient } from "./api";
import type { MatrixItem, Overrides, Plan, PlanBody } from "./types";

export interface PickItem<T> {
  label: string;
  description?: string;
  detail?: string;
  value: T;
}

export interface InputOptions {
  prompt: string;
  value?: string;
  placeHolder?: string;
  password?: boolean;
  /** Return an error message, or null when the value is fine. */
  validate?: (value: string) => string | null;
}

export interface Ui {
  info(message: string, ...actions: string[]): Promise<string | undefined>;
  warn(message: string, ...actions: string[]): Promise<string | undefined>;
  error(message: string, ...actions: string[]): Promise<string | undefined>;
  /** A modal question; true only when the user pressed `action`. */
  confirm(message: string, detail: string, action: string): Promise<boolean>;
  pick<T>(items: PickItem<T>[], placeHolder: string): Promise<T | undefined>;
  input(options: InputOptions): Promise<string | undefined>;
  /** Run `task` under a cancellable progress notification. */
  progress<T>(title: string, task: (signal: AbortSignal) => Promise<T>): Promise<T>;
  openUrl(url: string): Promise<void>;
  openDocument(content: string, language: string): Promise<void>;
  openSettings(query: string): Promise<void>;
  copy(text: string): Promise<void>;
  /** Run a command line in a new terminal; resolves with its exit code when it ends. */
  runInTerminal(name: string, command: string, env: Record<string, string>): Promise<number | undefined>;
}

export interface Output {
  show(): void;
  append(text: string): void;
  appendLine(text: string): void;
}

export interface EditorText {
  text: string;
  fileName: string;
  languageId: string;
  /** 1-based, inclusive. */
  startLine: number;
  endLine: number;
  isSelection: boolean;
}

export interface Settings {
  baseUrl: string;
  task: string;
  tasks: string[];
  loa: number;
  tenant: string;
  env: string;
  overrides: Overrides;
  askForOptions: boolean;
  stream: boolean;
  timeoutSeconds: number;
  incidentSeverities: string[];
  drillCommand: string;
  mcpEnabled: boolean;
}

export const DEFAULT_SETTINGS: Settings = {
  baseUrl: "http://127.0.0.1:8787",
  task: "qa",
  tasks: ["qa", "chat", "code", "code-review", "writing", "analysis", "ideation", "research"],
  loa: 1,
  tenant: "default",
  env: "",
  overrides: {},
  askForOptions: false,
  stream: true,
  timeoutSeconds: 120,
  incidentSeverities: ["p1", "p2", "p3"],
  drillCommand: "symphony drill",
  mcpEnabled: true,
};

export interface Secrets {
  get(): Promise<string | undefined>;
  set(value: string): Promise<void>;
  delete(): Promise<void>;
}

export interface ExplainView {
  show(plan: Plan, request: PlanBody, options?: { note?: string; noEligible?: string }): void;
}

export interface Deps {
  client: SymphonyClient;
  ui: Ui;
  output: Output;
  editor: () => EditorText | undefined;
  settings: () => Settings;
  secrets: Secrets;
  explain: ExplainView;
  /** The rows the Model Matrix shows now (for confirmations that name what stops). */
  matrix: () => MatrixItem[];
  /** Tell the live view to reload (after kills, reloads, key changes). */
  refresh: () => void;
  /** Called after the key was set or cleared (reconnect streams, MCP definition). */
  keyChanged: () => void;
}
