import type { ServerResponse } from "node:http";
import { isCipError } from "../model/index.js";
import { errorResponse } from "./http-errors.js";
import type { ServerLogger } from "./logger.js";
import type { RouteMetrics } from "./metrics.js";
import type { ParsedRequest } from "./request.js";

const JSON_TYPE = "application/json";

/**
 * The answer side of a request. Only the first answer is sent; once the deadline passed, the handler's
 * reply is sealed and its late answers are dropped (each send returns false then).
 */
export class Reply {
  /** True once this reply sent an answer. */
  answered = false;
  /** True once the deadline passed and another reply answered instead. */
  sealed = false;
  /** Deadline timer, cleared by the first answer. */
  timer: NodeJS.Timeout | undefined = undefined;

  constructor(
    /** The Node response; write to it only through `stream()`, so the deadline knows of the answer. */
    readonly raw: ServerResponse,
    readonly request: ParsedRequest,
    private readonly metrics: RouteMetrics | undefined,
    private readonly startedAt: number,
    private readonly logger: ServerLogger,
  ) {}

  /** A reply on the same response for the deadline fallback, once this one is sealed. */
  fallback(): Reply {
    return new Reply(this.raw, this.request, this.metrics, this.startedAt, this.logger);
  }

  /** Sets a response header for the answer to come. */
  header(name: string, value: string | number | readonly string[]): this {
    if (!this.answered && !this.sealed) this.raw.setHeader(name, value);
    return this;
  }

  /** Sends a complete answer; false when the request was already answered (by the deadline fallback). */
  send(status: number, body: string | Buffer, contentType = "text/plain; charset=utf-8"): boolean {
    if (this.answered || this.sealed || this.raw.headersSent) return false;
    this.answered = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    const res = this.raw;
    // A body not read to its end (refused, or answered before it arrived) would otherwise be read and
    // discarded to keep the connection: closing is cheaper and stops an oversized upload at once.
    if (!this.request.raw.complete && hasBody(this.request)) res.setHeader("connection", "close");
    // Encoded once: Buffer.byteLength and end() would each encode a string
    const bytes = typeof body === "string" ? Buffer.from(body) : body;
    res.writeHead(status, { "content-type": contentType, "content-length": bytes.length });
    res.end(bytes);
    this.metrics?.observe(status, (performance.now() - this.startedAt) / 1000);
    return true;
  }

  /**
   * Starts a streamed answer (server-sent events, large downloads): sends the status and headers and
   * returns the Node response to write to and end; undefined when the request was already answered. The
   * deadline no longer applies once streaming began; the duration is recorded at this point.
   */
  stream(status: number, headers: Record<string, string | number>): ServerResponse | undefined {
    if (this.answered || this.sealed || this.raw.headersSent) return undefined;
    this.answered = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.raw.writeHead(status, headers);
    this.metrics?.observe(status, (performance.now() - this.startedAt) / 1000);
    return this.raw;
  }

  /** Sends a value as JSON. */
  json(status: number, value: unknown): boolean {
    return this.send(status, JSON.stringify(value), JSON_TYPE);
  }

  /**
   * Answers with the status and JSON error body of any thrown value (see errorResponse). Internal errors
   * are logged with their message; stack traces only at debug.
   */
  error(error: unknown): boolean {
    if (this.answered || this.sealed) return false;
    const { status, body } = errorResponse(error);
    if (status >= 500) {
      const log = this.request.log;
      const message = error instanceof Error ? error.message : String(error);
      log.error({ status, code: isCipError(error) ? error.code : "CIP_INTERNAL" }, message);
      if (error instanceof Error) log.debug({ stack: error.stack }, "stack of the failed request");
    } else if (this.logger.isLevelEnabled("debug")) {
      this.request.log.debug({ status, code: body.error.code }, body.error.message);
    }
    if (status === 401) this.raw.setHeader("www-authenticate", 'Bearer realm="cipolice"');
    return this.json(status, body);
  }
}

function hasBody(request: ParsedRequest): boolean {
  const headers = request.raw.headers;
  const length = headers["content-length"];
  return (length !== undefined && length !== "0") || headers["transfer-encoding"] !== undefined;
}
