import { metricsHandler } from "./metrics.js";
import type { Routes } from "./router.js";
import type { ServeContext } from "./serve-context.js";

// Readiness must answer well inside a kubelet probe's default one-second timeout
const READY_STORE_TIMEOUT_MS = 800;

/**
 * Health, readiness and metrics, without a token: `/healthz` says the process serves; `/readyz` that the
 * store answers and the bundles are loaded (and says why not, or why the last reload was refused); `/metrics`
 * is the Prometheus exposition.
 */
export function registerOpsRoutes(context: ServeContext): (routes: Routes) => void {
  return (routes) => {
    routes.get(
      "/healthz",
      async (_req, res) => {
        res.json(200, { status: "ok" });
      },
      { auth: false, name: "healthz" },
    );
    routes.get(
      "/readyz",
      async (_req, res) => {
        const policy = context.policies.state;
        const store = await storeState(context);
        const ready = store.ok;
        res.json(ready ? 200 : 503, {
          status: ready ? "ready" : "not ready",
          store: { kind: context.store.kind, location: context.store.location, ...store },
          policies: {
            bundles: policy.current.bundles.map((b) => ({
              ...(b.bundle.id ? { id: b.bundle.id } : {}),
              ...(b.bundle.name ? { name: b.bundle.name } : {}),
              digest: b.digest,
            })),
            loadedAt: policy.loadedAt.toISOString(),
            ...(policy.reloadError ? { reloadError: policy.reloadError } : {}),
          },
        });
      },
      { auth: false, name: "readyz", deadlineMs: 2000 },
    );
    routes.get("/metrics", metricsHandler(context.metrics), { auth: false, name: "metrics" });
  };
}

async function storeState(context: ServeContext): Promise<{ ok: boolean; error?: string }> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      context.store.ping(),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer within ${READY_STORE_TIMEOUT_MS} ms`)),
          READY_STORE_TIMEOUT_MS,
        );
      }),
    ]);
    return { ok: true };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}
