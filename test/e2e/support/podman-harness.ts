import { type ChildProcess, execFile, execFileSync, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { cleanUpOnExit } from "./cleanup-on-exit.js";

const execFileAsync = promisify(execFile);

/** The tools the harness runs, by path. */
const TOOLS = ["/usr/bin/podman", "/usr/sbin/runc", "/usr/bin/umoci", "/usr/bin/skopeo", "/bin/busybox"];
/** Busybox applets linked into test images: what their commands may call. */
const APPLETS = ["sh", "sleep", "true", "id", "cat", "echo"];
const READY_TIMEOUT_MS = 15_000;

/** The `skip` option for podman tests: false when podman can run here, else why not. */
export function podmanMissing(): false | string {
  const missing = TOOLS.filter((p) => !existsSync(p));
  if (missing.length > 0) return `podman harness tools not installed: ${missing.join(", ")}`;
  // Rootless podman needs subuid ranges and a user namespace; podman.md describes root only
  if (process.getuid?.() !== 0) return "podman tests run as root here (rootless podman is not set up)";
  return false;
}

/** What a test image holds besides busybox; every field is optional. */
export interface PodmanImageOptions {
  /** `localhost/NAME:TAG` is the image's name. */
  name: string;
  tag?: string;
  user?: string;
  env?: string[];
  labels?: Record<string, string>;
  entrypoint?: string[];
  cmd?: string[];
  workdir?: string;
}

/** An image in the harness's storage. */
export interface PodmanImage {
  /** `localhost/NAME:TAG`. */
  ref: string;
  /** Image id as the engine gives it: `sha256:` and the config digest. */
  id: string;
  /** Digest of the image's manifest in the OCI layout it was built in. */
  manifestDigest: string;
}

/** A container to run (always `--network none`, never pulling). */
export interface RunOptions {
  name: string;
  /** `localhost/NAME:TAG` of a harness image. */
  image: string;
  user?: string;
  /** The command: busybox applets (`["sleep", "3600"]`). */
  command: string[];
  labels?: Record<string, string>;
}

/** A running `podman system service` on a socket of its own, with storage of its own. */
export interface PodmanService {
  /** The harness's temp directory. */
  dir: string;
  socketPath: string;
  /** `unix://<socketPath>`: DOCKER_HOST for clients. */
  dockerHost: string;
  /** The service's process id. */
  pid: number;
  /** `overlay`, or `vfs` where overlay does not work. */
  storageDriver: string;
  /** Builds an image (busybox plus the config asked for) into the service's storage, without any pull. */
  buildImage(options: PodmanImageOptions): Promise<PodmanImage>;
  /** Runs a container detached; resolves with its full id once it is running. */
  runContainer(options: RunOptions): Promise<string>;
  /** Removes a container this harness started (`podman rm -f -t 0`). */
  removeContainer(nameOrId: string): Promise<void>;
  /** Runs podman with the harness's storage and configuration; resolves with its standard output. */
  podman(args: string[]): Promise<string>;
  /** Removes the containers it started, stops the service by its pid, and deletes its storage. */
  stop(): Promise<void>;
}

// Safety net: a test that never calls stop() must not leave containers, a service or mounts behind.
const live = new Set<{ cleanupSync(): void }>();
cleanUpOnExit(() => {
  for (const harness of live) harness.cleanupSync();
});

/**
 * Starts `podman system service --time=0 unix://<dir>/podman.sock` with its own CONTAINERS_CONF (runc,
 * cgroupfs, no default ulimits: what podman needs on these machines) and its own storage (`--root`,
 * `--runroot`, `--tmpdir` under a temp dir), overlay where it works, else vfs. Resolves once `_ping` answers.
 */
export async function startPodman(): Promise<PodmanService> {
  const missing = podmanMissing();
  if (missing) throw new Error(`Cannot start podman: ${missing}`);
  const dir = await mkdtemp(join(tmpdir(), "cipolice-podman-"));
  const state = new HarnessState(dir);
  live.add(state);
  try {
    await writeFile(join(dir, "containers.conf"), containersConf());
    state.storageDriver = await chooseDriver(state);
    await writeFile(join(dir, "storage.conf"), storageConf(dir, state.storageDriver));
    await state.buildBase();
    const socketPath = join(dir, "podman.sock");
    const child = spawn(
      "podman",
      [...state.globalFlags(), "system", "service", "--time=0", `unix://${socketPath}`],
      {
        stdio: ["ignore", "ignore", "pipe"],
        env: state.env(),
      },
    );
    state.service = child;
    let stderr = "";
    child.stderr?.setEncoding("utf8");
    child.stderr?.on("data", (chunk: string) => {
      if (stderr.length < 8_000) stderr += chunk;
    });
    const ready = await waitForPing(socketPath, child);
    if (ready !== "ready")
      throw new Error(`Cannot start podman system service: ${stderr.trim() || ready} (${dir})`);
    // Unref'd: pending tests keep the loop alive; a forgotten stop() is cleaned by the exit hook
    child.unref();
    (child.stderr as { unref?: () => void } | null)?.unref?.();
    return {
      dir,
      socketPath,
      dockerHost: `unix://${socketPath}`,
      pid: child.pid ?? 0,
      storageDriver: state.storageDriver,
      buildImage: (options) => state.buildImage(options),
      runContainer: (options) => state.runContainer(options),
      removeContainer: (nameOrId) => state.removeContainer(nameOrId),
      podman: (args) => state.podman(args),
      stop: () => state.stop(),
    };
  } catch (error) {
    await state.stop();
    throw error;
  }
}

/** The files, flags and bookkeeping of one harness. */
class HarnessState {
  storageDriver = "overlay";
  service: ChildProcess | undefined;
  private readonly containers = new Set<string>();
  private stopped: Promise<void> | undefined;

  constructor(readonly dir: string) {}

  /** Global flags that keep every podman call inside this harness's directory. */
  globalFlags(driver = this.storageDriver): string[] {
    const d = this.dir;
    return [
      ...["--root", join(d, "root"), "--runroot", join(d, "runroot"), "--tmpdir", join(d, "tmp")],
      ...["--storage-driver", driver, "--volumepath", join(d, "volumes")],
      ...["--network-config-dir", join(d, "networks"), "--cgroup-manager", "cgroupfs", "--runtime", "runc"],
      ...["--events-backend", "file"],
    ];
  }

  /** The environment of podman and skopeo: the harness's configuration files, and never a remote podman. */
  env(): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const name of ["CONTAINER_HOST", "CONTAINER_CONNECTION", "CONTAINER_SSHKEY", "DOCKER_HOST"])
      delete env[name];
    env.CONTAINERS_CONF = join(this.dir, "containers.conf");
    env.CONTAINERS_STORAGE_CONF = join(this.dir, "storage.conf");
    return env;
  }

  async podman(args: string[], driver?: string): Promise<string> {
    return run("podman", [...this.globalFlags(driver), ...args], this.env());
  }

  /** An OCI layout with one busybox layer, tagged `base`; images are new configs on top of it. */
  async buildBase(): Promise<void> {
    const layout = join(this.dir, "oci");
    const bundle = join(this.dir, "bundle");
    await run("umoci", ["init", "--layout", layout]);
    await run("umoci", ["new", "--image", `${layout}:base`]);
    await run("umoci", ["unpack", "--rootless", "--image", `${layout}:base`, bundle]);
    const bin = join(bundle, "rootfs", "bin");
    await mkdir(bin, { recursive: true });
    await copyFile("/bin/busybox", join(bin, "busybox"));
    for (const applet of APPLETS) await symlink("busybox", join(bin, applet));
    await mkdir(join(bundle, "rootfs", "tmp"), { recursive: true });
    await run("umoci", ["repack", "--image", `${layout}:base`, bundle]);
    await rm(bundle, { recursive: true, force: true });
  }

  async buildImage(o: PodmanImageOptions): Promise<PodmanImage> {
    const tag = o.tag ?? "latest";
    const layoutTag = `${o.name.replace(/[^a-zA-Z0-9._-]/g, "_")}-${tag}`;
    const layout = join(this.dir, "oci");
    const args = ["config", "--image", `${layout}:base`, "--tag", layoutTag];
    if (o.user !== undefined) args.push("--config.user", o.user);
    for (const e of o.env ?? []) args.push("--config.env", e);
    for (const [k, v] of Object.entries(o.labels ?? {})) args.push("--config.label", `${k}=${v}`);
    for (const e of o.entrypoint ?? []) args.push("--config.entrypoint", e);
    for (const c of o.cmd ?? ["sleep", "3600"]) args.push("--config.cmd", c);
    if (o.workdir !== undefined) args.push("--config.workingdir", o.workdir);
    await run("umoci", args);
    const ref = `localhost/${o.name}:${tag}`;
    const store = `containers-storage:[${this.storageDriver}@${join(this.dir, "root")}+${join(this.dir, "runroot")}]${ref}`;
    await run(
      "skopeo",
      ["--insecure-policy", "copy", "--quiet", `oci:${layout}:${layoutTag}`, store],
      this.env(),
    );
    const id = (await this.podman(["image", "inspect", "--format", "{{.Id}}", ref])).trim();
    return { ref, id: `sha256:${id}`, manifestDigest: await layoutManifestDigest(layout, layoutTag) };
  }

  async runContainer(o: RunOptions): Promise<string> {
    const args = ["run", "-d", "--network", "none", "--pull", "never", "--name", o.name];
    if (o.user !== undefined) args.push("--user", o.user);
    for (const [k, v] of Object.entries(o.labels ?? {})) args.push("--label", `${k}=${v}`);
    this.containers.add(o.name);
    const id = (await this.podman([...args, o.image, ...o.command])).trim();
    this.containers.add(id);
    return id;
  }

  async removeContainer(nameOrId: string): Promise<void> {
    await this.podman(["rm", "-f", "-t", "0", "--ignore", nameOrId]);
  }

  stop(): Promise<void> {
    this.stopped ??= (async () => {
      const names = [...this.containers];
      if (names.length > 0) await this.podman(["rm", "-f", "-t", "0", "--ignore", ...names]).catch(() => "");
      await stopChild(this.service);
      await this.podman(["rmi", "-a", "-f"]).catch(() => "");
      await removeStorage(this.dir);
      live.delete(this);
    })();
    return this.stopped;
  }

  cleanupSync(): void {
    if (this.stopped !== undefined) return;
    const options = { env: this.env(), stdio: "ignore" as const, timeout: 30_000 };
    const names = [...this.containers];
    try {
      if (names.length > 0)
        execFileSync("podman", [...this.globalFlags(), "rm", "-f", "-t", "0", "--ignore", ...names], options);
    } catch {
      // best effort at exit
    }
    this.service?.kill("SIGKILL");
    try {
      execFileSync("podman", [...this.globalFlags(), "rmi", "-a", "-f"], options);
    } catch {
      // best effort at exit
    }
    unmountUnder(this.dir);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** overlay when `podman info` can set it up in the harness's storage, else vfs (slower, works everywhere). */
async function chooseDriver(state: HarnessState): Promise<string> {
  try {
    await writeFile(join(state.dir, "storage.conf"), storageConf(state.dir, "overlay"));
    const driver = await state.podman(["info", "--format", "{{.Store.GraphDriverName}}"], "overlay");
    if (driver.trim() === "overlay") return "overlay";
  } catch {
    // fall through to vfs
  }
  unmountUnder(state.dir);
  await rm(join(state.dir, "root"), { recursive: true, force: true });
  await rm(join(state.dir, "runroot"), { recursive: true, force: true });
  return "vfs";
}

function containersConf(): string {
  return [
    "[containers]",
    "# otherwise setrlimit(RLIMIT_NOFILE/NPROC) is refused on these machines",
    "default_ulimits = []",
    "[engine]",
    'cgroup_manager = "cgroupfs"',
    "# crun refuses the hybrid cgroup layout here",
    'runtime = "runc"',
    'events_logger = "file"',
    "",
  ].join("\n");
}

function storageConf(dir: string, driver: string): string {
  return [
    "[storage]",
    `driver = ${JSON.stringify(driver)}`,
    `graphroot = ${JSON.stringify(join(dir, "root"))}`,
    `runroot = ${JSON.stringify(join(dir, "runroot"))}`,
    "",
  ].join("\n");
}

async function layoutManifestDigest(layout: string, tag: string): Promise<string> {
  const index = JSON.parse(await readFile(join(layout, "index.json"), "utf8")) as {
    manifests: Array<{ digest: string; annotations?: Record<string, string> }>;
  };
  const entry = index.manifests.find((m) => m.annotations?.["org.opencontainers.image.ref.name"] === tag);
  if (!entry) throw new Error(`Cannot find tag ${tag} in ${layout}/index.json`);
  return entry.digest;
}

async function run(command: string, args: string[], env?: NodeJS.ProcessEnv): Promise<string> {
  try {
    const { stdout } = await execFileAsync(command, args, {
      maxBuffer: 16 * 1024 * 1024,
      env,
      timeout: 60_000,
    });
    return stdout;
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(`Cannot run ${command} ${args.join(" ")}: ${(e.stderr ?? "").trim() || e.message}`);
  }
}

async function waitForPing(socketPath: string, child: ChildProcess): Promise<"ready" | string> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null)
      return `exited with ${child.exitCode ?? child.signalCode}`;
    if (existsSync(socketPath) && (await ping(socketPath))) return "ready";
    await new Promise((r) => setTimeout(r, 50));
  }
  return `no answer on ${socketPath} within ${READY_TIMEOUT_MS} ms`;
}

function ping(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath, path: "/_ping", timeout: 1_000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(false));
    req.end();
  });
}

async function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
  await exited;
  clearTimeout(timer);
}

/**
 * Deletes the harness directory once no process uses it: conmon runs `podman container cleanup` after a
 * container ends, and that mounts the storage again for a moment; a mount left then makes rm fail (EBUSY).
 */
async function removeStorage(dir: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (processesUsing(dir) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  for (let attempt = 0; ; attempt++) {
    unmountUnder(dir);
    try {
      await rm(dir, { recursive: true, force: true });
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EBUSY" || attempt >= 5) throw error;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/** How many other processes name `dir` on their command line (conmon, podman cleanup). */
function processesUsing(dir: string): number {
  let count = 0;
  let pids: string[];
  try {
    pids = readdirSync("/proc").filter((name) => /^\d+$/.test(name) && Number(name) !== process.pid);
  } catch {
    return 0;
  }
  for (const pid of pids) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(dir)) count++;
    } catch {
      // the process ended meanwhile
    }
  }
  return count;
}

/** Unmounts what podman left mounted under `dir` (the overlay driver's private mount, shm), deepest first. */
function unmountUnder(dir: string): void {
  let mountinfo: string;
  try {
    mountinfo = readFileSync("/proc/self/mountinfo", "utf8");
  } catch {
    return;
  }
  const points = mountinfo
    .split("\n")
    .map((line) => line.split(" ")[4] ?? "")
    .filter((point) => point === dir || point.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
  for (const point of points) {
    try {
      execFileSync("umount", ["-l", point], { stdio: "ignore" });
    } catch {
      // already gone
    }
  }
}
