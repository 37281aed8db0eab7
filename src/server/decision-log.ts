import { close as closeFd, openSync, write as writeFd } from "node:fs";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { CipError } from "../model/index.js";
import { type ServerLogger, silentLogger } from "./logger.js";

/** Where decisions go: exactly one of `file`, `stdout`, `url`. */
export interface DecisionLogOptions {
  /** Append JSON lines to this file (opened once; `reopen()` after logrotate moved it). */
  file?: string;
  /** Write JSON lines to standard output (or `stream`, for tests). */
  stdout?: boolean;
  /** POST batches of JSON lines (`application/x-ndjson`) to this URL. */
  url?: string;
  /** Headers for the POSTs (an Authorization header for the collector). */
  headers?: Record<string, string>;
  /** Decisions per POST at most; default 100. */
  batchSize?: number;
  /** A partial batch is sent after this many ms; default 1000. */
  flushMs?: number;
  /** Decisions held while the sink is slow or down; beyond, the oldest are dropped. Default 10 000. */
  maxQueue?: number;
  /** Tries of one batch before it is dropped; default 5. */
  maxAttempts?: number;
  /** First retry delay, doubled per failure up to `retryMaxMs`; defaults 500 and 30 000. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Per POST; default 10 000 ms. */
  requestTimeoutMs?: number;
  /** Replaces standard output for `stdout` (tests). */
  stream?: NodeJS.WritableStream & { writableLength?: number };
  logger?: ServerLogger;
}

/** Counts of what happened to the decisions written so far. */
export interface DecisionLogStats {
  /** Lines handed to the sink (file or stream written, endpoint answered 2xx). */
  written: number;
  /** Lines dropped: queue full, batch refused or out of tries, or not sent by close. */
  dropped: number;
  /** Lines waiting. */
  queued: number;
}

/** The decision log: `write` never blocks a request, `close` flushes. */
export interface DecisionLog {
  /** Serializes the entry to one JSON line and queues it; returns at once. */
  write(entry: object): void;
  /** Reopens the file (after logrotate renamed it); a no-op for other sinks. */
  reopen(): Promise<void>;
  /** Flushes what is queued (waiting at most `timeoutMs`, default 5 000) and releases the sink. */
  close(timeoutMs?: number): Promise<void>;
  stats(): DecisionLogStats;
}

/** Makes the decision log for one of file, stdout or an HTTP endpoint. */
export function createDecisionLog(options: DecisionLogOptions): DecisionLog {
  const given = [options.file, options.stdout || undefined, options.url].filter((x) => x !== undefined);
  if (given.length !== 1) {
    throw new CipError("CIP_USAGE", "Cannot make the decision log: give exactly one of file, stdout, url", {
      hint: "Set one of decisionLog.file, decisionLog.stdout or decisionLog.url.",
    });
  }
  if (options.file !== undefined) return new FileDecisionLog(options.file, options);
  if (options.url !== undefined) return new HttpDecisionLog(options.url, options);
  return new StreamDecisionLog(options.stream ?? process.stdout, options);
}

/** Reports drops at most every 10 s, with the count since the last report, so an outage logs a few lines. */
class DropReporter {
  dropped = 0;
  private unreported = 0;
  private lastReport = 0;

  constructor(
    private readonly logger: ServerLogger,
    private readonly sink: string,
  ) {}

  drop(count: number, why: string): void {
    this.dropped += count;
    this.unreported += count;
    const now = Date.now();
    if (now - this.lastReport < 10_000) return;
    this.logger.warn(
      { sink: this.sink, dropped: this.unreported, droppedTotal: this.dropped },
      `decision log dropping decisions: ${why}`,
    );
    this.unreported = 0;
    this.lastReport = now;
  }
}

class FileDecisionLog implements DecisionLog {
  private fd: number;
  private pending: string[] = [];
  private draining: Promise<void> | undefined;
  private written = 0;
  private readonly drops: DropReporter;
  private readonly maxQueue: number;
  private readonly logger: ServerLogger;

  constructor(
    private readonly path: string,
    options: DecisionLogOptions,
  ) {
    this.logger = options.logger ?? silentLogger();
    this.drops = new DropReporter(this.logger, `file ${path}`);
    this.maxQueue = options.maxQueue ?? 10_000;
    this.fd = openLog(path);
  }

  write(entry: object): void {
    if (this.pending.length >= this.maxQueue) {
      this.pending.shift();
      this.drops.drop(1, "the file is not keeping up");
    }
    this.pending.push(`${JSON.stringify(entry)}\n`);
    this.draining ??= this.drain();
  }

  async reopen(): Promise<void> {
    await this.draining;
    const old = this.fd;
    this.fd = openLog(this.path);
    await new Promise<void>((resolve) => closeFd(old, () => resolve()));
    this.logger.info({ file: this.path }, "decision log reopened");
  }

  async close(): Promise<void> {
    await this.draining;
    await new Promise<void>((resolve) => closeFd(this.fd, () => resolve()));
  }

  stats(): DecisionLogStats {
    return { written: this.written, dropped: this.drops.dropped, queued: this.pending.length };
  }

  private async drain(): Promise<void> {
    // One write at a time; lines that arrive meanwhile go out together in the next one.
    while (this.pending.length > 0) {
      const lines = this.pending;
      this.pending = [];
      try {
        await writeAll(this.fd, Buffer.from(lines.join("")));
        this.written += lines.length;
      } catch (error) {
        this.drops.drop(lines.length, `cannot write ${this.path}: ${(error as Error).message}`);
      }
    }
    this.draining = undefined;
  }
}

class StreamDecisionLog implements DecisionLog {
  private written = 0;
  private readonly drops: DropReporter;
  private readonly maxBytes: number;

  constructor(
    private readonly stream: NodeJS.WritableStream & { writableLength?: number },
    options: DecisionLogOptions,
  ) {
    this.drops = new DropReporter(options.logger ?? silentLogger(), "stdout");
    // A reader that stopped reading must not grow the process without bound: about maxQueue small lines.
    this.maxBytes = (options.maxQueue ?? 10_000) * 4096;
  }

  write(entry: object): void {
    if ((this.stream.writableLength ?? 0) > this.maxBytes) {
      this.drops.drop(1, "standard output is not being read");
      return;
    }
    this.stream.write(`${JSON.stringify(entry)}\n`);
    this.written++;
  }

  async reopen(): Promise<void> {}

  async close(): Promise<void> {
    if ((this.stream.writableLength ?? 0) === 0) return;
    await new Promise<void>((resolve) => this.stream.write("", () => resolve()));
  }

  stats(): DecisionLogStats {
    return { written: this.written, dropped: this.drops.dropped, queued: 0 };
  }
}

class HttpDecisionLog implements DecisionLog {
  private queue: string[] = [];
  /** The batch being sent or waiting for its retry; it left the queue. */
  private batch: string[] | undefined;
  private attempts = 0;
  private failures = 0;
  private timer: NodeJS.Timeout | undefined;
  private sending: Promise<void> | undefined;
  private closed = false;
  private written = 0;
  private readonly drops: DropReporter;
  private readonly logger: ServerLogger;
  private readonly batchSize: number;
  private readonly flushMs: number;
  private readonly maxQueue: number;
  private readonly maxAttempts: number;
  private readonly retryBaseMs: number;
  private readonly retryMaxMs: number;
  private readonly timeoutMs: number;
  private readonly target: URL;
  private readonly flushNow = () => {
    this.timer = undefined;
    this.pump();
  };

  constructor(
    url: string,
    private readonly options: DecisionLogOptions,
  ) {
    this.target = new URL(url);
    this.logger = options.logger ?? silentLogger();
    this.drops = new DropReporter(this.logger, `url ${this.target.origin}`);
    this.batchSize = options.batchSize ?? 100;
    this.flushMs = options.flushMs ?? 1000;
    this.maxQueue = options.maxQueue ?? 10_000;
    this.maxAttempts = options.maxAttempts ?? 5;
    this.retryBaseMs = options.retryBaseMs ?? 500;
    this.retryMaxMs = options.retryMaxMs ?? 30_000;
    this.timeoutMs = options.requestTimeoutMs ?? 10_000;
  }

  write(entry: object): void {
    if (this.closed) {
      this.drops.drop(1, "the decision log is closed");
      return;
    }
    if (this.queue.length >= this.maxQueue) {
      this.queue.shift();
      this.drops.drop(1, "the endpoint is down or slow and the queue is full");
    }
    this.queue.push(JSON.stringify(entry));
    if (this.sending !== undefined || this.batch !== undefined) return;
    if (this.queue.length >= this.batchSize) {
      if (this.timer !== undefined) clearTimeout(this.timer);
      this.timer = setTimeout(this.flushNow, 0);
    } else this.timer ??= setTimeout(this.flushNow, this.flushMs);
    this.timer.unref();
  }

  async reopen(): Promise<void> {}

  async close(timeoutMs = 5000): Promise<void> {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const until = Date.now() + timeoutMs;
    while ((this.queue.length > 0 || this.batch !== undefined) && Date.now() < until) {
      if (this.sending === undefined) this.pump();
      if (this.sending !== undefined) await within(this.sending, until - Date.now());
      // Between failed tries at close, wait a little rather than spin.
      if (this.batch !== undefined && this.sending === undefined)
        await delay(Math.min(100, until - Date.now()));
    }
    const left = this.queue.length + (this.batch?.length ?? 0);
    if (left > 0) {
      this.drops.drop(left, "not sent before the decision log closed");
      this.logger.warn({ dropped: left }, "decision log closed with decisions not sent");
    }
    this.queue = [];
    this.batch = undefined;
  }

  stats(): DecisionLogStats {
    return {
      written: this.written,
      dropped: this.drops.dropped,
      queued: this.queue.length + (this.batch?.length ?? 0),
    };
  }

  /** Sends the current or next batch unless one is on its way. */
  private pump(): void {
    if (this.sending !== undefined) return;
    if (this.batch === undefined) {
      if (this.queue.length === 0) return;
      this.batch = this.queue.splice(0, this.batchSize);
      this.attempts = 0;
    }
    this.sending = this.sendBatch(this.batch).finally(() => {
      this.sending = undefined;
    });
  }

  private async sendBatch(batch: string[]): Promise<void> {
    this.attempts++;
    let outcome: "ok" | "retry" | "refused";
    let detail: string;
    try {
      const status = await this.post(`${batch.join("\n")}\n`);
      detail = `status ${status}`;
      outcome =
        status >= 200 && status < 300
          ? "ok"
          : status === 408 || status === 429 || status >= 500
            ? "retry"
            : "refused";
    } catch (error) {
      detail = (error as Error).message;
      outcome = "retry";
    }
    if (outcome === "ok") {
      this.written += batch.length;
      if (this.failures > 0)
        this.logger.info({ sink: this.target.origin }, "decision log endpoint reachable again");
      this.failures = 0;
      this.batch = undefined;
      this.scheduleNext(0);
      return;
    }
    this.failures++;
    if (outcome === "refused" || this.attempts >= this.maxAttempts) {
      this.drops.drop(
        batch.length,
        `the endpoint ${outcome === "refused" ? "refused" : "kept failing on"} a batch (${detail})`,
      );
      this.batch = undefined;
    } else if (this.failures === 1) {
      this.logger.warn(
        { sink: this.target.origin, err: detail },
        "decision log endpoint failed; retrying with backoff",
      );
    }
    const wait = Math.min(this.retryMaxMs, this.retryBaseMs * 2 ** Math.min(20, this.failures - 1));
    // Jitter, so replicas that lost the same endpoint do not retry in step.
    this.scheduleNext(wait / 2 + Math.random() * (wait / 2));
  }

  private scheduleNext(ms: number): void {
    if (this.closed) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.batch === undefined && this.queue.length === 0) return;
    const full = this.batch !== undefined || this.queue.length >= this.batchSize;
    this.timer = setTimeout(this.flushNow, ms > 0 || full ? ms : this.flushMs);
    this.timer.unref();
  }

  private post(body: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const make = this.target.protocol === "https:" ? httpsRequest : httpRequest;
      const req = make(
        this.target,
        {
          method: "POST",
          headers: {
            ...this.options.headers,
            "content-type": "application/x-ndjson",
            "content-length": Buffer.byteLength(body),
          },
          timeout: this.timeoutMs,
        },
        (res) => {
          res.resume();
          res.on("end", () => resolve(res.statusCode ?? 0));
          res.on("error", reject);
        },
      );
      req.on("timeout", () => req.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
      req.on("error", reject);
      req.end(body);
    });
  }
}

function openLog(path: string): number {
  try {
    return openSync(path, "a", 0o640);
  } catch (error) {
    throw new CipError(
      "CIP_OUTPUT_WRITE",
      `Cannot open the decision log: ${(error as Error).message} (${path})`,
      {
        hint: "Check decisionLog.file: its directory must exist and be writable by the server.",
      },
    );
  }
}

function writeAll(fd: number, data: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const step = (offset: number) => {
      writeFd(fd, data, offset, data.length - offset, null, (error, written) => {
        if (error) reject(error);
        else if (offset + written < data.length) step(offset + written);
        else resolve();
      });
    };
    step(0);
  });
}

/** Waits for the promise, at most `ms`; the timer is cleared either way. */
async function within(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    promise,
    new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, ms)))),
  ]);
  clearTimeout(timer);
}

/** A wait that keeps the process alive: close() is awaited, and its caller expects it to finish. */
function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
