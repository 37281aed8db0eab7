import type { KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import { formatImageReference } from "../image/image-reference.js";
import { RegistryClient } from "../image/registry/registry-client.js";
import { type AssessorDeps, ImageAssessor } from "../service/assess-image.js";
import { readImageFacts } from "../service/read-image.js";
import type { Store } from "../service/store-ports.js";
import { openStore } from "../store/open-store.js";
import { registerApiRoutes } from "./api/api-routes.js";
import { resolveTokens } from "./auth.js";
import { createDecisionLog, type DecisionLog } from "./decision-log.js";
import { registerEventRoutes } from "./events/event-routes.js";
import { type EventsRuntime, startEvents } from "./events/events-runtime.js";
import { createHttpServer } from "./http-server.js";
import { registerK8sRoutes } from "./k8s/k8s-routes.js";
import type { ServerLogger } from "./logger.js";
import { createMetrics } from "./metrics.js";
import { registerOpsRoutes } from "./ops-routes.js";
import { PolicyFiles } from "./policy-files.js";
import { Reevaluator } from "./reevaluate.js";
import { httpServerOptions, parseListen, registryClientOptions, type ServeConfig } from "./serve-config.js";
import type { ServeContext } from "./serve-context.js";
import { registerUiRoutes } from "./ui/ui-routes.js";

/** What `startServer` needs beyond the configuration: the store to open and the policy files. */
export interface StartOptions {
  config: ServeConfig;
  /** `sqlite:PATH` or a PostgreSQL URL. */
  storeSpec: string;
  policyPaths: readonly string[];
  logger: ServerLogger;
  /** Clock for decisions; default the real one. */
  now?: () => Date;
  /** `all` (serve) or `ops` only: health and metrics for a `cipolice consume` worker. */
  routes?: "all" | "ops";
}

/** A running `cipolice serve`. */
export interface RunningServer {
  url: string;
  port: number;
  context: ServeContext;
  /** Reloads the bundles and reopens the decision log file (SIGHUP). */
  reload(): void;
  /** The event receivers, rules and queues. */
  events: EventsRuntime;
  /** Graceful stop: in-flight requests finish (up to the configured grace), then the store closes. */
  close(): Promise<void>;
}

/**
 * Starts `cipolice serve`: opens the store (applying migrations), loads the bundles, and serves the
 * Kubernetes, API and operations routes on one HTTP(S) server.
 */
export async function startServer(options: StartOptions): Promise<RunningServer> {
  const { config, logger } = options;
  const now = options.now ?? (() => new Date());
  const tokens = resolveTokens(config.auth.tokens);
  const store = await openStore(options.storeSpec, {
    onWarning: (message, error) =>
      logger.warn({ err: error === undefined ? undefined : String(error) }, message),
  });
  let decisionLog: DecisionLog | undefined;
  let events: EventsRuntime | undefined;
  try {
    const registry = {
      ...registryClientOptions(config),
      // As the CLI: credentials from the environment for every registry, else Docker's config.json
      ...(process.env.CIPOLICE_REGISTRY_USERNAME !== undefined
        ? {
            credentials: {
              username: process.env.CIPOLICE_REGISTRY_USERNAME,
              password: process.env.CIPOLICE_REGISTRY_PASSWORD ?? "",
            },
          }
        : {}),
    };
    const client = new RegistryClient(registry);
    let assessor: ImageAssessor | undefined;
    let reevaluator: Reevaluator | undefined;
    const policies = new PolicyFiles(
      options.policyPaths,
      (bundles) => {
        assessor?.setBundles(bundles);
        reevaluator?.everything("bundles");
      },
      logger,
    );
    assessor = new ImageAssessor(
      policies.state.current,
      {
        store,
        resolveDigest: (ref) => client.headDigest(ref),
        readImageFacts: (ref) =>
          readImageFacts({ kind: "registry", reference: formatImageReference(ref) }, { registry }),
        now,
        ...(await trustedSummaryReader(config, registry)),
        ...(await signingFactsReader(config, registry)),
        onWarning: (message, error) => logger.warn({ err: String(error) }, message),
      },
      {
        decisionTtlMs: config.cache.ttlSeconds * 1000,
        unknownTtlMs: config.cache.negativeTtlSeconds * 1000,
        maxEntries: config.cache.maxEntries,
        tagTtlMs: config.tagResolution.ttlSeconds * 1000,
        reportMaxAgeDays: config.reports.maxAgeDays,
      },
    );
    await assessor.loadVerdicts();
    const metrics = createMetrics();
    decisionLog = config.decisionLog
      ? createDecisionLog({
          ...(config.decisionLog.file ? { file: config.decisionLog.file } : {}),
          ...(config.decisionLog.stdout ? { stdout: true } : {}),
          ...(config.decisionLog.url ? { url: config.decisionLog.url } : {}),
          batchSize: config.decisionLog.batchSize,
          flushMs: config.decisionLog.flushMs,
          maxQueue: config.decisionLog.maxQueue,
          logger,
        })
      : undefined;
    const context: ServeContext = {
      assessor,
      store,
      policies,
      admission: {
        deadlineMs: config.admission.deadlineMs,
        failModes: config.admission.failModes,
        defaultFailMode: config.admission.defaultFailMode,
        namespaceLabels: config.admission.namespaceLabels,
      },
      limits: config.limits,
      decisionLog,
      metrics,
      logger,
      now,
    };
    if (options.routes !== "ops") {
      reevaluator = new Reevaluator(context, {
        intervalMs: config.reevaluation.intervalMinutes * 60_000,
        maxImages: config.reevaluation.maxImages,
        deadlineMs: Math.max(config.admission.deadlineMs, 10_000),
      });
      reevaluator.start();
      context.reevaluator = reevaluator;
    }
    events = await startEvents(config, context);
    const eventsRuntime = events;
    context.onDecisionStored = (record) => eventsRuntime.publishDecision(record);
    const http = createHttpServer(httpServerOptions(config, { tokens, logger, metrics }));
    if (options.routes !== "ops") {
      http.router.group("/k8s", registerK8sRoutes(context));
      http.router.group("/v1", registerApiRoutes(context));
      registerEventRoutes(context, events)(http.router);
      http.router.group(
        "/ui",
        registerUiRoutes(context, {
          tokens,
          host: parseListen(config.listen).host,
          tls: config.tls !== undefined,
          ...(config.ui.public !== undefined ? { public: config.ui.public } : {}),
          expiringDays: config.ui.expiringDays,
        }),
      );
    }
    registerOpsRoutes(context)(http.router);
    const address = await http.listen();
    policies.watch();
    if (tokens.length === 0 && options.routes !== "ops") {
      logger.warn("no API token is configured: report pushes and /v1 requests are refused (auth.tokens)");
    }
    if (config.events.rules.length > 0 && events.credentials.length === 0) {
      logger.warn(
        "rules are loaded but no sender credential is configured: every notification gets 401 (events.auth)",
      );
    }
    return {
      ...address,
      context,
      events,
      reload() {
        policies.reload();
        eventsRuntime.rules.reload();
        decisionLog
          ?.reopen()
          .catch((error: unknown) => logger.error({ err: String(error) }, "cannot reopen the decision log"));
      },
      async close() {
        policies.close();
        await reevaluator?.stop();
        await http.close(config.timeouts.shutdownGraceMs);
        await eventsRuntime.close();
        assessor?.close();
        await decisionLog?.close();
        await store.close();
      },
    };
  } catch (error) {
    await events?.close().catch(() => undefined);
    await closeQuietly(store, decisionLog);
    throw error;
  }
}

async function closeQuietly(store: Store, decisionLog: DecisionLog | undefined): Promise<void> {
  await decisionLog?.close().catch(() => undefined);
  await store.close().catch(() => undefined);
}

/** The configured trusted keys, loaded. */
async function loadTrustedKeys(config: ServeConfig): Promise<{ name: string; key: KeyObject }[]> {
  const { loadPublicKey } = await import("../sign/keys/index.js");
  return config.signing.trustedKeys.map((k) => ({
    name: k.name,
    key: loadPublicKey(
      k.key ?? readFileSync(k.keyFile as string, "utf8"),
      k.keyFile ?? `signing.trustedKeys ${k.name}`,
    ),
  }));
}

/**
 * How the assessor reads signatures and attestations for `signature` and `attestation` rules: verified
 * against the configured keys and the keys the bundles in force carry.
 */
async function signingFactsReader(
  config: ServeConfig,
  registry: ConstructorParameters<typeof RegistryClient>[0],
): Promise<Pick<AssessorDeps, "readSigningFacts">> {
  // Bad key files fail the start, not the first admission
  const configured = config.signing.trustedKeys.length > 0 ? await loadTrustedKeys(config) : [];
  const client = new RegistryClient(registry);
  return {
    readSigningFacts: async (ref, digest, bundleKeys) => {
      // Loaded on first use: most deployments have no signature rules
      const { readSigningFacts, signingKeySet } = await import("../service/signing-facts.js");
      const { keys, facts } = signingKeySet(configured, bundleKeys);
      return readSigningFacts(ref, { client, keys, keyFacts: facts, digest });
    },
  };
}

/** How the assessor reads trusted verification summaries, when the configuration names trusted keys. */
async function trustedSummaryReader(
  config: ServeConfig,
  registry: ConstructorParameters<typeof RegistryClient>[0],
): Promise<Pick<AssessorDeps, "trustedSummaries" | "summaryMaxAgeMs">> {
  const { trustedKeys, trustSummaries, summaryMaxAgeDays } = config.signing;
  if (trustedKeys.length === 0 || !trustSummaries) return {};
  const { verifyImageAttestations } = await import("../service/verify-image.js");
  const keys = await loadTrustedKeys(config);
  const client = new RegistryClient(registry);
  return {
    summaryMaxAgeMs: summaryMaxAgeDays * 86_400_000,
    trustedSummaries: async (ref, digest) => {
      const report = await verifyImageAttestations(ref, { client, keys, digest });
      return report.attestations.flatMap((a) =>
        a.valid && a.summary !== undefined && a.keyName !== undefined
          ? [
              {
                keyName: a.keyName,
                policyDigest: a.summary.policyDigest,
                ...(a.summary.policyName !== undefined ? { policyName: a.summary.policyName } : {}),
                passed: a.summary.passed,
                time: a.summary.time,
                timeMs: a.summary.timeMs,
              },
            ]
          : [],
      );
    },
  };
}
