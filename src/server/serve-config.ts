import { z } from "zod";
import type { RegistryClientOptions } from "../image/registry/registry-client.js";
import { parseDocumentText } from "../ingest/parse-document.js";
import { CipError, describeSchemaIssue, formatIssuePath, type Problem } from "../model/index.js";
import { eventsAuthSchema } from "../rules/notifications/authenticate.js";
import type { NamedToken } from "./auth.js";
import type { HttpServerOptions } from "./http-server.js";
import { LOG_LEVELS, type ServerLogger } from "./logger.js";
import type { ServerMetrics } from "./metrics.js";
import { ADMISSION_BODY_BYTES, REPORT_BODY_BYTES } from "./request.js";

const nonEmpty = z.string().min(1, "must not be empty");
const positiveInt = z.number().int("must be a whole number").positive("must be more than 0");

const listen = z
  .string()
  .regex(
    /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]*|[0-9A-Fa-f:]+::?[0-9A-Fa-f:]*):\d{1,5}$/,
    "must be host:port, [ipv6]:port or :port",
  )
  .default("127.0.0.1:8080")
  .describe(
    "Address and port to listen on: `0.0.0.0:8443`, `[::]:8443`, `:8443` (every address). Plain HTTP is only served on loopback unless allowInsecureHttp.",
  );

const tls = z
  .strictObject({
    cert: nonEmpty.describe("PEM certificate (chain) file; reloaded when it changes."),
    key: nonEmpty.describe("PEM private key file of the certificate; reloaded when it changes."),
    pollSeconds: positiveInt
      .default(10)
      .describe("Also stat both files this often, for file systems whose change events are missed."),
  })
  .describe("Serve HTTPS with this certificate and key.");

const sqliteStore = z
  .strictObject({
    type: z.literal("sqlite"),
    path: nonEmpty.default("cipolice.db").describe("The database file; made when missing."),
  })
  .describe("Embedded SQLite store: one file, for a single server.");

const postgresStore = z
  .strictObject({
    type: z.literal("postgres"),
    url: nonEmpty.optional().describe("Connection URL (`postgres://user:pass@host/db`)."),
    urlEnv: nonEmpty.optional().describe("Environment variable holding the connection URL."),
    urlFile: nonEmpty.optional().describe("File holding the connection URL (a mounted secret)."),
    poolSize: positiveInt.default(10).describe("Connections kept open at most."),
  })
  .superRefine(exactlyOne(["url", "urlEnv", "urlFile"]))
  .describe("PostgreSQL store, shared by several server replicas.");

const store = z
  .discriminatedUnion("type", [sqliteStore, postgresStore])
  .prefault({ type: "sqlite" })
  .describe("Where reports and decisions are kept.");

const token = z
  .strictObject({
    name: nonEmpty.describe("Who holds the token; recorded with what they push."),
    token: nonEmpty.optional().describe("The token itself (prefer tokenFile or tokenEnv)."),
    tokenFile: nonEmpty.optional().describe("File holding the token (a mounted secret)."),
    tokenEnv: nonEmpty.optional().describe("Environment variable holding the token."),
  })
  .superRefine(exactlyOne(["token", "tokenFile", "tokenEnv"]))
  .describe("One API bearer token.");

const auth = z
  .strictObject({
    tokens: z
      .array(token)
      .default([])
      .superRefine((tokens, ctx) => {
        const seen = new Set<string>();
        tokens.forEach((t, i) => {
          if (seen.has(t.name)) {
            ctx.addIssue({ code: "custom", path: [i, "name"], message: `name "${t.name}" is used twice` });
          }
          seen.add(t.name);
        });
      })
      .describe("Bearer tokens the API accepts (`Authorization: Bearer <token>`)."),
  })
  .describe("API authentication.");

const failMode = z
  .enum(["closed", "open", "warn"])
  .describe(
    "What an image that cannot be decided gets: closed denies it; open allows it with a warning; warn (audit) allows everything, failures and unknowns with a warning.",
  );

const admission = z
  .strictObject({
    deadlineMs: z
      .number()
      .int("must be a whole number")
      .min(100, "must be at least 100")
      .max(30_000, "must be at most 30000 (the Kubernetes webhook limit)")
      .default(3000)
      .describe("The webhook answers within this many ms, with the fail mode when no decision is ready."),
    failModes: z
      .array(
        z
          .strictObject({
            namespaces: z
              .array(nonEmpty)
              .min(1, "must name at least one namespace")
              .describe(
                "Namespaces: names, `*` wildcards (`team-*`) or `regexp:` patterns, compared without regard to case.",
              ),
            mode: failMode,
          })
          .describe("The fail mode of some namespaces; the first entry that matches wins."),
      )
      .default([]),
    defaultFailMode: failMode.default("closed"),
    namespaceLabels: z
      .record(nonEmpty, z.record(nonEmpty, z.string()).describe("Label key -> value."))
      .default({})
      .describe(
        "Labels of namespaces by name (`payments: {tier: production}`), as `kubectl get namespaces -o json` shows them, for bundle mappings and allowlist scopes that select on `namespace_labels` (an admission request does not carry them). `kubernetes.io/metadata.name` is always the namespace's name.",
      ),
  })
  .describe("Kubernetes admission.");

const cache = z
  .strictObject({
    ttlSeconds: positiveInt.default(300).describe("How long a decision is reused."),
    negativeTtlSeconds: positiveInt
      .default(30)
      .describe("How long an unknown outcome (no data, registry down) is reused."),
    maxEntries: positiveInt.default(10_000).describe("Decisions kept at most; the least recently used go."),
  })
  .describe("Decision cache, keyed by image digest, bundle digest and facts revision.");

const registry = z
  .strictObject({
    insecureRegistries: z
      .array(nonEmpty)
      .default([])
      .describe("Registries (host[:port]) allowed over plain HTTP; loopback always is."),
    caFiles: z.array(nonEmpty).default([]).describe("PEM CA files trusted for registry TLS."),
    dockerConfig: nonEmpty.optional().describe("Docker config.json with registry credentials."),
    timeoutSeconds: positiveInt.default(30).describe("Give up on a registry request after this long."),
  })
  .describe("Registry access, for digests of tags and image metadata.");

const decisionLog = z
  .strictObject({
    file: nonEmpty.optional().describe("Append JSON lines to this file; reopened on SIGHUP (logrotate)."),
    stdout: z.boolean().optional().describe("Write JSON lines to standard output."),
    url: z
      .string()
      .regex(/^https?:\/\/[^\s/]+/, "must be an http:// or https:// URL")
      .optional()
      .describe("POST batches of JSON lines (application/x-ndjson) to this URL."),
    batchSize: positiveInt.default(100).describe("Decisions per POST at most."),
    flushMs: positiveInt.default(1000).describe("Send a partial batch after this many ms."),
    maxQueue: positiveInt
      .default(10_000)
      .describe("Decisions held while the endpoint is down; the oldest are dropped beyond."),
  })
  .superRefine(exactlyOne(["file", "stdout", "url"]))
  .describe("Where every decision is logged, one JSON line each.");

const log = z
  .strictObject({
    level: z.enum(LOG_LEVELS).default("info").describe("Server log level; --debug makes it debug."),
  })
  .describe("The server's own log (JSON lines on standard output).");

const limits = z
  .strictObject({
    admissionBodyBytes: positiveInt
      .default(ADMISSION_BODY_BYTES)
      .describe("Largest admission request body, bytes (default 4 MiB)."),
    reportBodyBytes: positiveInt
      .default(REPORT_BODY_BYTES)
      .describe("Largest report push body, bytes (default 64 MiB)."),
  })
  .describe("Request body limits.");

const timeouts = z
  .strictObject({
    headersMs: positiveInt.default(10_000).describe("Time a client has to send the request headers."),
    requestMs: positiveInt.default(120_000).describe("Time a client has to send a whole request."),
    keepAliveMs: positiveInt.default(5000).describe("Idle keep-alive connections close after this."),
    shutdownGraceMs: positiveInt.default(10_000).describe("Requests in flight get this long at shutdown."),
  })
  .describe("Connection timeouts, so slow clients cannot hold sockets.");

const secretSource = {
  secret: nonEmpty.optional().describe("The secret itself (prefer secretFile or secretEnv)."),
  secretEnv: nonEmpty.optional().describe("Environment variable holding the secret."),
  secretFile: nonEmpty.optional().describe("File holding the secret (a mounted secret)."),
};

const amqp = z
  .strictObject({
    url: nonEmpty.optional().describe("Broker URL (`amqp://user:pass@host:5672/vhost`, `amqps://…`)."),
    urlEnv: nonEmpty.optional().describe("Environment variable holding the broker URL."),
    urlFile: nonEmpty.optional().describe("File holding the broker URL (a mounted secret)."),
    queue: nonEmpty
      .default("cipolice.events")
      .describe("Durable queue of event messages; `<queue>.dead` holds the dead-lettered ones."),
    consume: z
      .boolean()
      .default(true)
      .describe(
        "This server also runs the rules on the queue's messages (else only `cipolice consume` does).",
      ),
    prefetch: positiveInt.default(16).describe("Messages a consumer holds unacknowledged at most."),
    maxDeliveries: positiveInt
      .default(5)
      .describe("A message whose processing failed this many times goes to the dead-letter queue."),
    decisionsExchange: nonEmpty
      .optional()
      .describe("Publish every decision made to this topic exchange (routing key `decision.<outcome>`)."),
  })
  .superRefine(exactlyOne(["url", "urlEnv", "urlFile"]))
  .describe(
    "RabbitMQ (AMQP 0-9-1): notifications received over HTTP are queued durably before they are answered, and decisions can be published.",
  );

const events = z
  .strictObject({
    rules: z
      .array(nonEmpty)
      .default([])
      .describe(
        "Rules files (CIPolicE's condition/action format), evaluated in this order; reloaded on SIGHUP.",
      ),
    allowUnknownActions: z
      .boolean()
      .default(false)
      .describe("Load rules whose actions name nothing runnable; each such action is recorded as failed."),
    auth: eventsAuthSchema.describe(
      "Credentials notification senders present (POST /events/<sender>); a sender with none gets 401.",
    ),
    evaluate: z
      .boolean()
      .default(true)
      .describe(
        "Decide a message's image with the policy before the rules run (`decision.*` in conditions).",
      ),
    actionTimeoutSeconds: positiveInt.default(30).describe("Each action is stopped after this long."),
    webhooks: z
      .strictObject({
        ...secretSource,
        retries: z.number().int().min(0).max(10).default(3).describe("Tries after the first one."),
        backoffMs: positiveInt.default(500).describe("Wait before the first retry; doubles each time."),
      })
      .prefault({})
      .describe(
        "Web hook actions: the secret signs each body (`X-CIPolicE-Signature: sha256=<HMAC>`), and failed deliveries are retried.",
      ),
    workers: positiveInt.default(4).describe("Messages received over HTTP processed at once."),
    maxQueued: positiveInt
      .default(1000)
      .describe("Messages received over HTTP waiting for a worker; beyond this, senders get 503 and retry."),
    amqp: amqp.optional(),
    clair: z
      .strictObject({
        origins: z
          .array(z.string().regex(/^https?:\/\/[^\s/]+$/, "must be scheme://host[:port], without a path"))
          .default([])
          .describe(
            "Notifier origins whose callbacks are read: each notification's pages become one message per affected manifest, then the notification is marked read. Callbacks elsewhere are never requested.",
          ),
        pageSize: positiveInt.default(100).describe("Notifications asked for per page."),
        maxPages: positiveInt.default(100).describe("Pages read at most per notification."),
      })
      .prefault({})
      .describe("Clair v4 notifications."),
  })
  .describe("Event-driven rules: registry and scanner notifications, CIPolicE messages, AMQP.");

const trustedKey = z
  .strictObject({
    name: nonEmpty.describe("The key's name in decisions and logs."),
    keyFile: nonEmpty.optional().describe("PEM public key file (cosign.pub)."),
    key: nonEmpty.optional().describe("The PEM public key itself."),
  })
  .superRefine(exactlyOne(["keyFile", "key"]))
  .describe("A public key whose signatures are trusted.");

const signing = z
  .strictObject({
    trustedKeys: z
      .array(trustedKey)
      .default([])
      .describe(
        "Keys whose signatures and verification summaries are trusted; `signature` and `attestation` rules name them.",
      ),
    trustSummaries: z
      .boolean()
      .default(true)
      .describe(
        "Admit an image without evaluating it when a verification summary signed by a trusted key says it PASSED the bundle in force (by digest).",
      ),
    summaryMaxAgeDays: positiveInt.default(30).describe("Summaries older than this are not trusted."),
  })
  .describe("Signatures and verification summaries (cosign's formats).");

const ui = z
  .strictObject({
    public: z
      .boolean()
      .optional()
      .describe(
        "Serve the dashboard (/ui) without a token. Unset: without one only when listening on loopback; false: always ask for an API token (a sign-in form sets a session cookie, or a proxy sends Authorization: Bearer).",
      ),
    expiringDays: positiveInt
      .max(3650, "must be at most 3650")
      .default(30)
      .describe("The dashboard lists allowlist items expiring within this many days."),
  })
  .describe("The read-only web dashboard at /ui.");

const reevaluation = z
  .strictObject({
    intervalMinutes: z
      .number()
      .int()
      .min(0)
      .max(10080)
      .default(60)
      .describe(
        "Evaluate every image known to run or to have been admitted again this often (scan data ages, allowlist items expire); 0 turns the periodic pass off. Pushed reports and bundle reloads re-evaluate at once regardless.",
      ),
    maxImages: positiveInt
      .max(100000)
      .default(1000)
      .describe("At most this many images per full pass, newest first."),
  })
  .describe("Continuous re-evaluation of admitted and running images.");

/** The `cipolice serve` configuration file (YAML or JSON), as zod reads it. */
export const serveConfigSchema = z
  .strictObject({
    $schema: z.string().optional().describe("The JSON Schema of this file, for editors."),
    listen,
    tls: tls.optional(),
    allowInsecureHttp: z
      .boolean()
      .default(false)
      .describe("Serve plain HTTP on a non-loopback address (TLS ends at a proxy or mesh in front)."),
    policies: z.array(nonEmpty).default([]).describe("Policy bundle files (JSON or YAML), loaded at start."),
    store,
    auth: auth.prefault({}),
    admission: admission.prefault({}),
    cache: cache.prefault({}),
    tagResolution: z
      .strictObject({
        ttlSeconds: positiveInt.default(60).describe("How long a tag's digest is reused."),
      })
      .prefault({})
      .describe("Tag to digest resolution."),
    reports: z
      .strictObject({
        maxAgeDays: positiveInt.default(7).describe("Scan data older than this counts as stale."),
      })
      .prefault({})
      .describe("Pushed scanner reports."),
    registry: registry.prefault({}),
    decisionLog: decisionLog.optional(),
    log: log.prefault({}),
    limits: limits.prefault({}),
    timeouts: timeouts.prefault({}),
    events: events.prefault({}),
    signing: signing.prefault({}),
    ui: ui.prefault({}),
    reevaluation: reevaluation.prefault({}),
  })
  .describe("Configuration of `cipolice serve`.");

/** The configuration with every default filled in. */
export type ServeConfig = z.output<typeof serveConfigSchema>;

/**
 * Parses and validates a configuration file's text (YAML or JSON). Every problem is listed with its path
 * (`admission.failModes[1].mode: expected one of "closed", "open", "warn"`) in one CIP_CONFIG_INVALID error;
 * syntax errors are CIP_PARSE naming the line and column.
 */
export function loadServeConfig(text: string, source: string): ServeConfig {
  const document = parseDocumentText(text, source);
  // With the input, a wrong type is told apart from a missing field
  const parsed = serveConfigSchema.safeParse(document ?? {}, { reportInput: true });
  if (parsed.success) return parsed.data;
  const problems: Problem[] = parsed.error.issues.map((issue) => {
    const path = formatIssuePath(issue.path);
    return {
      level: "error",
      code: "CIP_CONFIG_INVALID",
      path,
      message: `${path}: ${describeSchemaIssue(issue)}`,
    };
  });
  const count = problems.length === 1 ? "1 problem" : `${problems.length} problems`;
  throw new CipError(
    "CIP_CONFIG_INVALID",
    `Cannot load the server configuration: ${count} (${source})\n${problems.map((p) => `  ${p.message}`).join("\n")}`,
    { hint: "Fix each field named; schemas/serve-config.schema.json describes them all.", problems },
  );
}

/** The host and port of `listen`; `:8443` means every address (`0.0.0.0`... as Node's `::`). */
export function parseListen(value: string): { host: string; port: number } {
  const at = value.lastIndexOf(":");
  const rawHost = value.slice(0, at);
  const host = rawHost === "" ? "::" : rawHost.replace(/^\[|\]$/g, "");
  const port = Number(value.slice(at + 1));
  if (!Number.isInteger(port) || port > 65_535) {
    throw new CipError("CIP_CONFIG_INVALID", `Cannot listen on ${value}: the port is not 0-65535 (listen)`, {
      hint: "Give host:port, for example 0.0.0.0:8443.",
    });
  }
  return { host, port };
}

/**
 * The HTTP server options of a configuration: listen address, TLS files, timeouts and the resolved tokens
 * (see resolveTokens in auth.ts). Route limits and deadlines are the integrator's, from `limits` and
 * `admission`.
 */
export function httpServerOptions(
  config: ServeConfig,
  extra: { tokens: readonly NamedToken[]; logger?: ServerLogger; metrics?: ServerMetrics },
): HttpServerOptions {
  const { host, port } = parseListen(config.listen);
  return {
    host,
    port,
    ...(config.tls === undefined
      ? {}
      : {
          tls: { certFile: config.tls.cert, keyFile: config.tls.key, pollMs: config.tls.pollSeconds * 1000 },
        }),
    allowInsecureHttp: config.allowInsecureHttp,
    tokens: extra.tokens,
    ...(extra.logger === undefined ? {} : { logger: extra.logger }),
    ...(extra.metrics === undefined ? {} : { metrics: extra.metrics }),
    headersTimeoutMs: config.timeouts.headersMs,
    requestTimeoutMs: config.timeouts.requestMs,
    keepAliveTimeoutMs: config.timeouts.keepAliveMs,
  };
}

/** The registry client options the configuration asks for. */
export function registryClientOptions(config: ServeConfig): RegistryClientOptions {
  const r = config.registry;
  return {
    insecureRegistries: r.insecureRegistries,
    caFiles: r.caFiles,
    timeoutMs: r.timeoutSeconds * 1000,
    ...(r.dockerConfig === undefined ? {} : { dockerConfigPath: r.dockerConfig }),
  };
}

function exactlyOne<K extends string>(keys: readonly K[]) {
  return (value: Partial<Record<K, unknown>>, ctx: z.RefinementCtx): void => {
    const given = keys.filter((k) => value[k] !== undefined && value[k] !== false);
    if (given.length === 1) return;
    ctx.addIssue({
      code: "custom",
      message:
        given.length === 0
          ? `give one of ${keys.join(", ")}`
          : `give only one of ${keys.join(", ")} (found ${given.join(", ")})`,
    });
  };
}
