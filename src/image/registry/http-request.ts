import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { rootCertificates } from "node:tls";

/** An HTTP answer: status, headers, and a body read once (or discarded). */
export interface HttpResponse {
  readonly status: number;
  readonly statusText: string;
  /** True for 2xx. */
  readonly ok: boolean;
  readonly headers: { get(name: string): string | null };
  /** The body's chunks; iterate at most once. */
  readonly body: AsyncIterable<Buffer>;
  /** Drops a body that will not be read, freeing the connection. */
  discard(): Promise<void>;
}

/** What one request sends. Redirects are never followed: the caller sees the 3xx. */
export interface HttpRequestInit {
  method: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

/** Connection settings shared by the requests of one client. */
export interface HttpConnectionOptions {
  /** PEM text of CA certificates trusted besides Node's bundled roots. */
  caCertificates?: string[];
}

/**
 * Sends HTTP(S) requests over node:http with keep-alive connections. Not global fetch: in a fresh process
 * fetch's first request costs ~130 ms of loading (measured here), and fetch cannot take extra CAs.
 */
export class HttpClient {
  private readonly httpAgent = new HttpAgent({ keepAlive: true });
  private readonly httpsAgent: HttpsAgent;

  constructor(options: HttpConnectionOptions = {}) {
    const extra = options.caCertificates ?? [];
    // `ca` replaces the default trust store, so the bundled roots are listed with the extra CAs
    this.httpsAgent = new HttpsAgent(
      extra.length === 0 ? { keepAlive: true } : { keepAlive: true, ca: [...rootCertificates, ...extra] },
    );
  }

  /**
   * Sends one request; resolves when the headers arrive. `timeoutMs` bounds the whole exchange, body
   * included: past it, the request or the body rejects with a TimeoutError.
   */
  send(url: string, init: HttpRequestInit, timeoutMs: number): Promise<HttpResponse> {
    return new Promise((resolve, reject) => {
      const target = new URL(url);
      const secure = target.protocol === "https:";
      if (!secure && target.protocol !== "http:") {
        reject(new Error(`unsupported URL scheme ${target.protocol}`));
        return;
      }
      // Not AbortSignal.timeout: its timer stays referenced while http listens to it, holding the process
      const controller = new AbortController();
      const timer = setTimeout(
        () => controller.abort(new DOMException(`no answer within ${timeoutMs} ms`, "TimeoutError")),
        timeoutMs,
      );
      // The socket keeps the process alive while the exchange lasts; an answer nobody reads to its end must not
      timer.unref();
      const { signal } = controller;
      const headers: Record<string, string> = { ...init.headers };
      if (init.body !== undefined) headers["content-length"] = String(Buffer.byteLength(init.body));
      const options = {
        method: init.method,
        headers,
        signal,
        agent: secure ? this.httpsAgent : this.httpAgent,
      };
      const request = (secure ? httpsRequest : httpRequest)(target, options, (message) => {
        const done = () => clearTimeout(timer);
        message.once("end", done).once("close", done).once("error", done);
        resolve(toResponse(message, signal));
      });
      request.on("error", (error) => {
        clearTimeout(timer);
        reject(signal.aborted ? signal.reason : error);
      });
      request.end(init.body);
    });
  }

  /** Closes idle connections (they are unreferenced, so this is only needed to free them early). */
  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}

function toResponse(message: IncomingMessage, signal: AbortSignal): HttpResponse {
  const status = message.statusCode ?? 0;
  return {
    status,
    statusText: message.statusMessage ?? "",
    ok: status >= 200 && status < 300,
    headers: { get: (name) => headerValue(message.headers[name.toLowerCase()]) },
    body: bodyChunks(message, signal),
    discard: () =>
      new Promise<void>((resolve) => {
        // Data already received still has to be read out, or the connection never returns to the pool
        if (message.readableEnded || message.destroyed) return resolve();
        message
          .once("end", resolve)
          .once("error", () => resolve())
          .once("close", resolve);
        message.resume();
      }),
  };
}

async function* bodyChunks(message: IncomingMessage, signal: AbortSignal): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of message) yield chunk as Buffer;
  } catch (error) {
    throw signal.aborted ? signal.reason : error;
  }
}

function headerValue(value: string | string[] | undefined): string | null {
  if (value === undefined) return null;
  // Repeated headers read as one comma-joined value, as the Fetch standard's Headers.get does
  return Array.isArray(value) ? value.join(", ") : value;
}
