/** A recording, scripted Ui and the other ports, for the command handler tests. */

import { SymphonyClient } from "../../src/core/api";
import { DEFAULT_SETTINGS, type Deps, type EditorText, type InputOptions, type PickItem, type Settings, type Ui } from "../../src/core/ports";
import type { MatrixItem, Plan, PlanBody } from "../../src/core/types";

export interface Shown {
  level: "info" | "warn" | "error";
  text: string;
  actions: string[];
}

export class FakeUi implements Ui {
  shown: Shown[] = [];
  confirms: { message: string; detail: string; action: string }[] = [];
  picks: PickItem<unknown>[][] = [];
  inputs: InputOptions[] = [];
  opened: string[] = [];
  documents: { content: string; language: string }[] = [];
  settingsOpened: string[] = [];
  copied: string[] = [];
  terminals: { name: string; command: string; env: Record<string, string> }[] = [];
  /** Scripted answers, consumed in order. */
  answers = {
    message: [] as (string | undefined)[],
    confirm: [] as boolean[],
    pick: [] as ((items: PickItem<unknown>[]) => unknown)[],
    input: [] as (string | undefined)[],
    exitCode: 0 as number | undefined,
  };

  private say(level: Shown["level"], text: string, actions: string[]) {
    this.shown.push({ level, text, actions });
    return Promise.resolve(this.answers.message.shift());
  }
  info(text: string, ...actions: string[]) {
    return this.say("info", text, actions);
  }
  warn(text: string, ...actions: string[]) {
    return this.say("warn", text, actions);
  }
  error(text: string, ...actions: string[]) {
    return this.say("error", text, actions);
  }
  confirm(message: string, detail: string, action: string) {
    this.confirms.push({ message, detail, action });
    return Promise.resolve(this.answers.confirm.shift() ?? false);
  }
  pick<T>(items: PickItem<T>[], _placeHolder: string): Promise<T | undefined> {
    this.picks.push(items as PickItem<unknown>[]);
    const answer = this.answers.pick.shift();
    return Promise.resolve(answer ? (answer(items as PickItem<unknown>[]) as T | undefined) : undefined);
  }
  input(options: InputOptions) {
    this.inputs.push(options);
    return Promise.resolve(this.answers.input.shift());
  }
  progress<T>(_title: string, task: (signal: AbortSignal) => Promise<T>) {
    return task(new AbortController().signal);
  }
  async openUrl(url: string) {
    this.opened.push(url);
  }
  async openDocument(content: string, language: string) {
    this.documents.push({ content, language });
  }
  async openSettings(query: string) {
    this.settingsOpened.push(query);
  }
  async copy(text: string) {
    this.copied.push(text);
  }
  async runInTerminal(name: string, command: string, env: Record<string, string>) {
    this.terminals.push({ name, command, env });
    return this.answers.exitCode;
  }
  last(): Shown {
    const s = this.shown[this.shown.length - 1];
    if (!s) throw new Error("nothing was shown");
    return s;
  }
}

/** Pick the item whose label is `label`. */
export const choose = (label: string) => (items: PickItem<unknown>[]) => items.find((i) => i.label === label)?.value;

export interface TestDeps extends Deps {
  ui: FakeUi;
  text: { value: string };
  explained: { plan: Plan; request: PlanBody; options?: { note?: string; noEligible?: string } }[];
  key: { value: string | undefined };
  refreshed: number;
  keyChanges: number;
  settingsValue: Settings;
  editorValue: EditorText | undefined;
  matrixItems: MatrixItem[];
}

export function makeDeps(baseUrl: string, key: string | undefined, settings: Partial<Settings> = {}): TestDeps {
  const out = { value: "" };
  const keyBox = { value: key };
  const state = {
    settingsValue: { ...DEFAULT_SETTINGS, baseUrl, timeoutSeconds: 30, ...settings },
  };
  const client = new SymphonyClient({
    baseUrl: () => deps.settingsValue.baseUrl,
    getKey: async () => keyBox.value,
    timeoutMs: () => deps.settingsValue.timeoutSeconds * 1000,
  });
  const deps: TestDeps = {
    client,
    ui: new FakeUi(),
    output: {
      show: () => undefined,
      append: (t) => (out.value += t),
      appendLine: (t) => (out.value += `${t}\n`),
    },
    text: out,
    editor: () => deps.editorValue,
    editorValue: undefined,
    settings: () => deps.settingsValue,
    settingsValue: state.settingsValue,
    secrets: {
      get: async () => keyBox.value,
      set: async (v) => {
        keyBox.value = v;
      },
      delete: async () => {
        keyBox.value = undefined;
      },
    },
    key: keyBox,
    explained: [],
    explain: {
      show: (plan, request, options) => {
        deps.explained.push({ plan, request, ...(options ? { options } : {}) });
      },
    },
    matrixItems: [],
    matrix: () => deps.matrixItems,
    refreshed: 0,
    refresh: () => {
      deps.refreshed += 1;
    },
    keyChanges: 0,
    keyChanged: () => {
      deps.keyChanges += 1;
    },
  };
  return deps;
}

export function selection(text: string, fileName = "/work/app/service.py", startLine = 10): EditorText {
  return { text, fileName, languageId: "python", startLine, endLine: startLine + text.split("\n").length - 1, isSelection: true };
}

export function until(predicate: () => boolean, timeoutMs = 20_000, what = "condition"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const check = () => {
      if (predicate()) resolve();
      else if (Date.now() > deadline) reject(new Error(`timed out waiting for ${what}`));
      else setTimeout(check, 50);
    };
    check();
  });
}
