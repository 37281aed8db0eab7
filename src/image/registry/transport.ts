import { rootCertificates } from "node:tls";
import { isTransientNetworkError, networkFailure, registryError } from "./registry-errors.js";

/** The fetch function requests go through (global fetch, or undici's when extra CAs are needed). */
export type FetchFunction = (url: string, init: RequestInit) => Promise<Response>;

/** How requests are sent: timeout per request, retries on 429/5xx and connection resets. */
export interface TransportOptions {
  timeoutMs: number;
  retries: number;
  /** Extra CA certificates (PEM); honoured only through the `undici` package. */
  caCertificates?: string[];
}

const RETRY_STATUSES = new Set([429, 500, 502, 503, 504]);
/** Longest wait a Retry-After header may ask for before the client gives up instead. */
const MAX_RETRY_AFTER_MS = 60_000;
const BASE_BACKOFF_MS = 250;

/**
 * Sends HTTP requests with a per-request timeout (AbortSignal.timeout), retrying 429/5xx answers and reset
 * connections with exponential backoff that honours Retry-After. Redirects are never followed here:
 * callers see the 3xx and decide.
 */
export class Transport {
  private fetcher: Promise<{ fetch: FetchFunction; dispatcher?: unknown }> | undefined;

  constructor(private readonly options: TransportOptions) {}

  /** Sends one request (with retries); throws a CipError when no HTTP answer came. */
  async send(action: string, url: string, init: RequestInit): Promise<Response> {
    const { fetch: doFetch, dispatcher } = await this.getFetch();
    for (let attempt = 0; ; attempt++) {
      let response: Response;
      try {
        const requestInit: Record<string, unknown> = {
          ...init,
          redirect: "manual",
          signal: AbortSignal.timeout(this.options.timeoutMs),
        };
        // undici's fetch takes its Agent as `dispatcher`, a field RequestInit does not declare
        if (dispatcher !== undefined) requestInit.dispatcher = dispatcher;
        response = await doFetch(url, requestInit as RequestInit);
      } catch (error) {
        if (attempt < this.options.retries && isTransientNetworkError(error)) {
          await sleep(backoff(attempt));
          continue;
        }
        throw networkFailure(action, url, error, this.options.timeoutMs);
      }
      if (attempt < this.options.retries && RETRY_STATUSES.has(response.status)) {
        const wait = retryAfterMs(response.headers.get("retry-after")) ?? backoff(attempt);
        if (wait <= MAX_RETRY_AFTER_MS) {
          await response.body?.cancel().catch(() => undefined);
          await sleep(wait);
          continue;
        }
      }
      return response;
    }
  }

  private getFetch(): Promise<{ fetch: FetchFunction; dispatcher?: unknown }> {
    this.fetcher ??= loadFetch(this.options.caCertificates ?? []);
    return this.fetcher;
  }
}

/**
 * Global fetch cannot take a CA, so extra CAs need undici's own fetch and Agent; when the `undici`
 * package is not installed, extra CAs are refused with the NODE_EXTRA_CA_CERTS alternative.
 */
async function loadFetch(caCertificates: string[]): Promise<{ fetch: FetchFunction; dispatcher?: unknown }> {
  if (caCertificates.length === 0) return { fetch: globalThis.fetch as FetchFunction };
  const moduleName = "undici";
  let undici: { fetch: FetchFunction; Agent: new (options: unknown) => unknown };
  try {
    undici = (await import(moduleName)) as typeof undici;
  } catch (error) {
    throw registryError(
      "Cannot trust the extra CA certificates: this Node.js fetch cannot take them and the undici package is not installed (registry client)",
      "Start the process with NODE_EXTRA_CA_CERTS=<PEM file> instead (what --ca-file maps to), or install undici.",
      error,
    );
  }
  const dispatcher = new undici.Agent({ connect: { ca: [...rootCertificates, ...caCertificates] } });
  return { fetch: undici.fetch, dispatcher };
}

/** Milliseconds a Retry-After value (delta-seconds or HTTP date) asks to wait; undefined when absent or bad. */
export function retryAfterMs(value: string | null, now: number = Date.now()): number | undefined {
  if (value === null || value.trim() === "") return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function backoff(attempt: number): number {
  return BASE_BACKOFF_MS * 2 ** attempt + Math.floor(Math.random() * BASE_BACKOFF_MS);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
