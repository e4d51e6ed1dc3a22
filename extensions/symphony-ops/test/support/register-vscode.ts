/** Make `require("vscode")` return the hand-written mock (loaded by mocha before the tests). */

import Module = require("node:module");
import * as mockModule from "./vscode-mock";

type Load = (request: string, parent: unknown, isMain: boolean) => unknown;
const mod = Module as unknown as { _load: Load };
const original = mod._load;
mod._load = function load(request: string, parent: unknown, isMain: boolean): unknown {
  if (request === "vscode") return mockModule;
  return original.call(this, request, parent, isMain);
};
