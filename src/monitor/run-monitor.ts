import { appendFileSync } from "node:fs";
import { resolve } from "node:path";
import { CipError } from "../model/index.js";
import type { Store } from "../service/store-ports.js";
import { openStore } from "../store/open-store.js";
import { builtinCheckRegistry } from "./checks/check-registry.js";
import { closeModuleCheckWorkers } from "./checks/module-check.js";
import { loadMonitorConfig, type MonitorConfig, type MonitorLogLevel } from "./config/load-monitor-config.js";
import { DockerEngineClient, engineEndpoint } from "./engine/index.js";
import { runMonitorLoop } from "./monitor-loop.js";
import { type ContainerResult, checkRunningContainers, type EnforceAction } from "./monitor-run.js";
import { rulesNotifier } from "./notify-rules.js";
import { POLICY_CHECK_NAME, policyCheckFactory } from "./policy/policy-check.js";

/** What `cipolice monitor` was asked, read from its flags. */
export interface MonitorCommandOptions {
  configFile: string;
  once: boolean;
  intervalMs: number;
  format: "text" | "json";
  enforce?: EnforceAction;
  /** `--host`, else DOCKER_HOST, else the default socket. */
  host?: string;
  /** `sqlite:PATH` or `postgres://…`: where checks, decisions and grace clocks are kept. */
  store?: string;
  /** A `cipolice serve` whose rules hear of each failed container (`POST /events/cipolice`), and its token. */
  events?: { url: string; token?: string };
  /** Fixed evaluation time (`--now`), for reproducible runs and tests. */
  now?: Date;
  /** The bundle of `[cipolice.checks.PolicyCheck]` sections that name none. */
  defaultBundlePath: string;
  env: Readonly<Record<string, string | undefined>>;
  write(text: string): void;
  warn(text: string): void;
  /** Aborted on SIGINT/SIGTERM. */
  signal: AbortSignal;
}

const LEVEL_RANK: Record<MonitorLogLevel, number> = {
  debug: 10,
  info: 20,
  warning: 30,
  error: 40,
  critical: 50,
};

/** Appends result lines to the `[logging] log_file`, as the seed did, at or above its `level` (default info). */
function fileLogger(config: MonitorConfig): ((level: MonitorLogLevel, line: string) => void) | undefined {
  if (config.logging.file === undefined || config.logging.file === "") return undefined;
  const path = resolve(config.configDir, config.logging.file);
  const threshold = LEVEL_RANK[config.logging.level ?? "info"];
  return (level, line) => {
    if (LEVEL_RANK[level] < threshold) return;
    try {
      appendFileSync(path, `${new Date().toISOString()} ${level.toUpperCase()} ${line}\n`);
    } catch (error) {
      throw new CipError(
        "CIP_CONFIG_INVALID",
        `Cannot write the monitor log ${path}: ${(error as Error).message}`,
        {
          hint: "Fix [logging] log_file, or the permissions of its folder.",
        },
      );
    }
  };
}

/** One line per container for people: outcome, name, short id, image, and the check that decided. */
export function resultLine(result: ContainerResult): string {
  const head = `${result.outcome.toUpperCase()}  ${result.name} (${result.id.slice(0, 12)}) ${result.image}`;
  if (result.skipped) return `${head}: image in always_allow, not checked`;
  const last = result.checks.at(-1);
  const said =
    last === undefined
      ? "no checks configured"
      : `${last.section}: ${last.result}${last.message ? ` (${last.message})` : ""}`;
  return `${head}: ${said}${result.action ? `; ${result.action}` : ""}`;
}

/** The JSON object `--format json` prints per container. */
export function resultJson(result: ContainerResult): Record<string, unknown> {
  return {
    id: result.id,
    name: result.name,
    image: result.image,
    imageId: result.imageId,
    ...(result.digest !== undefined ? { digest: result.digest } : {}),
    outcome: result.outcome,
    ...(result.skipped !== undefined ? { skipped: result.skipped } : {}),
    checks: result.checks.map((c) => ({
      section: c.section,
      result: c.result,
      ...(c.message !== undefined ? { message: c.message } : {}),
      ms: Math.round(c.ms),
    })),
    ...(result.action !== undefined ? { action: result.action } : {}),
    checkedAt: result.checkedAt,
  };
}

/**
 * `cipolice monitor`: loads the INI configuration (with the policy check registered), connects to the
 * engine, and checks the running containers once (`--once`: exit status 1 when any failed) or until the
 * signal (a pass every interval, and each container as it starts). Returns the exit status.
 */
export async function runMonitor(options: MonitorCommandOptions): Promise<number> {
  let store: Store | undefined;
  let closeNotifier: (() => void) | undefined;
  const endpoint = engineEndpoint(options.env, options.host);
  const client = new DockerEngineClient(endpoint);
  try {
    if (options.store !== undefined) store = await openStore(options.store);
    const now = () => options.now ?? new Date();
    const registry = builtinCheckRegistry().registerCheck(
      POLICY_CHECK_NAME,
      policyCheckFactory({
        ...(store !== undefined ? { store } : {}),
        now,
        defaultBundlePath: options.defaultBundlePath,
      }),
    );
    const config = await loadMonitorConfig({ path: options.configFile }, { registry });
    for (const warning of config.warnings) options.warn(`warning: ${warning}\n`);
    const log = fileLogger(config);
    let failed = 0;
    const onResult = (result: ContainerResult) => {
      if (result.outcome === "fail") failed++;
      options.write(
        options.format === "json" ? `${JSON.stringify(resultJson(result))}\n` : `${resultLine(result)}\n`,
      );
      log?.(result.outcome === "fail" ? "warning" : "info", resultLine(result));
    };
    const onWarning = (message: string) => {
      options.warn(`warning: ${message}\n`);
      log?.("error", message);
    };
    const notifier =
      options.events === undefined
        ? undefined
        : rulesNotifier(options.events.url, options.events.token, endpoint.display);
    closeNotifier = notifier?.close;
    const run = {
      ...(notifier !== undefined ? { onFailure: notifier.send } : {}),
      client,
      host: endpoint.display,
      config,
      ...(options.enforce !== undefined ? { enforce: options.enforce } : {}),
      ...(store !== undefined ? { store } : {}),
      now,
      onResult,
      onWarning,
      signal: options.signal,
    };
    if (options.once) {
      await client.ping();
      await checkRunningContainers(run);
      return failed > 0 ? 1 : 0;
    }
    await runMonitorLoop({
      ...run,
      intervalMs: options.intervalMs,
      onRetry: (message, waitMs) => onWarning(`${message}; trying again in ${Math.round(waitMs / 1000)} s`),
    });
    return 0;
  } finally {
    // Module checks run in worker threads that would keep the process alive
    closeModuleCheckWorkers();
    closeNotifier?.();
    client.close();
    await store?.close();
  }
}
