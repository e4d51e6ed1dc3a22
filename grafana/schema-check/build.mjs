// Write generated/<name>.ts for each dashboard JSON: the JSON as a literal that must
// `satisfies Dashboard` (a plain JSON import would widen "absolute" to string).
// Usage: node build.mjs [dashboard.json ...]   (default: ../dashboards/*.json)
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "generated");
const given = process.argv.slice(2);
const files = given.length
  ? given.map((f) => resolve(f))
  : readdirSync(join(here, "..", "dashboards"))
      .filter((f) => f.endsWith(".json"))
      .map((f) => join(here, "..", "dashboards", f));
if (files.length === 0) throw new Error("no dashboard JSON found");
rmSync(out, { recursive: true, force: true });
mkdirSync(out);
for (const file of files) {
  const json = JSON.stringify(JSON.parse(readFileSync(file, "utf8")), null, 2);
  const name = basename(file, ".json").replace(/[^A-Za-z0-9_]/g, "_");
  writeFileSync(
    join(out, `${name}.ts`),
    `// generated from ${basename(file)} by build.mjs\n` +
      `import type { Dashboard } from "@grafana/schema";\n` +
      `import type { Wire } from "../wire";\n\n` +
      `export const dashboard = ${json} satisfies Wire<Dashboard>;\n`,
  );
  console.log(`checking ${file}`);
}
