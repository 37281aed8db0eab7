import {
  Agent as HttpAgent,
  request as httpRequest,
  type IncomingMessage,
  type RequestOptions,
} from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import type { Socket } from "node:net";
import { CipError } from "../../model/index.js";
import type { EngineEndpoint } from "./engine-endpoint.js";
import { connectionError, engineError, timeoutError } from "./engine-errors.js";

/** PEM text of the TLS material of a `tcp://` endpoint with DOCKER_TLS_VERIFY. */
export interface EngineTlsMaterial {
  ca: string;
  cert: string;
  key: string;
}

/** One answer of the engine, its body read in full within the limit. */
export interface EngineAnswer {
  status: number;
  body: Buffer;
  headers: IncomingMessage["headers"];
}

/** Limits of one request, and how messages name it ("list containers"). */
export interface EngineRequestLimits {
  what: string;
  timeoutMs: number;
  maxBytes: number;
}

/**
 * HTTP to the engine over its unix socket or TCP (TLS), with a keep-alive pool of at most `maxSockets`
 * connections. Every request is bounded in time and in body size; failures are CipErrors naming the endpoint.
 */
export class EngineTransport {
  private readonly agent: HttpAgent;

  constructor(
    readonly endpoint: EngineEndpoint,
    private readonly tls: EngineTlsMaterial | undefined,
    maxSockets: number,
  ) {
    this.agent = this.newAgent(true, maxSockets);
  }

  /** Sends one request and reads its whole body (refused past `maxBytes`, abandoned past `timeoutMs`). */
  request(method: string, path: string, limits: EngineRequestLimits): Promise<EngineAnswer> {
    return new Promise((resolve, reject) => {
      let settled = false;
      const fail = (error: CipError) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        request.destroy();
        reject(error);
      };
      const timer = setTimeout(
        () => fail(timeoutError(limits.what, limits.timeoutMs, this.endpoint)),
        limits.timeoutMs,
      );
      timer.unref();
      const request = this.send(method, path, this.agent, (message) => {
        const declared = Number(message.headers["content-length"] ?? "0");
        if (declared > limits.maxBytes) return fail(this.tooLarge(limits, `it declares ${declared} bytes`));
        const chunks: Buffer[] = [];
        let total = 0;
        message.on("data", (chunk: Buffer) => {
          total += chunk.byteLength;
          if (total > limits.maxBytes)
            return fail(this.tooLarge(limits, `it sent more than ${limits.maxBytes} bytes`));
          chunks.push(chunk);
        });
        message.on("error", (error) => fail(connectionError(error, limits.what, this.endpoint)));
        message.on("aborted", () =>
          fail(engineError(limits.what, "the answer was cut off", this.endpoint, "Try again.")),
        );
        message.on("end", () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve({
            status: message.statusCode ?? 0,
            body: Buffer.concat(chunks, total),
            headers: message.headers,
          });
        });
      });
      request.on("error", (error) => fail(connectionError(error, limits.what, this.endpoint)));
      request.end();
    });
  }

  /**
   * Opens a long answer (the event stream) on a connection of its own: `connectTimeoutMs` bounds only the
   * connection, since an engine may hold the headers back until its first event (podman does). Resolves with
   * the answer once headers arrive, or with undefined when `signal` aborts first.
   */
  stream(
    path: string,
    what: string,
    signal: AbortSignal,
    connectTimeoutMs: number,
  ): Promise<IncomingMessage | undefined> {
    return new Promise((resolve, reject) => {
      let settled = false;
      const finish = (error: CipError | undefined, message?: IncomingMessage) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
        if (error !== undefined) {
          request.destroy();
          reject(error);
        } else resolve(message);
      };
      const onAbort = () => {
        request.destroy();
        finish(undefined, undefined);
      };
      const timer = setTimeout(
        () => finish(timeoutError(what, connectTimeoutMs, this.endpoint)),
        connectTimeoutMs,
      );
      timer.unref();
      const request = this.send("GET", path, this.newAgent(false, 1), (message) =>
        finish(undefined, message),
      );
      request.on("socket", (socket: Socket) => {
        // A TLS socket is ready at secureConnect; a plain one at connect
        const ready = () => clearTimeout(timer);
        if (!socket.connecting) ready();
        else socket.once(this.tls ? "secureConnect" : "connect", ready);
      });
      request.on("error", (error) => finish(connectionError(error, what, this.endpoint)));
      if (signal.aborted) onAbort();
      else signal.addEventListener("abort", onAbort, { once: true });
      request.end();
    });
  }

  /** Frees pooled connections (they are unreferenced, so only needed to free them early). */
  close(): void {
    this.agent.destroy();
  }

  private send(method: string, path: string, agent: HttpAgent, onResponse: (m: IncomingMessage) => void) {
    const options: RequestOptions = { method, path, agent, headers: { accept: "application/json" } };
    if (this.endpoint.kind === "unix") {
      options.socketPath = this.endpoint.socketPath;
      // Docker wants some Host header; the socket path is no host name
      options.headers = { ...options.headers, host: "docker" };
      return httpRequest(options, onResponse);
    }
    options.host = this.endpoint.host;
    options.port = this.endpoint.port;
    return (this.tls ? httpsRequest : httpRequest)(options, onResponse);
  }

  private newAgent(keepAlive: boolean, maxSockets: number): HttpAgent {
    if (this.endpoint.kind === "tcp" && this.tls) {
      return new HttpsAgent({
        keepAlive,
        maxSockets,
        ca: this.tls.ca,
        cert: this.tls.cert,
        key: this.tls.key,
      });
    }
    return new HttpAgent({ keepAlive, maxSockets });
  }

  private tooLarge(limits: EngineRequestLimits, detail: string): CipError {
    return new CipError(
      "CIP_INPUT_TOO_LARGE",
      `Cannot ${limits.what}: the engine's answer is too large: ${detail}, over the limit of ${limits.maxBytes} (${this.endpoint.display})`,
      {
        hint: "Raise the engine answer limit if this engine really holds that much (many containers or labels).",
      },
    );
  }
}
