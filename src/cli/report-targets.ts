import { accessSync, constants, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { CipError } from "../model/index.js";
import { REPORT_FORMAT_NAMES } from "../report/format-names.js";
import { checkOutputConflicts, type InputPath } from "./output-conflicts.js";

/** One report to write: a format and where (undefined: standard output). */
export interface ReportTarget {
  format: string;
  path?: string;
}

/**
 * Pairs `--format` values (a name, or `name=FILE`) with `--output` values in order, and checks before any
 * work is done that every format exists, at most one goes to standard output, every file can be written,
 * no two go to one file and none overwrites one of the `inputs`.
 */
export function reportTargets(
  formats: readonly string[],
  outputs: readonly string[],
  inputs: readonly InputPath[] = [],
): ReportTarget[] {
  const names = formats.length > 0 ? formats : ["table"];
  if (outputs.length > names.length) {
    throw new CipError(
      "CIP_USAGE",
      `Cannot use ${outputs.length} --output values for ${names.length} --format values`,
      {
        hint: "Give one --output per --format, in the same order (or write --format NAME=FILE).",
      },
    );
  }
  const targets = names.map((value, i): ReportTarget => {
    const eq = value.indexOf("=");
    const format = eq > 0 ? value.slice(0, eq) : value;
    const path = eq > 0 ? value.slice(eq + 1) : outputs[i];
    if (!(REPORT_FORMAT_NAMES as readonly string[]).includes(format)) {
      throw new CipError("CIP_USAGE", `Cannot use format ${JSON.stringify(format)}: no such format`, {
        hint: `Choose one of ${REPORT_FORMAT_NAMES.join(", ")}.`,
      });
    }
    return path === undefined || path === "-" ? { format } : { format, path };
  });
  const toStdout = targets.filter((t) => t.path === undefined);
  if (toStdout.length > 1) {
    throw new CipError(
      "CIP_USAGE",
      `Cannot write ${toStdout.map((t) => t.format).join(" and ")} both to standard output`,
      {
        hint: "Give each format its file: --format sarif=results.sarif, or --output after each --format.",
      },
    );
  }
  for (const t of targets) if (t.path !== undefined) checkWritable(t.path);
  checkOutputConflicts(
    targets.flatMap((t) => (t.path === undefined ? [] : [{ path: t.path, format: t.format }])),
    inputs,
  );
  return targets;
}

function checkWritable(path: string): void {
  const full = resolve(path);
  let isDirectory = false;
  try {
    isDirectory = statSync(full).isDirectory();
    if (!isDirectory) accessSync(full, constants.W_OK);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw cannotWrite(path, (error as Error).message);
    try {
      accessSync(dirname(full), constants.W_OK);
    } catch {
      throw cannotWrite(path, `the directory ${dirname(full)} does not exist or is not writable`);
    }
  }
  if (isDirectory) throw cannotWrite(path, "it is a directory");
}

function cannotWrite(path: string, why: string): CipError {
  return new CipError("CIP_OUTPUT_WRITE", `Cannot write report to ${path}: ${why}`, {
    hint: "Choose a path in a directory that exists and is writable; nothing was evaluated.",
  });
}
