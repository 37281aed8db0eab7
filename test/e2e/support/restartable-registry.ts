import { type ChildProcess, spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, REGISTRY_BIN, registryConfig } from "./registry-harness.js";

/** An anonymous registry that can be stopped and started again on the same port with the same storage. */
export interface RestartableRegistry {
  /** `127.0.0.1:PORT`, the registry part of an image reference. */
  host: string;
  storageDir: string;
  /** True while the registry process runs. */
  readonly running: boolean;
  /** Ends the registry process (SIGKILL, as a crash); the storage stays. */
  down(): Promise<void>;
  /** Starts it again on the same port and storage, and waits until `/v2/` answers. */
  up(): Promise<void>;
  /** Ends it and removes its files; later calls do nothing. */
  remove(): Promise<void>;
}

const READY_TIMEOUT_MS = 10_000;

// Safety net: a test file that crashes must not leave a registry running
const live = new Set<ChildProcess>();
const liveDirs = new Set<string>();
process.on("exit", () => {
  for (const child of live) child.kill("SIGKILL");
  for (const dir of liveDirs) rmSync(dir, { recursive: true, force: true });
});

/**
 * Starts /usr/bin/docker-registry (anonymous, plain HTTP) on 127.0.0.1 and a free port with filesystem
 * storage in a temp dir, for tests that take the registry down and bring it back.
 */
export async function startRestartableRegistry(): Promise<RestartableRegistry> {
  const dir = await mkdtemp(join(tmpdir(), "cipolice-registry-restartable-"));
  liveDirs.add(dir);
  const storageDir = join(dir, "storage");
  await mkdir(storageDir);
  const port = await freePort();
  const configFile = join(dir, "config.yml");
  await writeFile(configFile, registryConfig(dir, port, ""));
  let child: ChildProcess | undefined;
  const down = async () => {
    const running = child;
    child = undefined;
    if (running === undefined || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => running.once("exit", () => resolve()));
    running.kill("SIGKILL");
    await exited;
  };
  const up = async () => {
    if (child !== undefined) return;
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("REGISTRY_")));
    const started = spawn(REGISTRY_BIN, ["serve", configFile], { stdio: ["ignore", "ignore", "pipe"], env });
    live.add(started);
    started.once("exit", () => live.delete(started));
    let stderr = "";
    started.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
      stderr = (stderr + chunk).slice(-8000);
    });
    child = started;
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (started.exitCode !== null) break;
      if (await answers(`http://127.0.0.1:${port}/v2/`)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    await down();
    throw new Error(`Cannot start the registry on 127.0.0.1:${port}: ${stderr.trim() || "not ready"}`);
  };
  let removed: Promise<void> | undefined;
  await up();
  return {
    host: `127.0.0.1:${port}`,
    storageDir,
    get running() {
      return child !== undefined;
    },
    down,
    up,
    remove: () => {
      removed ??= (async () => {
        await down();
        await rm(dir, { recursive: true, force: true });
        liveDirs.delete(dir);
      })();
      return removed;
    },
  };
}

function answers(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(url, { agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on("error", () => resolve(false));
    req.setTimeout(1000, () => req.destroy());
    req.end();
  });
}
