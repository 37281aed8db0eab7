import {
  createServer as createHttp,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import { createServer as createHttps } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { CipError } from "../model/index.js";
import { BearerAuth, type NamedToken, unauthorized } from "./auth.js";
import { type ServerLogger, silentLogger } from "./logger.js";
import { createMetrics, type RouteMetrics, type ServerMetrics } from "./metrics.js";
import { Reply } from "./reply.js";
import { ADMISSION_BODY_BYTES, ParsedRequest } from "./request.js";
import { type Route, Router } from "./router.js";
import { readTlsPair, type TlsFiles, TlsReloader } from "./tls-reload.js";

/** How to make the server. Only `port` and `host` are needed for a loopback development server. */
export interface HttpServerOptions {
  /** Address to listen on; default 127.0.0.1. */
  host?: string;
  /** Port; 0 lets the OS pick (tests). */
  port: number;
  /** Serve HTTPS with this pair, reloaded when the files change. */
  tls?: TlsFiles;
  /** Allow plain HTTP on a non-loopback address (behind a TLS-terminating proxy or mesh). */
  allowInsecureHttp?: boolean;
  /** Bearer tokens; routes require one unless they say `auth: false`. */
  tokens?: readonly NamedToken[];
  logger?: ServerLogger;
  /** The metrics registry; default a new one (with process metrics). */
  metrics?: ServerMetrics;
  /** Deadline of routes that set none, ms; default 10 000. */
  defaultDeadlineMs?: number;
  /** Body limit of routes that set none, bytes; default 4 MiB. */
  defaultBodyLimitBytes?: number;
  /** Time a client has to send all headers, ms; default 10 000 (slow-loris guard). */
  headersTimeoutMs?: number;
  /** Time a client has to send a whole request, ms; default 120 000 (64 MiB report pushes on slow links). */
  requestTimeoutMs?: number;
  /** Idle keep-alive connections close after this, ms; default 5 000. */
  keepAliveTimeoutMs?: number;
}

/** A server made by {@link createHttpServer}. */
export interface HttpServer {
  /** Register routes here before or after listening. */
  readonly router: Router;
  readonly metrics: ServerMetrics;
  /** The Node server, for what this API does not cover. */
  readonly server: Server;
  /** Starts listening; the URL uses the actual port (useful with port 0). */
  listen(): Promise<{ url: string; port: number }>;
  /**
   * Stops accepting connections, lets requests in flight finish for up to `graceMs`, then destroys the
   * sockets left. Resolves when the server is closed.
   */
  close(graceMs?: number): Promise<void>;
}

const UNMATCHED = "unmatched";

/** Per route state bound once at registration, so a request only reads fields. */
interface RouteState {
  metrics: RouteMetrics;
  deadlineMs: number;
  bodyLimitBytes: number;
  auth: boolean;
}

/**
 * Makes the HTTP(S) server that every `cipolice serve` route plugs into: routing, body limits, per-route
 * deadlines with fallbacks, bearer auth, error mapping, metrics, TLS with certificate reload and graceful
 * shutdown. Plain HTTP on a non-loopback address is refused (CIP_USAGE) unless `allowInsecureHttp`.
 */
export function createHttpServer(options: HttpServerOptions): HttpServer {
  const host = options.host ?? "127.0.0.1";
  if (!options.tls && !options.allowInsecureHttp && !isLoopback(host)) {
    throw new CipError(
      "CIP_USAGE",
      `Cannot serve plain HTTP on ${host}: only loopback addresses may serve without TLS (listen)`,
      {
        hint: "Give tls.cert and tls.key, or set allowInsecureHttp: true when a proxy or mesh terminates TLS in front of the server.",
      },
    );
  }
  const logger = options.logger ?? silentLogger();
  const metrics = options.metrics ?? createMetrics();
  const router = new Router();
  const core = new ServerCore(router, options, logger, metrics);

  const headersTimeout = options.headersTimeoutMs ?? 10_000;
  // Expired header and request timeouts are enforced by this sweep, not by a timer per socket.
  const serverOptions = { connectionsCheckingInterval: Math.min(1000, Math.max(50, headersTimeout / 4)) };
  let server: Server;
  let reloader: TlsReloader | undefined;
  if (options.tls) {
    const tlsFiles = options.tls;
    const pair = readTlsPair(tlsFiles);
    // A TLS handshake gets no longer than the headers do, so it cannot hold a socket either.
    const https = createHttps(
      { ...pair, ...serverOptions, handshakeTimeout: headersTimeout },
      core.onRequest,
    );
    server = https;
    reloader = new TlsReloader(tlsFiles, (next) => https.setSecureContext({ ...next }), logger);
  } else {
    server = createHttp(serverOptions, core.onRequest);
  }
  server.headersTimeout = headersTimeout;
  server.requestTimeout = options.requestTimeoutMs ?? 120_000;
  server.keepAliveTimeout = options.keepAliveTimeoutMs ?? 5_000;
  // No per-socket inactivity timer (it costs a timer refresh per request): the sweep above closes
  // connections that send no complete headers within headersTimeout, including ones that send nothing.
  server.timeout = 0;
  server.on("clientError", (error: NodeJS.ErrnoException, socket: Socket) => {
    if (!socket.writable || socket.destroyed) {
      socket.destroy();
      return;
    }
    const status =
      error.code === "HPE_HEADER_OVERFLOW"
        ? "431 Request Header Fields Too Large"
        : error.code === "ERR_HTTP_REQUEST_TIMEOUT"
          ? "408 Request Timeout"
          : "400 Bad Request";
    socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
  });

  return {
    router,
    metrics,
    server,
    listen() {
      return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(options.port, host, () => {
          server.off("error", reject);
          const { port } = server.address() as AddressInfo;
          const scheme = options.tls ? "https" : "http";
          const url = `${scheme}://${host.includes(":") ? `[${host}]` : host}:${port}`;
          logger.info({ url }, "listening");
          resolve({ url, port });
        });
      });
    },
    close(graceMs = 10_000) {
      reloader?.close();
      return new Promise<void>((resolve) => {
        if (!server.listening) {
          resolve();
          return;
        }
        core.closing = true;
        server.close(() => {
          clearInterval(idle);
          clearTimeout(force);
          resolve();
        });
        // Keep-alive connections between requests are closed at once and again as requests finish.
        server.closeIdleConnections();
        const idle = setInterval(() => server.closeIdleConnections(), 50);
        const force = setTimeout(() => {
          logger.warn({ graceMs }, "grace period over; closing connections with requests in flight");
          server.closeAllConnections();
        }, graceMs);
      });
    },
  };
}

/** The request path, holding only what every request needs. */
class ServerCore {
  closing = false;
  private readonly auth: BearerAuth;
  private readonly unmatchedMetrics: RouteMetrics;
  private readonly defaultDeadlineMs: number;
  private readonly defaultBodyLimit: number;

  constructor(
    private readonly router: Router,
    options: HttpServerOptions,
    private readonly logger: ServerLogger,
    private readonly metrics: ServerMetrics,
  ) {
    this.auth = new BearerAuth(options.tokens ?? []);
    this.unmatchedMetrics = metrics.forRoute(UNMATCHED, "any");
    this.defaultDeadlineMs = options.defaultDeadlineMs ?? 10_000;
    this.defaultBodyLimit = options.defaultBodyLimitBytes ?? ADMISSION_BODY_BYTES;
    router.onAdd((route) => this.bind(route));
  }

  private bind(route: Route): void {
    const state: RouteState = {
      metrics: this.metrics.forRoute(route.name, route.method),
      deadlineMs: route.options.deadlineMs ?? this.defaultDeadlineMs,
      bodyLimitBytes: route.options.bodyLimitBytes ?? this.defaultBodyLimit,
      auth: route.options.auth ?? true,
    };
    route.state = state;
  }

  readonly onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const startedAt = performance.now();
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const path = q < 0 ? url : url.slice(0, q);
    const method = req.method ?? "GET";
    if (this.closing) res.setHeader("connection", "close");
    const match = this.router.match(method, path);
    if (match === undefined || match.route === undefined) {
      const request = new ParsedRequest(req, method, path, {}, "", 0, this.logger);
      const reply = new Reply(res, request, this.unmatchedMetrics, startedAt, this.logger);
      if (match === undefined) {
        reply.json(404, {
          error: {
            code: "CIP_USAGE",
            message: `Cannot find ${path}: no such endpoint`,
            hint: "Check the URL.",
          },
        });
      } else {
        reply.header("allow", match.allow.join(", "));
        reply.json(405, {
          error: {
            code: "CIP_USAGE",
            message: `Cannot ${method} ${path}: the endpoint does not take this method`,
            hint: `Use ${match.allow.join(", ")}.`,
          },
        });
      }
      return;
    }
    const route = match.route;
    const state = route.state as RouteState;
    const request = new ParsedRequest(
      req,
      method,
      path,
      match.params,
      q < 0 ? "" : url.slice(q + 1),
      state.bodyLimitBytes,
      this.logger,
    );
    const reply = new Reply(res, request, state.metrics, startedAt, this.logger);
    if (state.auth) {
      const header = req.headers.authorization;
      const name = this.auth.check(header);
      if (name === undefined) {
        reply.error(unauthorized(header !== undefined, this.auth.enabled));
        return;
      }
      request.tokenName = name;
    }
    // Unref'd: an open socket keeps the process alive anyway, and a closed server must not wait on it.
    reply.timer = setTimeout(deadlinePassed, state.deadlineMs, reply, route).unref();
    const answerFromBody = route.options.answerFromBody;
    if (answerFromBody === undefined) {
      runHandler(route, request, reply);
      return;
    }
    request.readBody((error, body) => {
      if (error !== undefined) {
        reply.error(error);
        return;
      }
      try {
        if (answerFromBody(request, reply, body as Buffer)) return;
      } catch (failure) {
        reply.error(failure);
        return;
      }
      runHandler(route, request, reply);
    });
  };
}

async function runHandler(route: Route, request: ParsedRequest, reply: Reply): Promise<void> {
  try {
    await route.handler(request, reply);
    if (!reply.answered && !reply.sealed && !reply.raw.headersSent) {
      throw new Error(`handler of ${route.method} ${route.pattern} returned without answering`);
    }
  } catch (error) {
    reply.error(error);
  }
}

function deadlinePassed(reply: Reply, route: Route): void {
  if (reply.answered || reply.raw.headersSent) return;
  reply.sealed = true;
  reply.timer = undefined;
  const request = reply.request;
  const fallback = reply.fallback();
  if (route.options.onDeadline) {
    try {
      route.options.onDeadline(request, fallback);
    } catch (error) {
      request.log.error({ err: (error as Error).message }, "deadline fallback failed");
    }
  }
  if (fallback.answered) return;
  const deadlineMs = (route.state as RouteState).deadlineMs;
  request.log.warn({ route: route.name, deadlineMs }, "no answer before the deadline");
  // 503 rather than 504: the server itself is the one that is too slow, and clients retry a 503.
  fallback.header("retry-after", "1");
  fallback.json(503, {
    error: {
      code: "CIP_DEADLINE",
      message: `Cannot answer ${route.method} ${route.pattern}: no answer within the ${deadlineMs} ms deadline`,
      hint: "Retry later; the server or a dependency (store, registry) is slow.",
    },
  });
}

/** True for addresses only this machine reaches: 127.0.0.0/8, ::1, localhost. */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, "");
  return h === "localhost" || h === "::1" || h.startsWith("127.") || h === "::ffff:127.0.0.1";
}
