/**
 * Start a real `symphony serve --demo` (authentication on, so keys and 401/403 are real) on
 * free ports, with its own data directory and keys. One is shared by the whole test run.
 *
 * SYMPHONY_BIN: the `symphony` executable (default: ../../.venv/bin/symphony from the extension)
 * SYMPHONY_REPO: the repository root it runs in, for config/ (default: ../.. from the extension)
 */

import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
export const EXTENSION_DIR = resolve(__dirname, "..", "..", "..");

export interface DemoServer {
  baseUrl: string;
  port: number;
  simulatorPort: number;
  adminKey: string;
  clientKey: string;
  dataDir: string;
  log: () => string;
  stop: () => Promise<void>;
}

export function symphonyBin(): string {
  return resolve(EXTENSION_DIR, process.env.SYMPHONY_BIN ?? "../../.venv/bin/symphony");
}

export function repoRoot(): string {
  return resolve(EXTENSION_DIR, process.env.SYMPHONY_REPO ?? "../..");
}

export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

async function createKey(bin: string, cwd: string, dataDir: string, role: string, name: string): Promise<string> {
  const { stdout } = await run(bin, ["keys", "create", "--role", role, "--name", name, "--data-dir", dataDir], { cwd });
  const key = stdout.trim().split("\n").pop()?.trim();
  if (!key) throw new Error(`symphony keys create printed no key: ${stdout}`);
  return key;
}

async function waitReady(baseUrl: string, child: ChildProcess, log: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`symphony serve exited with ${child.exitCode}:\n${log()}`);
    try {
      const r = await fetch(`${baseUrl}/status/health.json`, { signal: AbortSignal.timeout(2000) });
      if (r.ok && ((await r.json()) as { policy_loaded?: boolean }).policy_loaded) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`symphony serve did not become ready in ${timeoutMs / 1000} s:\n${log()}`);
}

export async function startDemo(): Promise<DemoServer> {
  const bin = symphonyBin();
  const cwd = repoRoot();
  if (!existsSync(bin)) {
    throw new Error(`No Symphony executable at ${bin}. Run scripts/setup in the repository root, or set SYMPHONY_BIN.`);
  }
  if (!existsSync(join(cwd, "config", "demo.policy.yml"))) {
    throw new Error(`No config/demo.policy.yml under ${cwd}: set SYMPHONY_REPO to the repository root.`);
  }
  const dataDir = mkdtempSync(join(tmpdir(), "symphony-ops-test-"));
  const adminKey = await createKey(bin, cwd, dataDir, "admin", "ext-admin");
  const clientKey = await createKey(bin, cwd, dataDir, "client", "ext-client");
  const port = await freePort();
  const simulatorPort = await freePort();
  const args = ["serve", "--demo", "--host", "127.0.0.1", "--port", String(port), "--simulator-port", String(simulatorPort), "--data-dir", dataDir];
  const child = spawn(bin, args, {
    cwd,
    env: { ...process.env, SYMPHONY_AUTH: "1", PYTHONDONTWRITEBYTECODE: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const baseUrl = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 8000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await waitReady(baseUrl, child, () => output, 120_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return { baseUrl, port, simulatorPort, adminKey, clientKey, dataDir, log: () => output, stop };
}

let shared: Promise<DemoServer> | null = null;

/** The demo service shared by every test that talks HTTP (started on first use). */
export function demo(): Promise<DemoServer> {
  shared ??= startDemo();
  return shared;
}

export async function stopSharedDemo(): Promise<void> {
  if (!shared) return;
  const started = shared;
  shared = null;
  try {
    await (await started).stop();
  } catch {
    // it never started: nothing to stop
  }
}
