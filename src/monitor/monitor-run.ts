import { isCipError } from "../model/index.js";
import type { Store } from "../service/store-ports.js";
import type { MonitorConfig } from "./config/load-monitor-config.js";
import type { ContainerSnapshot } from "./container-snapshot.js";
import type { DockerEngineClient } from "./engine/index.js";
import { containerImageDigest, containerImageRef } from "./policy/container-facts.js";
import { type CheckRun, runChecks } from "./run-checks.js";

/** What `--enforce` does to a container that failed: never anything by default. */
export type EnforceAction = "stop" | "pause" | "kill";

/** The result of checking one container, as `--format json` prints it and the store keeps it. */
export interface ContainerResult {
  id: string;
  name: string;
  image: string;
  imageId: string;
  digest?: string;
  outcome: "pass" | "fail";
  checks: CheckRun[];
  /** `always_allow` when no check ran. */
  skipped?: "always_allow";
  /** What was done to the container: `stopped`, `paused`, `killed`, or why not. */
  action?: string;
  checkedAt: string;
}

/** Everything one monitor pass needs. */
export interface MonitorRunOptions {
  client: DockerEngineClient;
  /** The engine as messages and the store name it. */
  host: string;
  config: MonitorConfig;
  enforce?: EnforceAction;
  store?: Store;
  now(): Date;
  /** Told of each container checked, in the order checks end. */
  onResult(result: ContainerResult): void;
  /** Told of each container that failed, after enforcement (the rules of a server); a returned text is a warning. */
  onFailure?(result: ContainerResult): Promise<string | undefined>;
  /** Told of problems that change no result (a store that cannot record, an enforcement refused). */
  onWarning(message: string): void;
  signal?: AbortSignal;
  /** Containers checked at once. */
  concurrency?: number;
}

/** Seconds a stopped container gets before the engine kills it. */
const STOP_TIMEOUT_SECONDS = 10;

/**
 * Checks one container: the configured checks in order (see runChecks), then, when it failed and
 * `--enforce` asks, stops, pauses or kills it, and records the result in the store.
 */
export async function checkContainer(
  container: ContainerSnapshot,
  options: MonitorRunOptions,
): Promise<ContainerResult> {
  const verdict = await runChecks(
    container,
    options.config,
    options.signal ? { signal: options.signal } : {},
  );
  const digest = containerImageDigest(container, containerImageRef(container));
  const result: ContainerResult = {
    id: container.id,
    name: container.name,
    image: container.image,
    imageId: container.imageId,
    ...(digest !== undefined ? { digest } : {}),
    outcome: verdict.outcome,
    checks: verdict.checks,
    ...(verdict.skipped !== undefined ? { skipped: verdict.skipped } : {}),
    checkedAt: options.now().toISOString(),
  };
  if (verdict.outcome === "fail" && options.enforce !== undefined) {
    result.action = await enforce(container, options);
  }
  await recordResult(result, options);
  options.onResult(result);
  if (result.outcome === "fail" && options.onFailure !== undefined) {
    const problem = await options.onFailure(result);
    if (problem !== undefined)
      options.onWarning(`cannot tell the rules that ${result.name} failed: ${problem}`);
  }
  return result;
}

/** Checks every running container once; a container that vanished on the way is left out. */
export async function checkRunningContainers(options: MonitorRunOptions): Promise<ContainerResult[]> {
  const containers = await options.client.snapshotAll();
  const results: ContainerResult[] = [];
  let next = 0;
  const worker = async () => {
    while (next < containers.length && !options.signal?.aborted) {
      const container = containers[next++] as ContainerSnapshot;
      results.push(await checkContainer(container, options));
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 8) }, worker));
  return results;
}

async function enforce(container: ContainerSnapshot, options: MonitorRunOptions): Promise<string> {
  const action = options.enforce as EnforceAction;
  const done = { stop: "stopped", pause: "paused", kill: "killed" }[action];
  try {
    const outcome =
      action === "stop"
        ? await options.client.stop(container.id, STOP_TIMEOUT_SECONDS)
        : action === "pause"
          ? await options.client.pause(container.id)
          : await options.client.kill(container.id);
    if (outcome === "gone") return `not ${done}: the container is gone`;
    if (outcome === "already") return `already ${done}`;
    return done;
  } catch (error) {
    const message = isCipError(error) || error instanceof Error ? error.message : String(error);
    options.onWarning(
      `cannot ${action} container ${container.name} (${container.id.slice(0, 12)}): ${message}`,
    );
    return `${action} failed: ${message}`;
  }
}

async function recordResult(result: ContainerResult, options: MonitorRunOptions): Promise<void> {
  if (options.store === undefined) return;
  try {
    await options.store.recordContainerCheck({
      host: options.host,
      containerId: result.id,
      containerName: result.name,
      image: result.image,
      imageId: result.imageId,
      ...(result.digest !== undefined ? { digest: result.digest } : {}),
      outcome: result.outcome,
      checks: result.checks.map((c) => ({
        section: c.section,
        result: c.result,
        ...(c.message !== undefined ? { message: c.message } : {}),
      })),
      ...(result.action !== undefined ? { action: result.action } : {}),
      checkedAt: result.checkedAt,
    });
  } catch (error) {
    options.onWarning(
      `cannot record the check of ${result.name} in the store: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}
