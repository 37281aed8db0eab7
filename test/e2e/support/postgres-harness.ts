import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { chown, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { cleanUpOnExit } from "./cleanup-on-exit.js";
import { freePort } from "./registry-harness.js";

/** A PostgreSQL server on loopback for one test file; `stop()` ends it and removes its data directory. */
export interface TestPostgres {
  /** `postgres://postgres@127.0.0.1:PORT/cipolice` (trust auth: no password). */
  url: string;
  port: number;
  dataDir: string;
  /** Shuts the server down (fast mode) and removes its data directory; later calls do nothing. */
  stop(): Promise<void>;
  /** Starts the server again on the same port and data directory (stopping it first if it runs). */
  restart(): Promise<void>;
  /** Stops the server at once, as a crash would (`pg_ctl stop -m immediate`); the data stays. */
  kill(): Promise<void>;
  /** Runs SQL through psql (against the `cipolice` database unless told) and returns its unaligned output. */
  psql(sql: string, database?: string): Promise<string>;
}

const DATABASE = "cipolice";
const SUPERUSER = "postgres";
const READY_TIMEOUT_MS = 20_000;
const START_ATTEMPTS = 4;
const TOOLS = ["initdb", "pg_ctl", "postgres", "pg_isready", "psql"] as const;
type Tool = (typeof TOOLS)[number];

/** Where each PostgreSQL tool is: on PATH first, else the newest `/usr/lib/postgresql/<version>/bin`. */
function findTools(): Partial<Record<Tool, string>> {
  const dirs = (process.env.PATH ?? "").split(delimiter).filter((d) => d !== "");
  try {
    const versions = readdirSync("/usr/lib/postgresql")
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    dirs.push(...versions.map((v) => `/usr/lib/postgresql/${v}/bin`));
  } catch {
    // no Debian layout
  }
  const found: Partial<Record<Tool, string>> = {};
  for (const tool of TOOLS) {
    const dir = dirs.find((d) => existsSync(join(d, tool)));
    if (dir !== undefined) found[tool] = join(dir, tool);
  }
  return found;
}

/** False when the harness can run PostgreSQL here, else a message naming what is missing (for skips). */
export function postgresToolsMissing(): false | string {
  const found = findTools();
  const missing = TOOLS.filter((tool) => found[tool] === undefined);
  return missing.length === 0 ? false : `PostgreSQL tools not installed: ${missing.join(", ")}`;
}

/** The user the server runs as: this one, or (as root, which initdb refuses) `postgres`, else `nobody`. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const passwd = readFileSync("/etc/passwd", "utf8").split("\n");
  for (const name of ["postgres", "nobody"]) {
    const fields = passwd.find((line) => line.startsWith(`${name}:`))?.split(":");
    if (fields?.[2] !== undefined && fields[3] !== undefined)
      return { uid: Number(fields[2]), gid: Number(fields[3]) };
  }
  throw new Error("Cannot run PostgreSQL as root, and neither a postgres nor a nobody user exists");
}

// Safety net: a test file that never calls stop(), crashes or is interrupted must not leave a server running
// (a postmaster outlives its parent) or its files behind.
const liveServers = new Set<ChildProcess>();
const liveDirs = new Set<string>();
function cleanUp(): void {
  // SIGQUIT is PostgreSQL's immediate shutdown: the postmaster ends its backends too
  for (const child of liveServers) child.kill("SIGQUIT");
  for (const dir of liveDirs) rmSync(dir, { recursive: true, force: true });
}
cleanUpOnExit(cleanUp);

/**
 * Starts a throwaway PostgreSQL: initdb into a temp data directory (trust auth, UTF-8, C locale), then the
 * server on 127.0.0.1 and a free port with its unix socket in the data directory and fsync off, and creates
 * the `cipolice` database. As root, initdb and the server run as the `postgres` user (else `nobody`).
 */
export async function startPostgres(): Promise<TestPostgres> {
  const missing = postgresToolsMissing();
  if (missing) throw new Error(`Cannot start PostgreSQL: ${missing}`);
  const tools = findTools() as Record<Tool, string>;
  const user = serverUser();
  const base = await mkdtemp(join(tmpdir(), "cipolice-postgres-"));
  liveDirs.add(base);
  const dataDir = join(base, "data");
  const env = { ...process.env, LC_ALL: "C", LANG: "C", PGTZ: "UTC" };
  const asServer = user === undefined ? {} : { uid: user.uid, gid: user.gid };
  try {
    if (user !== undefined) await chown(base, user.uid, user.gid);
    await run(
      tools.initdb,
      ["-D", dataDir, "-U", SUPERUSER, "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"],
      { env, ...asServer, cwd: base },
    );
    let port = 0;
    let child: ChildProcess | undefined;
    const start = async (): Promise<void> => {
      child = spawnServer(tools.postgres, dataDir, port, { env, ...asServer, cwd: base });
      await waitReady(tools.pg_isready, port, child);
    };
    const shutdown = async (mode: "fast" | "immediate"): Promise<void> => {
      const running = child;
      if (running === undefined || running.exitCode !== null || running.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => running.once("exit", () => resolve()));
      try {
        await run(tools.pg_ctl, ["stop", "-D", dataDir, "-m", mode, "-w", "-t", "20"], {
          env,
          ...asServer,
          cwd: base,
        });
      } catch {
        // pg_ctl failed (no pid file yet?): the signal does the same
        running.kill(mode === "immediate" ? "SIGQUIT" : "SIGINT");
      }
      const timer = setTimeout(() => running.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    };
    // Another process may take the free port before the server binds it: try another one
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      try {
        await start();
        break;
      } catch (error) {
        if (attempt >= START_ATTEMPTS || !/already in use|could not bind/i.test(String(error))) throw error;
      }
    }
    await run(tools.psql, [...psqlArgs(port, "postgres"), "-c", `CREATE DATABASE ${DATABASE}`], { env });
    let stopped: Promise<void> | undefined;
    return {
      url: `postgres://${SUPERUSER}@127.0.0.1:${port}/${DATABASE}`,
      port,
      dataDir,
      stop: () => {
        stopped ??= (async () => {
          await shutdown("fast");
          await rm(base, { recursive: true, force: true });
          liveDirs.delete(base);
        })();
        return stopped;
      },
      restart: async () => {
        await shutdown("fast");
        await start();
      },
      kill: () => shutdown("immediate"),
      psql: (sql, database = DATABASE) =>
        run(tools.psql, [...psqlArgs(port, database), "-At", "-c", sql], { env }),
    };
  } catch (error) {
    for (const child of liveServers) if (child.spawnargs.includes(dataDir)) child.kill("SIGQUIT");
    await rm(base, { recursive: true, force: true });
    liveDirs.delete(base);
    throw error;
  }
}

function psqlArgs(port: number, database: string): string[] {
  return [
    "-X",
    "-q",
    "-v",
    "ON_ERROR_STOP=1",
    "-h",
    "127.0.0.1",
    "-p",
    String(port),
    "-U",
    SUPERUSER,
    "-d",
    database,
  ];
}

// The last lines a server wrote to stderr, for the error when it does not come up
const serverLogs = new WeakMap<ChildProcess, () => string>();

function spawnServer(
  postgres: string,
  dataDir: string,
  port: number,
  options: { env: NodeJS.ProcessEnv; uid?: number; gid?: number; cwd: string },
): ChildProcess {
  const settings = {
    listen_addresses: "127.0.0.1",
    port: String(port),
    unix_socket_directories: dataDir,
    // Safe for the crashes tests make (the kernel keeps what a killed server wrote); synchronous_commit stays
    // on, so a commit the store saw survives kill() as it would on a real server
    fsync: "off",
    full_page_writes: "off",
    max_connections: "100",
    log_min_messages: "warning",
  };
  const args = ["-D", dataDir, ...Object.entries(settings).flatMap(([k, v]) => ["-c", `${k}=${v}`])];
  const child = spawn(postgres, args, { ...options, stdio: ["ignore", "ignore", "pipe"] });
  liveServers.add(child);
  child.on("exit", () => liveServers.delete(child));
  let log = "";
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (chunk: string) => {
    log = (log + chunk).slice(-8_000);
  });
  serverLogs.set(child, () => log);
  // Unref'd: pending tests keep the loop alive; a forgotten stop() is handled by the exit hook
  child.unref();
  (child.stderr as { unref?: () => void } | null)?.unref?.();
  return child;
}

async function waitReady(pgIsReady: string, port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) break;
    try {
      await run(
        pgIsReady,
        ["-q", "-h", "127.0.0.1", "-p", String(port), "-d", "postgres", "-U", SUPERUSER, "-t", "1"],
        {},
      );
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const exited = child.exitCode !== null || child.signalCode !== null;
  // Its last stderr lines may still be in the pipe when the exit is seen
  if (exited) await new Promise((r) => setTimeout(r, 100));
  const log = serverLogs.get(child)?.() ?? "";
  child.kill("SIGQUIT");
  const why = exited
    ? `exited with ${child.exitCode ?? child.signalCode}`
    : `not ready within ${READY_TIMEOUT_MS} ms`;
  throw new Error(`Cannot start PostgreSQL on port ${port}: ${why}\n${log}`);
}

function run(
  file: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; uid?: number; gid?: number; cwd?: string },
): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { ...options, encoding: "utf8", timeout: 60_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${file} ${args.join(" ")} failed: ${stderr.trim() || error.message}`));
      else resolve(stdout);
    });
  });
}
