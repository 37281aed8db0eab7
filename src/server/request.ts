import type { IncomingHttpHeaders, IncomingMessage } from "node:http";
import { findLimitViolation, MAX_NESTING_DEPTH } from "../ingest/document-limits.js";
import { jsonErrorOffset } from "../ingest/json-error-offset.js";
import { formatBytes } from "../io/format-bytes.js";
import { CipError } from "../model/index.js";
import { requestLogger, type ServerLogger } from "./logger.js";

/** Default body limit of an admission request (an AdmissionReview with its pod spec). */
export const ADMISSION_BODY_BYTES = 4 * 1024 * 1024;
/** Default body limit of a report push (scanner reports and SBOMs of large images). */
export const REPORT_BODY_BYTES = 64 * 1024 * 1024;

/** A request as handlers see it: method, path, parameters, query, headers, and a bounded body reader. */
export class ParsedRequest {
  /** The bearer token's configured name, when the route requires a token. */
  tokenName: string | undefined = undefined;
  /**
   * What the route's deadline fallback needs, kept by its handler once the body is read. A field, not a
   * WeakMap entry per request: those cost more to add and to collect than the rest of a cached answer.
   */
  fallbackState: unknown = undefined;
  private bodyRead: Promise<Buffer> | undefined = undefined;
  private bodyReadEarly: { error: unknown; body: Buffer | undefined } | undefined = undefined;
  private queryParsed: URLSearchParams | undefined = undefined;
  private logger: ServerLogger | undefined = undefined;

  constructor(
    /** The Node request, for what this class does not cover (streaming a body, the socket). */
    readonly raw: IncomingMessage,
    /** Upper case: `GET`, `POST`. */
    readonly method: string,
    /** The path without the query string, as sent (not decoded). */
    readonly path: string,
    /** Path parameters of the route pattern, percent-decoded: `{digest}` → `params.digest`. */
    readonly params: Readonly<Record<string, string>>,
    private readonly rawQuery: string,
    /** Largest body `body()` and `json()` read, from the route. */
    readonly bodyLimitBytes: number,
    private readonly baseLogger: ServerLogger,
  ) {}

  /** Request headers, names in lower case. */
  get headers(): IncomingHttpHeaders {
    return this.raw.headers;
  }

  /** The query string's parameters; parsed on first use. */
  get query(): URLSearchParams {
    this.queryParsed ??= new URLSearchParams(this.rawQuery);
    return this.queryParsed;
  }

  /** A logger bound to this request's id (`X-Request-Id` when the client sent one); made on first use. */
  get log(): ServerLogger {
    if (this.logger === undefined) {
      const id = this.raw.headers["x-request-id"];
      this.logger = requestLogger(this.baseLogger, typeof id === "string" ? id.slice(0, 128) : undefined);
    }
    return this.logger;
  }

  /**
   * Reads the whole body, at most the route's limit: a Content-Length over it is refused before reading,
   * a chunked body as soon as the bytes streamed pass it (CIP_INPUT_TOO_LARGE, answered 413). Reading twice
   * gives the same buffer.
   */
  body(): Promise<Buffer> {
    if (this.bodyRead === undefined && this.bodyReadEarly !== undefined) {
      const { error, body } = this.bodyReadEarly;
      this.bodyRead = error === undefined ? Promise.resolve(body as Buffer) : Promise.reject(error);
    }
    this.bodyRead ??= new Promise((resolve, reject) =>
      readBody(this.raw, this.bodyLimitBytes, (error, body) =>
        error === undefined ? resolve(body as Buffer) : reject(error),
      ),
    );
    return this.bodyRead;
  }

  /**
   * Reads the body as {@link body} does, but calls back instead of resolving a promise (the server's
   * synchronous fast path). Call it once, before anything else reads the body; `body()` gives the same
   * buffer (or error) afterwards.
   */
  readBody(done: (error: unknown, body: Buffer | undefined) => void): void {
    readBody(this.raw, this.bodyLimitBytes, (error, body) => {
      // No promise unless body() is asked for later: the fast path that answers here needs none
      this.bodyReadEarly = { error, body };
      done(error, body);
    });
  }

  /**
   * Reads the body and parses it as JSON. Bad JSON is CIP_REQUEST_INVALID (answered 400) saying where:
   * `Cannot read the request body: not valid JSON (line 1, column 7)`; so are an empty body, nesting
   * deeper than the document limit and numbers too large to represent. `walk: false` leaves out that walk for
   * handlers that read only fixed paths of the document and never recurse into it (JSON.parse itself does
   * not recurse on the stack, and the body limit bounds it).
   */
  async json(options: { walk?: boolean } = {}): Promise<unknown> {
    const buffer = await this.body();
    const text = buffer.toString("utf8");
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      // Told apart only on failure, so a good body is not scanned twice.
      if (text.trim() === "") {
        throw new CipError("CIP_REQUEST_INVALID", "Cannot read the request body: it is empty", {
          hint: "Send a JSON document as the request body.",
        });
      }
      throw new CipError(
        "CIP_REQUEST_INVALID",
        `Cannot read the request body: not valid JSON (${lineColumn(text, jsonErrorOffset(text))})`,
        { hint: "Send a JSON document; check the place named for a missing comma, quote or bracket." },
      );
    }
    if (options.walk === false) return value;
    const violation = findLimitViolation(value);
    if (violation !== undefined) {
      const what =
        violation.kind === "depth"
          ? `it nests deeper than ${MAX_NESTING_DEPTH} levels`
          : "it holds a number too large to represent";
      throw new CipError("CIP_REQUEST_INVALID", `Cannot read the request body: ${what}`, {
        hint: "Send the document your client generates; this one is malformed or hostile.",
      });
    }
    return value;
  }
}

/** Reads a whole body within `limit` bytes, and calls back once: with the body or with the error. */
function readBody(
  req: IncomingMessage,
  limit: number,
  done: (error: unknown, body: Buffer | undefined) => void,
): void {
  const declared = req.headers["content-length"];
  const length = declared === undefined ? -1 : Number(declared);
  if (length > limit) {
    done(tooLarge(limit, `Content-Length is ${length} bytes`), undefined);
    return;
  }
  // Small bodies arrive as one chunk, which is returned as is; larger ones are joined once at the end.
  const chunks: Buffer[] = [];
  let received = 0;
  let settled = false;
  const onData = (chunk: Buffer) => {
    received += chunk.length;
    if (received > limit) {
      settled = true;
      req.off("data", onData);
      // No more reading: the answer goes out with Connection: close, which ends the upload.
      req.pause();
      done(tooLarge(limit, `the body streamed is over ${formatBytes(limit)}`), undefined);
      return;
    }
    chunks.push(chunk);
  };
  req.on("data", onData);
  // Listeners are not removed on success: the request object is dropped with them right after. `on`, not
  // `once`: `settled` keeps to one call, and `once` wraps every listener.
  req.on("end", () => {
    if (settled) return;
    settled = true;
    done(undefined, chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, received));
  });
  req.on("error", () => {
    if (settled) return;
    settled = true;
    done(
      new CipError("CIP_REQUEST_INVALID", "Cannot read the request body: the client closed the connection", {
        hint: "Resend the request.",
      }),
      undefined,
    );
  });
}

function tooLarge(limit: number, what: string): CipError {
  return new CipError(
    "CIP_INPUT_TOO_LARGE",
    `Cannot read the request body: ${what}, over the ${formatBytes(limit)} limit of this endpoint`,
    { hint: "Send a smaller body, or raise the endpoint's limit in the server configuration (limits)." },
  );
}

function lineColumn(text: string, offset: number): string {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return `line ${line}, column ${offset - lineStart + 1}`;
}
