import { type FSWatcher, watch } from "node:fs";
import { basename, dirname } from "node:path";
import { readBoundedSync } from "../io/bounded-read.js";
import { CipError } from "../model/index.js";
import type { BundleSet } from "../service/assess-image.js";
import { loadBundle } from "../service/load-bundle.js";
import type { ServerLogger } from "./logger.js";

/** The state of the bundles a server runs with: what is in force, and why the last reload failed. */
export interface PolicyState {
  current: BundleSet;
  /** When the last reload failed: why (the old bundles stay in force). */
  reloadError?: string;
  loadedAt: Date;
}

// Bundles are read with the CLI's input limit: a policy larger than this is a mistake
const MAX_BUNDLE_BYTES = 16 * 1024 * 1024;
// Editors write a file in several steps; wait for them to settle before reading
const SETTLE_MS = 200;

/** Reads, validates and compiles every bundle file; throws the first file's problems (CIP_BUNDLE_INVALID). */
export function loadPolicyFiles(paths: readonly string[]): BundleSet {
  if (paths.length === 0) {
    throw new CipError("CIP_USAGE", "Cannot serve: no policy bundle is configured", {
      hint: "Give --policy FILE (repeatable) or `policies:` in the configuration file.",
    });
  }
  const bundles = paths.map((path) => loadBundle(readPolicyFile(path), path));
  return { bundles, key: bundles.map((b) => b.digest).join("+") };
}

/**
 * Keeps a server's bundles current: reloads them when a file changes or on `reload()` (SIGHUP). A reload
 * that fails validation keeps the bundles in force and records why, for readiness and the log.
 */
export class PolicyFiles {
  #state: PolicyState;
  readonly #watchers: FSWatcher[] = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(
    readonly paths: readonly string[],
    private readonly onChange: (bundles: BundleSet) => void,
    private readonly logger: ServerLogger,
  ) {
    this.#state = { current: loadPolicyFiles(paths), loadedAt: new Date() };
  }

  /** What is in force now. */
  get state(): PolicyState {
    return this.#state;
  }

  /** Reloads every file now; returns true when the new bundles are in force. */
  reload(): boolean {
    try {
      const next = loadPolicyFiles(this.paths);
      const changed = next.key !== this.#state.current.key;
      this.#state = { current: next, loadedAt: new Date() };
      if (changed) {
        this.onChange(next);
        this.logger.info({ bundles: next.key }, "policy bundles reloaded");
      }
      return true;
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      // Readiness is what an operator reads first: name the problems, not only their count
      const problems = error instanceof CipError ? error.problems.slice(0, 5).map((p) => p.message) : [];
      const detail = problems.length > 0 ? `: ${problems.join("; ")}` : "";
      this.#state = { ...this.#state, reloadError: `${reason}${detail}` };
      this.logger.error(
        { err: reason, problems: error instanceof CipError ? error.problems.slice(0, 20) : undefined },
        "policy reload failed; the bundles loaded before stay in force",
      );
      return false;
    }
  }

  /** Watches the files (and their folders, since editors replace files) and reloads after a change. */
  watch(): void {
    // Folders too: a Kubernetes ConfigMap update swaps a symlink beside the file, which the file never sees
    const names = new Set(this.paths.map((path) => basename(path)));
    const targets = new Set([...this.paths, ...this.paths.map((path) => dirname(path))]);
    for (const target of targets) {
      try {
        this.#watchers.push(
          watch(target, (_event, name) => {
            // Other files in the folder (a decision log, say) must not cause reloads; `..data` is Kubernetes' swap
            if (name === null || names.has(name.toString()) || name.toString().startsWith(".."))
              this.#schedule();
          }),
        );
      } catch (error) {
        this.logger.warn(
          { path: target, err: String(error) },
          "cannot watch a policy file; reload it with SIGHUP",
        );
      }
    }
  }

  /** Stops watching. */
  close(): void {
    clearTimeout(this.#timer);
    for (const watcher of this.#watchers.splice(0)) watcher.close();
  }

  #schedule(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.reload();
      // A file replaced by rename is a new inode: watch it again
      this.close();
      this.watch();
    }, SETTLE_MS);
    this.#timer.unref();
  }
}

function readPolicyFile(path: string): string {
  return readBoundedSync(path, {
    maxBytes: MAX_BUNDLE_BYTES,
    what: `policy bundle ${path}`,
    limitName: "policy bundle",
    limitHint: "A policy bundle is a few kilobytes to a few megabytes: check that the path names the bundle.",
  }).toString("utf8");
}
