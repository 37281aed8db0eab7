import { CipError } from "../../model/index.js";
import { checkImage } from "../../service/check-image.js";
import { pushReports } from "../../service/push-reports.js";
import { factsFromDocumentText } from "../../service/stored-report-facts.js";
import type { Routes } from "../router.js";
import { recordDecision, type ServeContext } from "../serve-context.js";

const MAX_LIST = 1000;

/**
 * The CIPolicE API (`/v1`), every route behind a bearer token: reports pushed by CI, decisions on request,
 * and the decisions made so far.
 */
export function registerApiRoutes(context: ServeContext): (routes: Routes) => void {
  return (routes) => {
    routes.put(
      "/images/{digest}/reports",
      async (req, res) => {
        const body = await req.body();
        const format = req.query.get("format") ?? undefined;
        const name = req.query.get("name") ?? undefined;
        const result = await pushReports(
          context.store,
          req.params.digest ?? "",
          [
            {
              text: body.toString("utf8"),
              source: "the request body",
              ...(format ? { format } : {}),
              ...(name ? { name } : {}),
              ...(req.tokenName ? { pushedBy: req.tokenName } : {}),
            },
          ],
          context.now(),
        );
        // Other replicas hear of it from the store; this one need not wait for the notice
        context.assessor.invalidate(req.params.digest);
        // Images already admitted or running with this digest are decided again on the new data
        if (req.params.digest) context.reevaluator?.digestChanged(req.params.digest);
        req.log.info({ digest: req.params.digest, ...result, by: req.tokenName }, "reports stored");
        res.json(201, { digest: req.params.digest, ...result });
      },
      { name: "api-push-reports", bodyLimitBytes: context.limits.reportBodyBytes },
    );

    routes.post(
      "/evaluate",
      async (req, res) => {
        const body = (await req.json()) as Record<string, unknown>;
        const request = readEvaluateRequest(body);
        if (request.facts !== undefined) {
          const facts = factsFromDocumentText(JSON.stringify(request.facts), "the request's facts");
          const decisions = context.assessor.bundles.bundles.map((bundle) =>
            checkImage(bundle, facts, {
              now: context.now(),
              ...(request.namespace ? { namespace: request.namespace } : {}),
              ...(request.environment ? { environment: request.environment } : {}),
            }),
          );
          const outcome = decisions.some((d) => d.status === "fail") ? "fail" : "pass";
          res.json(200, { outcome, decision: decisions[0], decisions });
          return;
        }
        const assessment = await context.assessor.assess(
          request.image ?? "",
          {
            origin: "api",
            ...(request.namespace ? { namespace: request.namespace } : {}),
            ...(request.environment ? { environment: request.environment } : {}),
          },
          Date.now() + context.admission.deadlineMs,
        );
        recordDecision(context, {
          origin: "api",
          ...(request.namespace ? { namespace: request.namespace } : {}),
          allowed: assessment.outcome === "pass",
          assessment,
        });
        res.json(200, {
          image: assessment.image,
          ...(assessment.digest ? { digest: assessment.digest } : {}),
          outcome: assessment.outcome,
          ...(assessment.reason ? { reason: assessment.reason } : {}),
          ...(assessment.decisions[0] ? { decision: assessment.decisions[0] } : {}),
          decisions: assessment.decisions,
        });
      },
      { name: "api-evaluate", bodyLimitBytes: context.limits.reportBodyBytes },
    );

    routes.get(
      "/decisions",
      async (req, res) => {
        const image = req.query.get("image") ?? undefined;
        const digest = req.query.get("digest") ?? undefined;
        const limit = readLimit(req.query.get("limit"));
        const decisions = await context.store.listDecisions({
          ...(image ? { image } : {}),
          ...(digest ? { digest } : {}),
          limit,
        });
        res.json(200, { decisions });
      },
      { name: "api-decisions" },
    );

    routes.get(
      "/events",
      async (req, res) => {
        const messageId = req.query.get("id") ?? undefined;
        const limit = readLimit(req.query.get("limit"));
        const events = await context.store.listEvents({ ...(messageId ? { messageId } : {}), limit });
        res.json(200, { events });
      },
      { name: "api-events" },
    );

    routes.get(
      "/status",
      async (req, res) => {
        const limit = readLimit(req.query.get("limit"));
        const host = req.query.get("host") ?? undefined;
        const [containers, clocks] = await Promise.all([
          context.store.latestContainerChecks({ ...(host ? { host } : {}), limit }),
          context.store.listGraceClocks(),
        ]);
        res.json(200, { containers, clocks });
      },
      { name: "api-status" },
    );
  };
}

interface EvaluateRequest {
  image?: string;
  facts?: unknown;
  namespace?: string;
  environment?: string;
}

function readEvaluateRequest(body: unknown): EvaluateRequest {
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw invalid("the body is not a JSON object");
  }
  const { image, facts, namespace, environment } = body as Record<string, unknown>;
  if ((image === undefined) === (facts === undefined)) throw invalid("give exactly one of image and facts");
  for (const [name, value] of Object.entries({ image, namespace, environment })) {
    if (value !== undefined && typeof value !== "string") throw invalid(`${name} must be a string`);
  }
  return {
    ...(typeof image === "string" ? { image } : {}),
    ...(facts !== undefined ? { facts } : {}),
    ...(typeof namespace === "string" ? { namespace } : {}),
    ...(typeof environment === "string" ? { environment } : {}),
  };
}

function readLimit(text: string | null): number {
  if (text === null) return 100;
  const limit = Number(text);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST) {
    throw new CipError(
      "CIP_REQUEST_INVALID",
      `Cannot list decisions: limit ${JSON.stringify(text)} is not a whole number from 1 to ${MAX_LIST}`,
      {
        hint: "Write for example ?limit=50.",
      },
    );
  }
  return limit;
}

function invalid(what: string): CipError {
  return new CipError("CIP_REQUEST_INVALID", `Cannot evaluate: ${what}`, {
    hint: 'Send {"image": "registry/repo:tag", "namespace": "…"} or {"facts": {…}} (a `cipolice facts` document).',
  });
}
