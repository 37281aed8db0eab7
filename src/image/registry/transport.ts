import { setTimeout as sleep } from "node:timers/promises";
import { HttpClient, type HttpRequestInit, type HttpResponse } from "./http-request.js";
import { isTransientNetworkError, networkFailure } from "./registry-errors.js";

/** How requests are sent: timeout per request, retries on 429/5xx and connection resets. */
export interface TransportOptions {
  timeoutMs: number;
  retries: number;
  /** PEM text of CA certificates trusted besides Node's bundled roots. */
  caCertificates?: string[];
}

/** What a request sends: as HttpRequestInit, but the body may be bytes (a blob being pushed). */
export type TransportRequestInit = HttpRequestInit;

const RETRY_STATUSES = new Set([429, 500, 502, 503, 504]);

/** True for answers worth retrying later: rate limits and server failures. */
export function isRetryableStatus(status: number): boolean {
  return RETRY_STATUSES.has(status);
}

/** Longest wait a Retry-After header may ask for before the client gives up instead. */
export const MAX_RETRY_AFTER_MS = 60_000;
const BASE_BACKOFF_MS = 250;

/**
 * Sends HTTP requests with a per-request timeout (covering the body too), retrying 429/5xx answers and
 * reset connections with exponential backoff that honours Retry-After. Redirects are never followed here:
 * callers see the 3xx and decide.
 */
export class Transport {
  private readonly http: HttpClient;

  constructor(private readonly options: TransportOptions) {
    this.http = new HttpClient({ caCertificates: options.caCertificates ?? [] });
  }

  /**
   * Sends one request (with retries); throws a CipError when no HTTP answer came. `retries` overrides the
   * client's count for this request: 0 for steps that must not be repeated blindly (an upload's POST or PATCH).
   */
  /** Closes every connection (at the end of a command: a socket left open would keep the process alive). */
  close(): void {
    this.http.close();
  }

  async send(
    action: string,
    url: string,
    init: TransportRequestInit,
    retries?: number,
  ): Promise<HttpResponse> {
    const allowed = retries ?? this.options.retries;
    for (let attempt = 0; ; attempt++) {
      let response: HttpResponse;
      try {
        response = await this.http.send(url, init, this.options.timeoutMs);
      } catch (error) {
        if (attempt < allowed && isTransientNetworkError(error)) {
          await sleep(backoff(attempt));
          continue;
        }
        throw networkFailure(action, url, error, this.options.timeoutMs);
      }
      if (attempt < allowed && RETRY_STATUSES.has(response.status)) {
        const wait = retryAfterMs(response.headers.get("retry-after")) ?? backoff(attempt);
        if (wait <= MAX_RETRY_AFTER_MS) {
          await response.discard();
          await sleep(wait);
          continue;
        }
      }
      return withFailuresNamed(response, action, url, this.options.timeoutMs);
    }
  }
}

/** The response with a body whose network failures (a timeout mid-body, a reset) become CipErrors too. */
function withFailuresNamed(
  response: HttpResponse,
  action: string,
  url: string,
  timeoutMs: number,
): HttpResponse {
  const chunks = response.body;
  async function* body(): AsyncGenerator<Buffer> {
    try {
      yield* chunks;
    } catch (error) {
      throw networkFailure(action, url, error, timeoutMs);
    }
  }
  return { ...response, body: body() };
}

/** Milliseconds a Retry-After value (delta-seconds or HTTP date) asks to wait; undefined when absent or bad. */
export function retryAfterMs(value: string | null, now: number = Date.now()): number | undefined {
  if (value === null || value.trim() === "") return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** The wait before retry `attempt` (0-based): exponential from 250 ms, with jitter. */
export function backoff(attempt: number): number {
  return BASE_BACKOFF_MS * 2 ** attempt + Math.floor(Math.random() * BASE_BACKOFF_MS);
}
