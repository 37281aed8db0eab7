import { statSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { ModuleWorkerPool } from "../../io/module-workers.js";
import type { ContainerSnapshot } from "../container-snapshot.js";
import {
  type CheckContext,
  type CheckDefinition,
  type CheckOutcome,
  type CheckSectionInfo,
  clip,
  readCheckOutcome,
} from "./check-types.js";
import { MODULE_WORKER_SOURCE } from "./module-worker-source.js";

/** The section prefix of a module check: `[module:./checks/no-latest.mjs]`, `[module:/etc/x.mjs#named]`. */
export const MODULE_SECTION_PREFIX = "module:";
/** How long importing a module at load may take (a top-level await that never ends). */
const PROBE_TIMEOUT_MS = 10_000;

// One worker per check module; a check that runs away fails alone instead of exhausting the monitor
const workers = new ModuleWorkerPool(MODULE_WORKER_SOURCE);
const workerFor = (path: string) => workers.workerFor(path);

/** Terminates the workers of module checks (at shutdown; they never hold the process open). */
export function closeModuleCheckWorkers(): void {
  workers.close("the module check workers were closed");
}

/** The file and export a `module:` section names. */
export interface ModuleTarget {
  path: string;
  /** A named export after `#`; otherwise the default export, else `check`. */
  exportName?: string;
}

/**
 * Reads a `module:PATH[#export]` section name: PATH relative to the INI file's folder (or absolute).
 * Throws when it names no file.
 */
export function moduleTarget(section: string, configDir: string): ModuleTarget {
  const spec = section.slice(MODULE_SECTION_PREFIX.length).trim();
  const hash = spec.lastIndexOf("#");
  const file = (hash < 0 ? spec : spec.slice(0, hash)).trim();
  const exportName = hash < 0 ? undefined : spec.slice(hash + 1).trim();
  if (file === "") throw new Error("names no module file: write [module:./my-check.mjs]");
  if (exportName !== undefined && !/^[A-Za-z_$][\w$]*$/.test(exportName)) {
    throw new Error(`#${exportName} is not an export name`);
  }
  return { path: isAbsolute(file) ? file : resolve(configDir, file), exportName };
}

/**
 * Makes the check of a `[module:PATH[#export]]` section: imports the module in its worker at load and fails
 * the load when the file is missing, does not import, or exports no function. At run time the function is
 * called in the worker as `check(container, settings, {section, configDir, timeoutMs})`; a throw, a
 * rejection, an answer of another shape or the deadline fails the container with a message naming the
 * section.
 */
export async function loadModuleCheck(info: CheckSectionInfo): Promise<CheckDefinition> {
  const target = moduleTarget(info.section, info.configDir);
  let isFile = false;
  try {
    isFile = statSync(target.path).isFile();
  } catch {
    // Reported below as missing
  }
  if (!isFile) throw new Error(`the module file ${target.path} does not exist or is not a file`);
  const url = pathToFileURL(target.path).href;
  const what = info.section;
  const probe = await workerFor(target.path).call(
    { kind: "probe", url, name: target.exportName },
    PROBE_TIMEOUT_MS,
    what,
  );
  if (probe === undefined)
    throw new Error(`importing ${target.path} did not finish within ${PROBE_TIMEOUT_MS} ms`);
  if (!probe.ok) throw new Error(`cannot use ${target.path}: ${probe.error ?? "unknown error"}`);
  const run = async (
    container: ContainerSnapshot,
    settings: Record<string, string>,
    context: CheckContext,
  ): Promise<CheckOutcome> => {
    const reply = await workerFor(target.path).call(
      {
        kind: "run",
        url,
        name: target.exportName,
        container,
        settings,
        context: { section: context.section, configDir: context.configDir, timeoutMs: context.timeoutMs },
      },
      context.timeoutMs,
      what,
    );
    if (reply === undefined) {
      return {
        result: "FAIL",
        message: `${context.section} did not answer within ${context.timeoutMs} ms; its worker was stopped`,
      };
    }
    if (!reply.ok)
      return { result: "FAIL", message: clip(`${context.section} threw: ${reply.error ?? "unknown error"}`) };
    const value = reply.value as { shape?: string; badMessage?: boolean } | string | undefined;
    const outcome =
      value !== undefined && (typeof value === "string" || !value.badMessage)
        ? readCheckOutcome(value)
        : undefined;
    if (outcome === undefined) {
      const shape =
        typeof value === "string" ? JSON.stringify(value).slice(0, 200) : (value?.shape ?? "undefined");
      return {
        result: "FAIL",
        message: `${context.section} returned ${shape}, not "PASS", "PASS_FAST", "FAIL" or { result, message }`,
      };
    }
    return outcome;
  };
  return { description: `module check ${info.section.slice(MODULE_SECTION_PREFIX.length)}`, run };
}
