import { type FSWatcher, readFileSync, statSync, watch } from "node:fs";
import { dirname } from "node:path";
import { createSecureContext } from "node:tls";
import { CipError } from "../model/index.js";
import type { ServerLogger } from "./logger.js";

/** A certificate chain and its private key, PEM. */
export interface TlsPair {
  cert: Buffer;
  key: Buffer;
}

/** Where the pair lives and how often to look at it when file events are missed. */
export interface TlsFiles {
  certFile: string;
  keyFile: string;
  /** Stat both files this often (ms) besides watching them; default 10 000. */
  pollMs?: number;
}

/**
 * Reads and checks a certificate and key pair: both files readable, both PEM that OpenSSL accepts, and the
 * key belonging to the certificate. Errors are CIP_USAGE naming the files.
 */
export function readTlsPair(files: TlsFiles): TlsPair {
  let pair: TlsPair;
  try {
    pair = { cert: readFileSync(files.certFile), key: readFileSync(files.keyFile) };
  } catch (error) {
    throw new CipError("CIP_USAGE", `Cannot read the TLS certificate or key: ${(error as Error).message}`, {
      hint: "Check tls.cert and tls.key in the server configuration.",
    });
  }
  try {
    // Loading both into one context makes OpenSSL check that the key matches the certificate.
    createSecureContext(pair);
  } catch (error) {
    throw new CipError(
      "CIP_USAGE",
      `Cannot use the TLS certificate and key: ${(error as Error).message} (${files.certFile}, ${files.keyFile})`,
      { hint: "Give a PEM certificate (chain) and the PEM private key that belongs to it." },
    );
  }
  return pair;
}

/**
 * Watches a certificate and key pair (file events on their directories, so a secret volume's symlink swap
 * is seen, plus a periodic stat as a fallback) and calls `apply` with the new pair when the files changed and
 * the new pair is valid. A broken or half-written pair is logged and the old one stays in use.
 */
export class TlsReloader {
  private readonly watchers: FSWatcher[] = [];
  private readonly poll: NodeJS.Timeout;
  private signature: string;
  private debounce: NodeJS.Timeout | undefined;

  constructor(
    private readonly files: TlsFiles,
    private readonly apply: (pair: TlsPair) => void,
    private readonly logger: ServerLogger,
  ) {
    this.signature = this.statSignature();
    const onEvent = () => this.schedule();
    for (const dir of new Set([dirname(files.certFile), dirname(files.keyFile)])) {
      try {
        const watcher = watch(dir, { persistent: false }, onEvent);
        watcher.on("error", () => watcher.close());
        this.watchers.push(watcher);
      } catch (error) {
        logger.warn({ dir, err: (error as Error).message }, "cannot watch the TLS directory; polling only");
      }
    }
    this.poll = setInterval(() => this.check(), files.pollMs ?? 10_000);
    this.poll.unref();
  }

  /** Stops watching. */
  close(): void {
    clearInterval(this.poll);
    if (this.debounce !== undefined) clearTimeout(this.debounce);
    for (const watcher of this.watchers) watcher.close();
  }

  /** Looks at the files now; reloads when they changed. */
  check(): void {
    const signature = this.statSignature();
    if (signature === this.signature) return;
    let pair: TlsPair;
    try {
      pair = readTlsPair(this.files);
    } catch (error) {
      // The signature stays old, so the next event or poll tries again (the other file may be on its way).
      this.logger.warn(
        { cert: this.files.certFile, key: this.files.keyFile, err: (error as Error).message },
        "new TLS certificate or key is not usable; keeping the current pair",
      );
      this.signature = signature;
      return;
    }
    this.signature = signature;
    this.apply(pair);
    this.logger.info({ cert: this.files.certFile }, "TLS certificate and key reloaded");
  }

  private schedule(): void {
    // Writers replace files in several steps; look once they have settled.
    if (this.debounce !== undefined) clearTimeout(this.debounce);
    this.debounce = setTimeout(() => {
      this.debounce = undefined;
      this.check();
    }, 100);
    this.debounce.unref();
  }

  private statSignature(): string {
    return [this.files.certFile, this.files.keyFile]
      .map((file) => {
        try {
          const s = statSync(file);
          return `${s.ino}:${s.size}:${s.mtimeMs}`;
        } catch {
          return "missing";
        }
      })
      .join("|");
  }
}
