import { Agent, request } from "node:http";

/** What a paced run sends and how fast. */
export interface PacedLoadOptions {
  url: string;
  /** Requests per second, sent evenly spaced (open loop: a slow answer does not delay the next request). */
  rate: number;
  durationMs: number;
  /** The body of the i-th request (0-based). */
  body(i: number): string;
  headers?: Record<string, string>;
  /** Connections kept open at most; requests wait for one beyond this (default 64). */
  maxSockets?: number;
  /** A request not answered within this counts as an error (default 5000 ms). */
  timeoutMs?: number;
  /** Checks an answer's body; a false result counts the answer as wrong. */
  check?(text: string, i: number): boolean;
}

/** Latencies and failures of a paced run. */
export interface PacedLoadResult {
  sent: number;
  /** Milliseconds from each request's scheduled send time to the end of its answer, sorted. */
  latenciesMs: Float64Array;
  /** Answers with a status other than 200. */
  non200: number;
  /** Answers that `check` refused. */
  wrong: number;
  /** Connection errors and timeouts, with the first message. */
  errors: number;
  firstError?: string;
  /** Requests answered per second over the run. */
  achievedRate: number;
}

/**
 * Sends requests at a fixed rate, evenly spaced, and times each from when it was due to be sent (so a stall
 * of the server or of this process shows in the latencies instead of being hidden by sending less: no
 * coordinated omission). autocannon's `overallRate` sends each second's quota per connection back to back
 * at the start of the second, which measures bursts, not a steady rate.
 */
export async function pacedLoad(options: PacedLoadOptions): Promise<PacedLoadResult> {
  const total = Math.round((options.rate * options.durationMs) / 1000);
  const intervalMs = 1000 / options.rate;
  const timeoutMs = options.timeoutMs ?? 5000;
  // Idle sockets are dropped before the server's 5 s keep-alive timeout would close them under a request
  // (a reset that the server never saw as a request)
  const agent = new Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 64, timeout: 4_000 });
  const latencies = new Float64Array(total);
  const result = { sent: 0, non200: 0, wrong: 0, errors: 0, firstError: undefined as string | undefined };
  let answered = 0;
  const start = performance.now();
  const done = new Promise<void>((resolve) => {
    const finish = () => {
      answered++;
      if (answered === total) resolve();
    };
    const fire = (i: number, due: number) => {
      const body = options.body(i);
      const req = request(options.url, {
        method: "POST",
        agent,
        headers: { "content-type": "application/json", ...options.headers },
        timeout: timeoutMs,
      });
      req.on("response", (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => {
          latencies[i] = performance.now() - due;
          if (res.statusCode !== 200) result.non200++;
          else if (options.check && !options.check(Buffer.concat(chunks).toString("utf8"), i)) result.wrong++;
          finish();
        });
      });
      req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      req.on("error", (error) => {
        result.errors++;
        result.firstError ??= error.message;
        latencies[i] = Number.POSITIVE_INFINITY;
        finish();
      });
      req.end(body);
      result.sent++;
    };
    let next = 0;
    const tick = () => {
      const now = performance.now();
      // A late timer catches up: every request already due goes out now, timed from when it was due
      while (next < total && start + next * intervalMs <= now) {
        fire(next, start + next * intervalMs);
        next++;
      }
      if (next < total) setTimeout(tick, Math.max(0, start + next * intervalMs - performance.now()));
    };
    tick();
  });
  await done;
  const elapsed = performance.now() - start;
  agent.destroy();
  latencies.sort();
  return { ...result, latenciesMs: latencies, achievedRate: (total * 1000) / elapsed };
}

/** The p-th percentile (0-100) of sorted values, nearest rank. */
export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}
