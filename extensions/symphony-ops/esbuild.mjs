// Bundle the extension into one CommonJS file (vscode stays external: the host provides it).
import { build } from "esbuild";

await build({
  entryPoints: ["src/extension.ts"],
  bundle: true,
  outfile: "dist/extension.js",
  platform: "node",
  format: "cjs",
  target: "node20",
  external: ["vscode"],
  sourcemap: false,
  minify: false,
  legalComments: "none",
  logLevel: "info",
});
