import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { corpusPath, readCorpusJson } from "../support/corpus.js";
import {
  buildImage,
  type ImageLayout,
  imageToolsMissing,
  manifestDescriptor,
  pushImage,
} from "./support/images.js";
import { postgresToolsMissing, startPostgres, type TestPostgres } from "./support/postgres-harness.js";
import { registryToolsMissing, startRegistry, type TestRegistry } from "./support/registry-harness.js";
import {
  AUTH,
  admissionAnswer,
  type ExampleBundle,
  exampleBundleFor,
  podReview,
  serveConfig,
  trivyReport,
} from "./support/serve-fixtures.js";
import { type RunningServe, startServe, waitForLog } from "./support/serve-harness.js";

type Json = Record<string, unknown>;

const skip = registryToolsMissing() || imageToolsMissing() || postgresToolsMissing();

const REVIEWS = "k8s/admissionreview";
const REQUESTS = "k8s/admission-request";
const IMAGE_REVIEWS = "k8s/imagereview";

// The example bundle's naming convention, written here independently of the gate that applies it
const NAMING = /^(payments|platform|web)\/[a-z0-9]+(-[a-z0-9]+)*$/;
// The kinds whose pod templates CIPolicE reads; anything else is allowed without inspection
const WORKLOAD_KINDS = new Set([
  "Pod",
  "Deployment",
  "ReplicaSet",
  "StatefulSet",
  "DaemonSet",
  "Job",
  "CronJob",
  "ReplicationController",
]);

/**
 * The test's own oracle for the example bundle's rules on the name alone: `invalid` when the text is not an
 * image reference, `name` when its repository does not follow `<team>/<app>` or it floats on `latest` (said
 * or implied, no digest), else undefined (the name alone does not deny it).
 */
function deniedByName(image: string): "invalid" | "name" | undefined {
  const at = image.indexOf("@");
  const digest = at >= 0 ? image.slice(at + 1) : undefined;
  if (digest !== undefined && !/^sha256:[a-f0-9]{64}$/.test(digest)) return "invalid";
  const name = at >= 0 ? image.slice(0, at) : image;
  const slash = name.indexOf("/");
  const first = slash > 0 ? name.slice(0, slash) : "";
  const hasRegistry = first.includes(".") || first.includes(":") || first === "localhost";
  const rest = hasRegistry ? name.slice(slash + 1) : name;
  const colon = rest.lastIndexOf(":");
  const tag = colon >= 0 ? rest.slice(colon + 1) : undefined;
  let repository = colon >= 0 ? rest.slice(0, colon) : rest;
  if (repository !== repository.toLowerCase()) return "invalid";
  if (!hasRegistry && !repository.includes("/")) repository = `library/${repository}`;
  if (!NAMING.test(repository)) return "name";
  // A digest pins the image, whatever its tag says
  return digest === undefined && (tag === undefined || tag === "latest") ? "name" : undefined;
}

/** Every `image` of every container list in an object (not its status), walked without knowing the kind. */
function imagesIn(value: unknown, top = true): string[] {
  if (Array.isArray(value)) return value.flatMap((v) => imagesIn(v, false));
  if (typeof value !== "object" || value === null) return [];
  return Object.entries(value).flatMap(([key, child]) => {
    if (top && key === "status") return [];
    if (["containers", "initContainers", "ephemeralContainers"].includes(key) && Array.isArray(child)) {
      return child.flatMap((c) => (typeof c?.image === "string" ? [c.image as string] : []));
    }
    return imagesIn(child, false);
  });
}

function corpusFiles(folder: string): string[] | undefined {
  const dir = corpusPath(folder);
  return existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith(".json"))
        .sort()
    : undefined;
}

let registry: TestRegistry | undefined;
let postgres: TestPostgres | undefined;
let bundle: ExampleBundle | undefined;
const layouts: ImageLayout[] = [];
const serves: RunningServe[] = [];
let sqlite: RunningServe;
let replicaA: RunningServe;
let replicaB: RunningServe;
/** Two images following the naming convention, on the test registry, with their manifest digests. */
const images: { app: { ref: string; digest: string }; api: { ref: string; digest: string } } = {
  app: { ref: "", digest: "" },
  api: { ref: "", digest: "" },
};

describe("cipolice serve: admission, the report store and the decision cache", { skip }, () => {
  before(async () => {
    const [startedRegistry, startedPostgres, app, api] = await Promise.all([
      startRegistry("anonymous"),
      startPostgres(),
      buildImage({ files: { "/srv/app/version": "1.0\n" } }),
      buildImage({ files: { "/srv/api/version": "2.0\n" } }),
    ]);
    registry = startedRegistry;
    postgres = startedPostgres;
    layouts.push(app, api);
    await Promise.all([pushImage(app, registry, "web/app:1.0"), pushImage(api, registry, "web/api:2.0")]);
    images.app = {
      ref: `${registry.host}/web/app:1.0`,
      digest: (await manifestDescriptor(registry, "web/app", "1.0")).digest,
    };
    images.api = {
      ref: `${registry.host}/web/api:2.0`,
      digest: (await manifestDescriptor(registry, "web/api", "2.0")).digest,
    };
    bundle = await exampleBundleFor(registry.host);
    const pg = { store: { type: "postgres", url: postgres.url } };
    // One replica first, so that the PostgreSQL migrations are not raced by the second at start
    replicaA = await startServe({ config: serveConfig(bundle.path, pg) });
    serves.push(replicaA);
    const started = await Promise.all([
      startServe({ config: serveConfig(bundle.path, pg) }),
      startServe({ config: serveConfig(bundle.path, { store: { type: "sqlite" } }) }),
    ]);
    [replicaB, sqlite] = started as [RunningServe, RunningServe];
    serves.push(...started);
  });

  after(async () => {
    await Promise.allSettled(serves.map((s) => s.stop()));
    await Promise.allSettled([
      registry?.stop(),
      postgres?.stop(),
      bundle?.remove(),
      ...layouts.map((l) => l.remove()),
    ]);
  });

  test("corpus AdmissionReviews and requests: well-formed answers, denied by name without any lookup", async (t) => {
    const reviews = corpusFiles(REVIEWS);
    const requests = corpusFiles(REQUESTS);
    if (reviews === undefined || requests === undefined) {
      return t.skip(`corpus folders ${REVIEWS} and ${REQUESTS} not found`);
    }
    const cases: { file: string; body: Json }[] = [
      ...reviews.map((file) => ({ file, body: readCorpusJson(`${REVIEWS}/${file}`) as Json })),
      ...requests.map((file) => ({
        file,
        body: {
          apiVersion: "admission.k8s.io/v1",
          kind: "AdmissionReview",
          request: readCorpusJson(`${REQUESTS}/${file}`),
        },
      })),
    ];
    assert.ok(cases.length >= 15, `expected at least 15 corpus admission files, found ${cases.length}`);
    let denied = 0;
    for (const { file, body } of cases) {
      const request = body.request as Json;
      const kind = (request.kind as { kind: string }).kind;
      const found = WORKLOAD_KINDS.has(kind) ? imagesIn(request.object) : [];
      const expectDenied = found.filter((image) => deniedByName(image) !== undefined);
      const answer = await sqlite.request("POST", "/k8s/admission", body);
      assert.equal(answer.status, 200, `${file}: ${answer.text}`);
      const json = answer.json as Json;
      assert.equal(json.apiVersion, body.apiVersion, file);
      const response = admissionAnswer(json);
      assert.equal(response.uid, request.uid, file);
      assert.equal(response.allowed, expectDenied.length === 0, `${file}: ${answer.text}`);
      if (expectDenied.length > 0) {
        denied++;
        const message = response.status?.message ?? "";
        for (const image of expectDenied) assert.ok(message.includes(image), `${file}: ${message}`);
        // Decided from the name: no registry was asked (none of these registries is reachable from here)
        assert.doesNotMatch(message, /cannot be decided|fail mode/, file);
        assert.match(message, /image_source\//, file);
      }
    }
    assert.ok(denied >= 12, `expected at least 12 denials in the corpus, found ${denied}`);
    assert.ok(
      (await waitForLog(sqlite, "allowed without inspection")).length > 0,
      sqlite.logs().slice(-2000),
    );
  });

  test("corpus ImageReviews (request-shaped): status.allowed, and the reason names each denied image", async (t) => {
    const files = corpusFiles(IMAGE_REVIEWS);
    if (files === undefined) return t.skip(`corpus folder ${IMAGE_REVIEWS} not found`);
    let asked = 0;
    for (const file of files) {
      const body = readCorpusJson(`${IMAGE_REVIEWS}/${file}`) as Json;
      // Responses from the docs have no spec: they are not requests
      if (body.spec === undefined) continue;
      asked++;
      const spec = body.spec as { containers?: { image: string }[] };
      const expectDenied = (spec.containers ?? [])
        .map((c) => c.image)
        .filter((image) => deniedByName(image) !== undefined);
      const answer = await sqlite.request("POST", "/k8s/imagereview", body);
      assert.equal(answer.status, 200, `${file}: ${answer.text}`);
      const json = answer.json as {
        apiVersion: string;
        kind: string;
        status: { allowed: boolean; reason?: string };
      };
      assert.equal(json.apiVersion, "imagepolicy.k8s.io/v1alpha1", file);
      assert.equal(json.kind, "ImageReview", file);
      assert.equal(json.status.allowed, expectDenied.length === 0, `${file}: ${answer.text}`);
      const reason = json.status.reason ?? "";
      for (const image of expectDenied) {
        assert.ok(reason.includes(image), `${file}: ${reason}`);
        // What denied it is said: the parse error of a malformed reference, else the naming rules
        const said = deniedByName(image) === "invalid" ? "Cannot parse image reference" : "image_source/";
        assert.ok(reason.includes(`${image} is denied by policy: ${said}`), `${file}: ${reason}`);
      }
    }
    assert.ok(asked >= 2, `expected at least 2 request-shaped ImageReviews, found ${asked}`);
  });

  test("prod on PostgreSQL: no scan data denied (closed), a critical CVE denied by policy, a clean report allowed at once", async () => {
    await pushFlow(replicaA, images.app, "CVE-2099-1111");
  });

  test("SQLite: the same push → decision flow", async () => {
    await pushFlow(sqlite, images.app, "CVE-2099-2222");
  });

  test("two replicas on one PostgreSQL: a push to one changes the decision of the other (LISTEN/NOTIFY)", async () => {
    const { ref, digest } = images.api;
    const ask = (serve: RunningServe) =>
      serve.request("POST", "/v1/evaluate", { image: ref, namespace: "prod" }, AUTH);
    // Both replicas first cache "no scan data"
    for (const serve of [replicaA, replicaB]) {
      const first = await ask(serve);
      assert.equal(first.status, 200, first.text);
      assert.equal((first.json as Json).outcome, "unknown");
    }
    const push = await replicaA.request(
      "PUT",
      `/v1/images/${digest}/reports?name=trivy`,
      trivyReport(ref, digest, "CVE-2099-3333"),
      AUTH,
    );
    assert.equal(push.status, 201, push.text);
    const onA = (await ask(replicaA)).json as EvaluateAnswer;
    assert.equal(onA.outcome, "fail");
    const onB = await until(replicaB, ref, (a) => a.outcome !== "unknown");
    assert.equal(onB.answer.outcome, onA.outcome);
    assert.deepEqual(stopRows(onB.answer), stopRows(onA));
    assert.ok(
      stopRows(onA).some((row) => row.includes("CVE-2099-3333")),
      JSON.stringify(stopRows(onA)),
    );
    assert.equal(onB.answer.decision?.bundle?.digest, onA.decision?.bundle?.digest);
    assert.equal(onB.answer.digest, digest);
    // Each replica evaluates for itself (a decision id derives from its evaluation time), into the one store.
    // A decision is stored after it is answered, so the list is read until both are there (at most 5 s)
    const wanted = [onA.decision?.decisionId, onB.answer.decision?.decisionId];
    let ids: string[] = [];
    for (
      const started = Date.now();
      Date.now() - started < 5000;
      await new Promise((r) => setTimeout(r, 50))
    ) {
      const listed = await replicaB.request(
        "GET",
        `/v1/decisions?image=${encodeURIComponent(ref)}&limit=50`,
        undefined,
        AUTH,
      );
      ids = (listed.json as { decisions: StoredDecision[] }).decisions.map((d) => d.decisionId);
      if (wanted.every((id) => id !== undefined && ids.includes(id))) break;
    }
    for (const id of wanted) assert.ok(id && ids.includes(id), `${id} not among ${ids.join(", ")}`);
    // A second push, to the other replica, changes the answer of the first
    const second = await replicaB.request(
      "PUT",
      `/v1/images/${digest}/reports?name=trivy`,
      trivyReport(ref, digest),
      AUTH,
    );
    assert.equal(second.status, 201, second.text);
    assert.equal(((await ask(replicaB)).json as EvaluateAnswer).outcome, "pass");
    const back = await until(replicaA, ref, (a) => a.outcome === "pass");
    assert.equal(back.answer.outcome, "pass");
    // Both replicas answer admission alike now
    for (const serve of [replicaA, replicaB]) {
      const answer = admissionAnswer(
        (await serve.request("POST", "/k8s/admission", podReview("prod", [ref]))).json,
      );
      assert.equal(answer.allowed, true, JSON.stringify(answer));
    }
    console.log(
      `# cross-replica invalidation: ${onB.ms.toFixed(0)} ms and ${back.ms.toFixed(0)} ms after the push`,
    );
  });

  test("POST /v1/evaluate with an image and with a facts document; GET /v1/decisions lists what was decided", async () => {
    const { ref, digest } = images.app;
    const byImage = await sqlite.request("POST", "/v1/evaluate", { image: ref, namespace: "team-a" }, AUTH);
    assert.equal(byImage.status, 200, byImage.text);
    const evaluated = byImage.json as EvaluateAnswer;
    assert.equal(evaluated.digest, digest);
    assert.equal(evaluated.outcome, "pass");
    assert.equal(evaluated.decision?.mapping?.id, "everything-else");

    const facts = {
      schemaVersion: "1",
      image: `${registryHost()}/payments/card-api:3.1`,
      digest: `sha256:${"c".repeat(64)}`,
      vulnerabilities: [
        {
          id: "CVE-2099-4444",
          package: { name: "busybox", version: "1.36.0", type: "apk" },
          severity: "critical",
          fix: { state: "fixed", versions: ["1.36.1"] },
        },
      ],
    };
    const byFacts = await sqlite.request("POST", "/v1/evaluate", { facts, namespace: "prod" }, AUTH);
    assert.equal(byFacts.status, 200, byFacts.text);
    const factsAnswer = byFacts.json as EvaluateAnswer;
    assert.equal(factsAnswer.outcome, "fail");
    assert.equal(factsAnswer.decision?.mapping?.id, "production");
    assert.ok(
      stopRows(factsAnswer).some((row) => row.includes("CVE-2099-4444")),
      byFacts.text,
    );
    const sameInDev = await sqlite.request("POST", "/v1/evaluate", { facts, namespace: "dev" }, AUTH);
    assert.equal((sameInDev.json as EvaluateAnswer).outcome, "pass", sameInDev.text);

    const listed = await sqlite.request(
      "GET",
      `/v1/decisions?image=${encodeURIComponent(ref)}`,
      undefined,
      AUTH,
    );
    assert.equal(listed.status, 200, listed.text);
    const decisions = (listed.json as { decisions: StoredDecision[] }).decisions;
    assert.ok(decisions.length >= 4, `expected the flow's decisions, found ${decisions.length}`);
    for (const d of decisions) assert.equal(d.image, ref);
    const outcomes = new Set(decisions.map((d) => d.outcome));
    for (const outcome of ["pass", "fail"]) assert.ok(outcomes.has(outcome), [...outcomes].join(", "));
    const origins = new Set(decisions.map((d) => d.origin));
    for (const origin of ["admission", "api"]) assert.ok(origins.has(origin), [...origins].join(", "));
    assert.ok(decisions.some((d) => d.decisionId === evaluated.decision?.decisionId));
    const unauthorized = await sqlite.request("GET", `/v1/decisions?image=${encodeURIComponent(ref)}`);
    assert.equal(unauthorized.status, 401);
  });
});

interface EvaluateAnswer {
  outcome: string;
  digest?: string;
  reason?: string;
  decision?: {
    decisionId: string;
    bundle?: { digest: string };
    mapping?: { id: string };
    results: {
      gate: string;
      trigger: string;
      triggerId?: string;
      message: string;
      effectiveAction?: string;
    }[];
  };
}

interface StoredDecision {
  decisionId: string;
  image: string;
  outcome: string;
  origin: string;
}

function registryHost(): string {
  assert.ok(registry, "the registry did not start");
  return registry.host;
}

/** The `gate/trigger: message` of each stopping row of an answer's decision. */
function stopRows(answer: EvaluateAnswer): string[] {
  return (answer.decision?.results ?? [])
    .filter((r) => r.effectiveAction === "stop")
    .map((r) => `${r.gate}/${r.trigger}: ${r.message}`)
    .sort();
}

/** Asks `/v1/evaluate` until `done` holds (at most 5 s): how long a change took to reach a replica. */
async function until(
  serve: RunningServe,
  image: string,
  done: (answer: EvaluateAnswer) => boolean,
): Promise<{ answer: EvaluateAnswer; ms: number }> {
  const started = performance.now();
  for (;;) {
    const answer = (await serve.request("POST", "/v1/evaluate", { image, namespace: "prod" }, AUTH))
      .json as EvaluateAnswer;
    const ms = performance.now() - started;
    if (done(answer) || ms > 5000) return { answer, ms };
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * The admission story of one image in `prod`: no scan data → denied by the closed fail mode; a report with a
 * critical CVE → denied naming it (and only a warning outside production); a report of the same name without
 * it → allowed on the very next request (the push invalidates the cached decision).
 */
async function pushFlow(
  serve: RunningServe,
  image: { ref: string; digest: string },
  cve: string,
): Promise<void> {
  const { ref, digest } = image;
  let asked = 0;
  const admit = async (namespace: string) => {
    // The same review each time but for its uid, as the API server repeats one (of several lengths here)
    const uid = `uid-${namespace}-${"x".repeat(++asked % 3)}`;
    const answer = await serve.request("POST", "/k8s/admission", podReview(namespace, [ref], uid));
    assert.equal(answer.status, 200, answer.text);
    const response = admissionAnswer(answer.json);
    assert.equal(response.uid, uid);
    return { ...response, ms: answer.ms };
  };
  const unknown = await admit("prod");
  assert.equal(unknown.allowed, false);
  assert.match(unknown.status?.message ?? "", /no scan data/);
  assert.match(unknown.status?.message ?? "", /fail mode closed/);
  assert.ok(unknown.status?.message?.includes(ref), unknown.status?.message);

  const put = (body: Json, headers = AUTH) =>
    serve.request("PUT", `/v1/images/${digest}/reports?name=trivy`, body, headers);
  const critical = await put(trivyReport(ref, digest, cve));
  assert.equal(critical.status, 201, critical.text);
  assert.deepEqual((critical.json as { stored: unknown }).stored, [{ name: "trivy", format: "trivy" }]);
  const denied = await admit("prod");
  assert.equal(denied.allowed, false);
  assert.ok(denied.status?.message?.includes(cve), denied.status?.message);
  assert.ok(denied.status?.message?.includes(ref), denied.status?.message);
  assert.match(denied.status?.message ?? "", /denied by policy: vulnerabilities\/package/);
  // Repeats of the review are answered from its bytes once known: the same answer, each with its own uid
  for (let i = 0; i < 3; i++) {
    const again = await admit("prod");
    assert.equal(again.allowed, false);
    assert.equal(again.status?.message, denied.status?.message);
  }
  const elsewhere = await admit("team-a");
  assert.equal(elsewhere.allowed, true);
  assert.ok(
    elsewhere.warnings?.some((w) => w.includes(cve)),
    JSON.stringify(elsewhere.warnings),
  );

  const clean = await put(trivyReport(ref, digest));
  assert.equal(clean.status, 201, clean.text);
  const allowed = await admit("prod");
  assert.equal(allowed.allowed, true, JSON.stringify(allowed));
  // Decided from the new report right away: well inside the default deadline
  assert.ok(allowed.ms < 1000, `allowed after ${allowed.ms} ms`);
}
