import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { request as httpsRequest } from "node:https";

/** An answer as tests read it. */
export interface TestAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
  /** Milliseconds from sending to the end of the answer. */
  ms: number;
}

/** What to send. `chunks` sends a chunked body (no Content-Length), one write per chunk. */
export interface TestRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  chunks?: (string | Buffer)[];
  /** For HTTPS: the CA to trust (tests use self-signed certificates). */
  ca?: Buffer;
  /** A new connection each time (TLS reload tests need a fresh handshake). */
  agent?: false;
  /** Fail instead of hanging when no answer comes within this many ms. */
  timeoutMs?: number;
}

/**
 * Sends one real HTTP(S) request with Node's client and reads the whole answer. For tests of the server
 * (in-process, on loopback); it is not used by the server itself.
 */
export function send(url: string, spec: TestRequest = {}): Promise<TestAnswer> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const make = url.startsWith("https:") ? httpsRequest : httpRequest;
    const req = make(
      url,
      { method: spec.method ?? "GET", headers: spec.headers, ca: spec.ca, agent: spec.agent },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text,
            json,
            ms: performance.now() - started,
          });
        });
      },
    );
    req.on("error", reject);
    if (spec.timeoutMs !== undefined) {
      const limit = spec.timeoutMs;
      req.setTimeout(limit, () =>
        req.destroy(new Error(`no answer to ${spec.method ?? "GET"} ${url} within ${limit} ms`)),
      );
    }
    if (spec.chunks) {
      for (const chunk of spec.chunks) req.write(chunk);
      req.end();
    } else req.end(spec.body);
  });
}
