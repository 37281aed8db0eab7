import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import { Command, Option } from "@commander-js/extra-typings";
import { CipError } from "../../model/index.js";
import { collect } from "../gather-options.js";
import { readInputFile } from "../read-input.js";
import { DEFAULT_BUNDLE_PATH } from "../shipped-files.js";

const MAX_CONFIG_BYTES = 1024 * 1024;

/** `cipolice serve`: Kubernetes admission, the report store and the decision API on one HTTP(S) server. */
export function serveCommand(setExitCode: (code: number) => void) {
  return new Command("serve")
    .description(
      "Serve Kubernetes admission (/k8s/admission, /k8s/imagereview), report pushes and decisions (/v1), health and metrics",
    )
    .option("--config <file>", "configuration file (YAML or JSON; schemas/serve-config.schema.json)")
    .option("--listen <host:port>", "address to listen on (default 127.0.0.1:8080)")
    .addOption(
      new Option("--policy <file>", "policy bundle, repeatable (default: the shipped default bundle)")
        .argParser(collect)
        .default([] as string[]),
    )
    .option(
      "--store <spec>",
      "sqlite:PATH or postgres://user@host/db (default: SQLite in the data directory)",
    )
    .option("--data-dir <dir>", "where the embedded store and the generated push token live")
    .option("--tls-cert <pem>", "serve HTTPS with this certificate (reloaded when it changes)")
    .option("--tls-key <pem>", "the certificate's private key")
    .option("--allow-insecure-http", "serve plain HTTP on a non-loopback address (TLS ends in front)")
    .addOption(
      new Option(
        "--fail-mode <mode>",
        "what an image that cannot be decided gets, unless a namespace rule says otherwise",
      ).choices(["closed", "open", "warn"]),
    )
    .option("--deadline-ms <ms>", "answer admission within this many milliseconds")
    .option("--cache-ttl <seconds>", "reuse a decision for this long")
    .option("--log-level <level>", "trace, debug, info, warn, error or silent")
    .addOption(
      new Option("--rules <file>", "rules file run on event messages (POST /events/…), repeatable")
        .argParser(collect)
        .default([] as string[]),
    )
    .option("--allow-unknown-actions", "load rules whose actions name nothing runnable (they fail when run)")
    .option("--amqp <url>", "queue event messages on this RabbitMQ broker, and consume them (events.amqp)")
    .action((opts) => runServer(opts, setExitCode, "serve"));
}

/** What `serve` and `consume` share: the process runs until SIGTERM or SIGINT; SIGHUP reloads. */
export async function runServer(
  opts: ServeFlags & { config?: string; dataDir?: string; store?: string; policy: string[] },
  setExitCode: (code: number) => void,
  mode: "serve" | "consume",
): Promise<void> {
  const [{ loadServeConfig }, { createLogger }, { startServer }] = await Promise.all([
    import("../../server/serve-config.js"),
    import("../../server/logger.js"),
    import("../../server/start-server.js"),
  ]);
  const configText = opts.config ? readInputFile(opts.config, "configuration file", MAX_CONFIG_BYTES) : "{}";
  const config = loadServeConfig(configText, opts.config ?? "defaults");
  applyFlags(config, opts);
  if (mode === "consume") {
    if (config.events.amqp === undefined) {
      throw new CipError("CIP_USAGE", "Cannot consume events: no broker is named", {
        hint: "Give --amqp amqp://user:pass@host:5672/ or events.amqp in the configuration file.",
      });
    }
    config.events.amqp.consume = true;
  }
  const debug = process.argv.includes("--debug");
  const logger = createLogger({ level: debug ? "debug" : config.log.level });
  const dataDir = resolve(opts.dataDir ?? process.env.CIPOLICE_DATA_DIR ?? defaultDataDir());
  const storeSpec = opts.store ?? storeSpecOf(config, dataDir, !opts.config && opts.dataDir === undefined);
  if (config.auth.tokens.length === 0 && !opts.config && mode === "serve") {
    config.auth.tokens.push({ name: "local", tokenFile: localPushToken(dataDir) });
  }
  const policyPaths =
    opts.policy.length > 0
      ? opts.policy
      : config.policies.length > 0
        ? config.policies
        : [DEFAULT_BUNDLE_PATH];
  const server = await startServer({
    config,
    storeSpec,
    policyPaths,
    logger,
    routes: mode === "serve" ? "all" : "ops",
  });
  logger.info(
    {
      url: server.url,
      store: server.context.store.location,
      dataDir: storeSpec.startsWith("sqlite:") ? dataDir : undefined,
      policies: policyPaths,
      ...(mode === "consume" ? { queue: config.events.amqp?.queue, rules: config.events.rules } : {}),
    },
    mode === "serve"
      ? `cipolice serve: listening on ${server.url}`
      : `cipolice consume: consuming ${config.events.amqp?.queue}; health and metrics on ${server.url}`,
  );
  await new Promise<void>((done) => {
    const stop = (signal: string) => {
      logger.info({ signal }, "shutting down: finishing work in flight");
      server.close().then(
        () => done(),
        (error: unknown) => {
          logger.error({ err: String(error) }, "shutdown failed");
          setExitCode(1);
          done();
        },
      );
    };
    process.once("SIGTERM", () => stop("SIGTERM"));
    process.once("SIGINT", () => stop("SIGINT"));
    process.on("SIGHUP", () => server.reload());
  });
}

type ServeConfig = import("../../server/serve-config.js").ServeConfig;

/** The flags `serve` and `consume` share (each command declares the ones it takes). */
export interface ServeFlags {
  rules?: string[];
  allowUnknownActions?: true;
  amqp?: string;
  queue?: string;
  prefetch?: string;
  maxDeliveries?: string;
  listen?: string;
  tlsCert?: string;
  tlsKey?: string;
  allowInsecureHttp?: true;
  failMode?: string;
  deadlineMs?: string;
  cacheTtl?: string;
  logLevel?: string;
}

/** Flags win over the configuration file; each is checked as the file's field would be. */
function applyFlags(config: ServeConfig, opts: ServeFlags): void {
  if (opts.listen !== undefined) config.listen = opts.listen;
  if (opts.rules !== undefined && opts.rules.length > 0) config.events.rules = opts.rules;
  if (opts.allowUnknownActions) config.events.allowUnknownActions = true;
  if (opts.amqp !== undefined) {
    config.events.amqp = {
      queue: "cipolice.events",
      consume: true,
      prefetch: 16,
      maxDeliveries: 5,
      ...config.events.amqp,
      url: opts.amqp,
    };
    delete config.events.amqp.urlEnv;
    delete config.events.amqp.urlFile;
  }
  if (config.events.amqp !== undefined) {
    if (opts.queue !== undefined) config.events.amqp.queue = opts.queue;
    if (opts.prefetch !== undefined)
      config.events.amqp.prefetch = wholeNumber(opts.prefetch, "--prefetch", 1, 65_535);
    if (opts.maxDeliveries !== undefined)
      config.events.amqp.maxDeliveries = wholeNumber(opts.maxDeliveries, "--max-deliveries", 1, 40);
  }
  if ((opts.tlsCert === undefined) !== (opts.tlsKey === undefined)) {
    throw new CipError("CIP_USAGE", "Cannot serve HTTPS: give both --tls-cert and --tls-key", {
      hint: "The certificate and its private key are two PEM files; pass both.",
    });
  }
  if (opts.tlsCert !== undefined && opts.tlsKey !== undefined) {
    config.tls = { cert: opts.tlsCert, key: opts.tlsKey, pollSeconds: config.tls?.pollSeconds ?? 10 };
  }
  if (opts.allowInsecureHttp) config.allowInsecureHttp = true;
  if (opts.failMode !== undefined)
    config.admission.defaultFailMode = opts.failMode as ServeConfig["admission"]["defaultFailMode"];
  if (opts.deadlineMs !== undefined)
    config.admission.deadlineMs = wholeNumber(opts.deadlineMs, "--deadline-ms", 100, 30_000);
  if (opts.cacheTtl !== undefined)
    config.cache.ttlSeconds = wholeNumber(opts.cacheTtl, "--cache-ttl", 1, 86_400);
  if (opts.logLevel !== undefined) config.log.level = opts.logLevel as ServeConfig["log"]["level"];
}

function wholeNumber(text: string, flag: string, min: number, max: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new CipError(
      "CIP_USAGE",
      `Cannot use ${flag} ${JSON.stringify(text)}: expected a whole number from ${min} to ${max}`,
      {
        hint: `Write for example ${flag} ${min * 10}.`,
      },
    );
  }
  return value;
}

/** The store the configuration names, with relative SQLite paths inside the data directory. */
function storeSpecOf(config: ServeConfig, dataDir: string, defaults: boolean): string {
  const store = config.store;
  if (store.type === "sqlite") {
    if (defaults || !isAbsolute(store.path)) mkdirSync(dataDir, { recursive: true });
    return `sqlite:${isAbsolute(store.path) ? store.path : join(dataDir, store.path)}`;
  }
  if (store.url) return store.url;
  if (store.urlEnv) {
    const url = process.env[store.urlEnv];
    if (!url) {
      throw new CipError(
        "CIP_CONFIG_INVALID",
        `Cannot open the store: environment variable ${store.urlEnv} is empty (store.urlEnv)`,
        {
          hint: "Set it to the PostgreSQL URL, e.g. from a Kubernetes Secret.",
        },
      );
    }
    return url;
  }
  return readFileSync(store.urlFile as string, "utf8").trim();
}

/** `$XDG_DATA_HOME/cipolice`, else `~/.local/share/cipolice`. */
function defaultDataDir(): string {
  const base = process.env.XDG_DATA_HOME || join(homedir(), ".local", "share");
  return join(base, "cipolice");
}

/** With no configuration, pushes use a token generated once into the data directory (readable by its owner only). */
function localPushToken(dataDir: string): string {
  const file = join(dataDir, "push-token");
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, `${randomBytes(32).toString("hex")}\n`, { mode: 0o600 });
  }
  return file;
}
