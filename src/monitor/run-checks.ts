import { type CheckResult, clip, describeValue, readCheckOutcome } from "./checks/check-types.js";
import { findAlwaysAllowed } from "./config/always-allow.js";
import type { MonitorConfig } from "./config/load-monitor-config.js";
import type { ContainerSnapshot } from "./container-snapshot.js";

/** What one check said of one container. */
export interface CheckRun {
  /** The section that configured it. */
  section: string;
  /** The seed's `description` of the check ("is running as root"). */
  description: string;
  result: CheckResult;
  message?: string;
  /** How long it took, in milliseconds. */
  ms: number;
}

/** The verdict on one container. */
export interface ContainerVerdict {
  outcome: "pass" | "fail";
  /** The checks that ran, in order; the last one decided unless all passed. */
  checks: CheckRun[];
  /** Set when no check ran because the image is in `[policy] always_allow`. */
  skipped?: "always_allow";
  /** The `always_allow` entry that matched, as written. */
  allowedBy?: string;
}

/** What the caller adds to every check run. */
export interface RunChecksContext {
  /** Aborted when the monitor stops: the running check is told and the container is not passed. */
  signal?: AbortSignal;
}

/** After a check's deadline, how long it may take to stop itself and say so before it is failed for it. */
const DEADLINE_GRACE_MS = 200;

/**
 * Checks one container as the seed's `ContainerPolicy.check` does: an image in `always_allow` passes with
 * no check run; otherwise the checks run in file order, PASS goes on, PASS_FAST stops as passed, FAIL stops
 * as failed, all PASS passes. Each check runs under its deadline; a check that throws, answers something
 * other than PASS/PASS_FAST/FAIL, or outlives its deadline fails the container (the seed would have
 * crashed), with a message naming its section. Never rejects.
 */
export async function runChecks(
  container: ContainerSnapshot,
  config: Pick<MonitorConfig, "checks" | "alwaysAllowIds" | "configDir">,
  context: RunChecksContext = {},
): Promise<ContainerVerdict> {
  const allowed = findAlwaysAllowed(container.imageId, config.alwaysAllowIds);
  if (allowed !== undefined)
    return { outcome: "pass", checks: [], skipped: "always_allow", allowedBy: allowed.written };
  const checks: CheckRun[] = [];
  for (const spec of config.checks) {
    const started = performance.now();
    const row = (result: CheckResult, message?: string): CheckRun => ({
      section: spec.section,
      description: spec.description,
      result,
      ...(message === undefined ? {} : { message }),
      ms: Math.round(performance.now() - started),
    });
    if (context.signal?.aborted) {
      checks.push(row("FAIL", `${spec.section} did not run: the monitor is stopping`));
      return { outcome: "fail", checks };
    }
    const controller = new AbortController();
    const onStop = () => controller.abort(context.signal?.reason);
    context.signal?.addEventListener("abort", onStop, { once: true });
    let timer: NodeJS.Timeout | undefined;
    let graceTimer: NodeJS.Timeout | undefined;
    const deadline = new Promise<CheckRun>((resolveDeadline) => {
      timer = setTimeout(() => {
        controller.abort(new Error("deadline"));
        graceTimer = setTimeout(
          () => resolveDeadline(row("FAIL", `${spec.section} did not finish within ${spec.timeoutMs} ms`)),
          DEADLINE_GRACE_MS,
        );
      }, spec.timeoutMs);
    });
    const run = (async (): Promise<CheckRun> => {
      try {
        const value: unknown = await spec.run(container, spec.settings, {
          section: spec.section,
          configDir: config.configDir,
          timeoutMs: spec.timeoutMs,
          signal: controller.signal,
        });
        const outcome = readCheckOutcome(value);
        if (outcome === undefined) {
          return row(
            "FAIL",
            `${spec.section} returned ${describeValue(value)}, not "PASS", "PASS_FAST", "FAIL" or { result, message }`,
          );
        }
        return row(outcome.result, outcome.message);
      } catch (error) {
        const text = error instanceof Error ? `${error.name}: ${error.message}` : describeValue(error);
        return row("FAIL", clip(`${spec.section} threw: ${text}`));
      }
    })();
    const done = await Promise.race([run, deadline]);
    clearTimeout(timer);
    clearTimeout(graceTimer);
    context.signal?.removeEventListener("abort", onStop);
    checks.push(done);
    if (done.result === "FAIL") return { outcome: "fail", checks };
    if (done.result === "PASS_FAST") return { outcome: "pass", checks };
  }
  return { outcome: "pass", checks };
}

/** One log line in the seed's words. */
export interface MonitorLogLine {
  level: "info" | "warning" | "error";
  message: string;
}

/**
 * The log lines of one container's verdict, worded as the seed's: "<name> passed check, <description>"
 * (info) and "<name> failed check, <description>" (error), each with the check's message after a colon,
 * and "<name> is always allowed" for an `always_allow` image (the seed never applied always_allow).
 */
export function verdictLogLines(
  container: Pick<ContainerSnapshot, "name">,
  verdict: ContainerVerdict,
): MonitorLogLine[] {
  if (verdict.skipped === "always_allow") {
    return [
      {
        level: "info",
        message: `${container.name} is always allowed (${verdict.allowedBy ?? "always_allow"})`,
      },
    ];
  }
  return verdict.checks.map((check) => {
    const detail = check.message === undefined ? "" : `: ${check.message}`;
    return check.result === "FAIL"
      ? { level: "error", message: `${container.name} failed check, ${check.description}${detail}` }
      : { level: "info", message: `${container.name} passed check, ${check.description}${detail}` };
  });
}
