import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, rmSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cleanUpOnExit } from "./cleanup-on-exit.js";
import { freePort } from "./registry-harness.js";

/** A RabbitMQ node of one test file, on loopback; `stop()` ends it (and its epmd) and removes its files. */
export interface RabbitMqHandle {
  /** `amqp://guest:guest@127.0.0.1:PORT` (guest is accepted on loopback). */
  url: string;
  port: number;
  /** Erlang node name (`cip-<random>@localhost`), for rabbitmqctl. */
  nodeName: string;
  /** Temp directory holding the node's data, logs, cookie and config. */
  dir: string;
  /** Milliseconds the last start took until AMQP answered. */
  startMs: number;
  /** Stops the node and starts it again on the same ports and data: durable queues and persistent messages stay. */
  restart(): Promise<void>;
  /** Kills the node (SIGKILL, as a crash or power cut would) and starts it again on the same ports and data. */
  crash(): Promise<void>;
  /** Asks the broker to close every client connection (`rabbitmqctl close_all_connections`), as a network cut would. */
  closeConnections(): Promise<void>;
  /** Runs rabbitmqctl against this node and returns its output. */
  ctl(args: string[]): Promise<string>;
  /** Stops the node and its epmd and removes the directory; later calls do nothing. */
  stop(): Promise<void>;
}

const BIN_DIR = "/usr/lib/rabbitmq/bin";
const SERVER_BIN = join(BIN_DIR, "rabbitmq-server");
const CTL_BIN = join(BIN_DIR, "rabbitmqctl");
const EPMD_BIN = ["/usr/bin/epmd", "/usr/lib/erlang/bin/epmd"].find((p) => existsSync(p)) ?? "/usr/bin/epmd";
const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 30_000;

/** False when the harness can start RabbitMQ here, else a message naming what is missing (for skips). */
export function rabbitMqMissing(): false | string {
  const missing = [SERVER_BIN, CTL_BIN, EPMD_BIN].filter((p) => !existsSync(p));
  return missing.length === 0
    ? false
    : `RabbitMQ not installed (Debian package rabbitmq-server): missing ${missing.join(", ")}`;
}

// Safety net: a test file that never calls stop() or crashes must not leave beam or epmd running.
const liveGroups = new Set<ChildProcess>();
const liveDirs = new Set<string>();
function cleanUp(): void {
  for (const child of liveGroups) killGroup(child, "SIGKILL");
  for (const dir of liveDirs) rmSync(dir, { recursive: true, force: true });
}
cleanUpOnExit(cleanUp);

/**
 * Starts a private RabbitMQ node as the current user (the server accepts root): its own epmd on a free port,
 * a node name, AMQP and distribution ports of its own, data, logs, config and Erlang cookie (HOME) in a temp
 * directory, no plugins. Resolves once the AMQP port accepts connections (about 5 s on this machine).
 */
export async function startRabbitMq(): Promise<RabbitMqHandle> {
  const missing = rabbitMqMissing();
  if (missing) throw new Error(`Cannot start RabbitMQ: ${missing}`);
  const dir = await mkdtemp(join(tmpdir(), "cipolice-rabbitmq-"));
  liveDirs.add(dir);
  const ports = new Set<number>();
  while (ports.size < 3) ports.add(await freePort());
  const [port, distPort, epmdPort] = [...ports] as [number, number, number];
  const nodeName = `cip-${randomBytes(6).toString("hex")}@localhost`;
  // Only what RabbitMQ needs: RABBITMQ_* or ERL_* variables of the caller would point elsewhere
  const env: NodeJS.ProcessEnv = {
    ...Object.fromEntries(
      Object.entries(process.env).filter(([k]) => !k.startsWith("RABBITMQ_") && !k.startsWith("ERL_")),
    ),
    HOME: dir,
    LANG: "C.UTF-8",
    ERL_EPMD_PORT: String(epmdPort),
    RABBITMQ_NODENAME: nodeName,
    RABBITMQ_NODE_IP_ADDRESS: "127.0.0.1",
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_DIST_PORT: String(distPort),
    RABBITMQ_MNESIA_BASE: join(dir, "mnesia"),
    RABBITMQ_LOG_BASE: join(dir, "log"),
    RABBITMQ_PID_FILE: join(dir, "rabbitmq.pid"),
    RABBITMQ_CONFIG_FILE: join(dir, "rabbitmq"),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, "enabled_plugins"),
    // Without it the node stops at start (failed_to_create_feature_flags_file_directory)
    RABBITMQ_FEATURE_FLAGS_FILE: join(dir, "feature_flags"),
  };
  await writeFile(join(dir, "enabled_plugins"), "[].\n");
  // A test broker on a shared disk: never block publishers for free space
  await writeFile(
    join(dir, "rabbitmq.conf"),
    "disk_free_limit.absolute = 1MB\nlog.console.level = warning\n",
  );
  let epmd: ChildProcess | undefined;
  let server: ChildProcess | undefined;
  let log = "";
  const ctl = (args: string[]) => run(CTL_BIN, ["-n", nodeName, ...args], env, dir);

  const start = async (): Promise<number> => {
    const began = Date.now();
    if (epmd === undefined || epmd.exitCode !== null || epmd.signalCode !== null) {
      // Our own epmd in the foreground, so parallel test files never share one and stop() can end it
      epmd = spawnGroup(EPMD_BIN, ["-port", String(epmdPort)], env, dir);
    }
    // Started from the data directory: a crash writes erl_crash.dump into the working directory
    server = spawnGroup(SERVER_BIN, [], env, dir);
    log = "";
    server.stdout?.setEncoding("utf8");
    server.stdout?.on("data", (chunk: string) => {
      log = (log + chunk).slice(-8_000);
    });
    server.stderr?.setEncoding("utf8");
    server.stderr?.on("data", (chunk: string) => {
      log = (log + chunk).slice(-8_000);
    });
    await waitAmqp(port, server, () => log);
    return Date.now() - began;
  };

  const shutdown = async (): Promise<void> => {
    const running = server;
    if (running === undefined || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => running.once("exit", () => resolve()));
    try {
      await ctl(["stop"]);
    } catch {
      // The node did not answer rabbitmqctl: end it as a crash would
      killGroup(running, "SIGKILL");
    }
    const timer = setTimeout(() => killGroup(running, "SIGKILL"), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
    // beam's helpers (erl_child_setup, inet_gethost) share the group: none may outlive the node
    killGroup(running, "SIGKILL");
  };

  try {
    const startMs = await start();
    let stopped: Promise<void> | undefined;
    const handle: RabbitMqHandle = {
      url: `amqp://guest:guest@127.0.0.1:${port}`,
      port,
      nodeName,
      dir,
      startMs,
      restart: async () => {
        await shutdown();
        handle.startMs = await start();
      },
      crash: async () => {
        const running = server;
        if (running !== undefined && running.exitCode === null && running.signalCode === null) {
          const exited = new Promise<void>((resolve) => running.once("exit", () => resolve()));
          // The child is unref'd: a timer keeps this process alive until its exit is seen
          const keepAlive = setInterval(() => {}, 1_000);
          killGroup(running, "SIGKILL");
          await exited;
          clearInterval(keepAlive);
        }
        handle.startMs = await start();
      },
      closeConnections: async () => {
        await ctl(["close_all_connections", "cipolice test: connection cut"]);
      },
      ctl,
      stop: () => {
        stopped ??= (async () => {
          await shutdown();
          if (epmd !== undefined) killGroup(epmd, "SIGKILL");
          await rm(dir, { recursive: true, force: true });
          liveDirs.delete(dir);
        })();
        return stopped;
      },
    };
    return handle;
  } catch (error) {
    if (server !== undefined) killGroup(server, "SIGKILL");
    if (epmd !== undefined) killGroup(epmd, "SIGKILL");
    await rm(dir, { recursive: true, force: true });
    liveDirs.delete(dir);
    throw error;
  }
}

/** Spawns a process as the leader of a new process group, so the whole tree can be signalled at once. */
function spawnGroup(file: string, args: string[], env: NodeJS.ProcessEnv, cwd: string): ChildProcess {
  const child = spawn(file, args, { env, cwd, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  // Kept after the leader exits: its group may live on until stop() or the exit hook kills it
  liveGroups.add(child);
  // Unref'd: pending tests keep the loop alive; a forgotten stop() is handled by the exit hook
  child.unref();
  for (const stream of [child.stdout, child.stderr]) (stream as { unref?: () => void } | null)?.unref?.();
  return child;
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // the group is gone already
  }
  liveGroups.delete(child);
}

async function waitAmqp(port: number, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) break;
    if (await amqpAnswers(port)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  const exited = child.exitCode !== null || child.signalCode !== null;
  killGroup(child, "SIGKILL");
  const why = exited
    ? `exited with ${child.exitCode ?? child.signalCode}`
    : `not ready within ${READY_TIMEOUT_MS} ms`;
  throw new Error(`Cannot start RabbitMQ on port ${port}: ${why}\n${log()}`);
}

/** True when the port speaks AMQP: the broker answers a protocol header with its Connection.Start frame. */
function amqpAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once("error", () => done(false));
    socket.once("connect", () => socket.write(Buffer.from("AMQP\x00\x00\x09\x01", "latin1")));
    // Frame type 1 (method) on channel 0 is Connection.Start
    socket.once("data", (data: Buffer) => done(data[0] === 1));
  });
}

function run(file: string, args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { env, cwd, encoding: "utf8", timeout: 60_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${file} ${args.join(" ")} failed: ${stderr.trim() || error.message}`));
      else resolve(stdout);
    });
  });
}

/** Polls `condition` every 20 ms until it holds; throws naming `what` (and the last state) after `timeoutMs`. */
export async function waitFor(
  what: string,
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 60_000,
  state: () => unknown = () => "",
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what} ${JSON.stringify(state())}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
