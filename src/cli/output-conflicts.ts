import { lstatSync, readlinkSync, realpathSync, statSync } from "node:fs";
import { basename, dirname, join, resolve, sep } from "node:path";
import { CipError } from "../model/index.js";

/** A file (or directory) a command reads, and the option that named it, for messages. */
export interface InputPath {
  path: string;
  /** `--facts`, `--report`, `the image` … */
  option: string;
  /** A directory read as a whole (an OCI layout): writing over any file inside it destroys the input. */
  tree?: boolean;
}

/** A file a command writes, and what goes there, for messages. */
export interface OutputPath {
  path: string;
  /** The format written there (`json`, `sarif`), or what it is (`facts`). */
  format: string;
}

interface Identity {
  /** Equal for two names of one file: device and inode when it exists, else its resolved path. */
  key: string;
  /** The path with every symbolic link resolved (of its directory, when the file does not exist yet). */
  real: string;
  exists: boolean;
}

/**
 * Refuses, before any work, outputs that would collide: two outputs that are one file, or an output that is
 * one of the inputs (through symbolic or hard links, compared by device and inode), or a file inside an
 * input read as a whole directory. Throws CIP_OUTPUT_CONFLICT naming both paths.
 */
export function checkOutputConflicts(outputs: readonly OutputPath[], inputs: readonly InputPath[]): void {
  const written = outputs.map((o) => ({ ...o, id: identify(o.path) }));
  for (const [i, a] of written.entries()) {
    const b = written.slice(0, i).find((x) => x.id.key === a.id.key);
    if (b) {
      throw new CipError(
        "CIP_OUTPUT_CONFLICT",
        `Cannot write ${b.format} and ${a.format} both to ${b.path}${a.path === b.path ? "" : ` (${a.path} is the same file)`}`,
        { hint: "Give each format a file of its own; nothing was read or written." },
      );
    }
  }
  const read = inputs.filter((i) => i.path !== "-").map((i) => ({ ...i, id: identify(i.path) }));
  for (const o of written) {
    for (const input of read) {
      const inside = input.tree && o.id.exists && o.id.real.startsWith(input.id.real + sep);
      if (o.id.key !== input.id.key && !inside) continue;
      const what = inside ? `a file inside ${input.path}` : input.path;
      throw new CipError(
        "CIP_OUTPUT_CONFLICT",
        `Cannot write ${o.format} to ${o.path}: it is ${inside ? what : `the input ${what}`}, given with ${input.option}`,
        {
          hint: "Write the output to another path; the input was left as it is, nothing was read or written.",
        },
      );
    }
  }
}

function identify(path: string): Identity {
  const full = resolve(path);
  try {
    const stat = statSync(full);
    return { key: `${stat.dev}:${stat.ino}`, real: realpathSync(full), exists: true };
  } catch {
    // Not there yet: writing creates it, through a dangling symbolic link if the name is one.
    const target = followLinks(full);
    let real = target;
    try {
      real = join(realpathSync(dirname(target)), basename(target));
    } catch {
      // The directory is missing too; the writability check says so.
    }
    return { key: `path:${real}`, real, exists: false };
  }
}

function followLinks(path: string): string {
  let current = path;
  // Forty hops, as the kernel's own limit for symbolic link chains.
  for (let hop = 0; hop < 40; hop++) {
    try {
      if (!lstatSync(current).isSymbolicLink()) return current;
      current = resolve(dirname(current), readlinkSync(current));
    } catch {
      return current;
    }
  }
  return current;
}
