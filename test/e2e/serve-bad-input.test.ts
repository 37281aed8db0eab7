import assert from "node:assert/strict";
import { mkdtemp, readFile, rename, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { REPO_ROOT } from "../support/corpus.js";
import {
  AUTH,
  admissionAnswer,
  EXAMPLE_REGISTRY_PLACEHOLDER,
  podReview,
  serveConfig,
  trivyReport,
} from "./support/serve-fixtures.js";
import { type RunningServe, type ServeResponse, startServe, waitForLog } from "./support/serve-harness.js";

// Nothing listens here: every image below is pinned by digest or denied by name, so no registry is asked
const REGISTRY = "127.0.0.1:9";
const ADMISSION_LIMIT = 64 * 1024;
const DIGEST = `sha256:${"5".repeat(64)}`;
const IMAGE = `${REGISTRY}/web/app@${DIGEST}`;
// Denied by the example bundle's naming rule; with that rule made a warning, allowed (fail mode open in dev)
const BADLY_NAMED = `${REGISTRY}/misc/thing@${DIGEST}`;

let serve: RunningServe | undefined;
let dir: string | undefined;
/** The policy path the server reads: a symlink, as a Kubernetes ConfigMap mounts files. */
let policyLink = "";
let bundleText = "";

function server(): RunningServe {
  assert.ok(serve, "cipolice serve did not start");
  return serve;
}

function errorOf(answer: ServeResponse): { code: string; message: string; hint?: string } {
  const body = answer.json as { error?: { code: string; message: string; hint?: string } };
  assert.ok(body?.error, `expected an error body, got ${answer.text.slice(0, 300)}`);
  return body.error;
}

/** What `/v1/evaluate` says of {@link IMAGE} in prod: the outcome and why. */
async function evaluateImage(): Promise<{ outcome: string; reason?: string }> {
  const answer = await server().request("POST", "/v1/evaluate", { image: IMAGE, namespace: "prod" }, AUTH);
  assert.equal(answer.status, 200, answer.text);
  return answer.json as { outcome: string; reason?: string };
}

/** The bundle digests and reload error `/readyz` shows. */
async function readiness(): Promise<{ digests: string[]; reloadError?: string; status: number }> {
  const answer = await server().request("GET", "/readyz");
  const policies = (answer.json as { policies: { bundles: { digest: string }[]; reloadError?: string } })
    .policies;
  return {
    status: answer.status,
    digests: policies.bundles.map((b) => b.digest),
    ...(policies.reloadError ? { reloadError: policies.reloadError } : {}),
  };
}

/** Polls `/readyz` until `done` (at most 5 s; file watches settle in a few hundred ms). */
async function readinessUntil(done: (r: Awaited<ReturnType<typeof readiness>>) => boolean) {
  const started = performance.now();
  for (;;) {
    const state = await readiness();
    if (done(state) || performance.now() - started > 5000) return state;
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function admitBadlyNamed(): Promise<ReturnType<typeof admissionAnswer>> {
  const answer = await server().request("POST", "/k8s/admission", podReview("dev", [BADLY_NAMED]));
  assert.equal(answer.status, 200, answer.text);
  return admissionAnswer(answer.json);
}

describe("cipolice serve refuses bad input clearly and keeps working", () => {
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "cipolice-bad-input-"));
    const source = await readFile(join(REPO_ROOT, "policies", "admission-example.yaml"), "utf8");
    bundleText = source.replaceAll(EXAMPLE_REGISTRY_PLACEHOLDER, REGISTRY);
    await writeFile(join(dir, "v1.yaml"), bundleText);
    policyLink = join(dir, "admission.yaml");
    await symlink(join(dir, "v1.yaml"), policyLink);
    serve = await startServe({
      config: serveConfig(policyLink, {
        store: { type: "sqlite" },
        limits: { admissionBodyBytes: ADMISSION_LIMIT },
        admission: { failModes: [{ namespaces: ["dev"], mode: "open" }] },
      }),
    });
  });

  after(async () => {
    await serve?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test("malformed JSON: 400 saying where", async () => {
    const answer = await server().request(
      "POST",
      "/k8s/admission",
      '{"apiVersion": "admission.k8s.io/v1", "kind": ',
    );
    assert.equal(answer.status, 400, answer.text);
    const error = errorOf(answer);
    assert.equal(error.code, "CIP_REQUEST_INVALID");
    assert.match(error.message, /not valid JSON \(line 1, column \d+\)/);
    const empty = await server().request("POST", "/k8s/imagereview", "");
    assert.equal(empty.status, 400, empty.text);
    assert.match(errorOf(empty).message, /empty/);
  });

  test("an AdmissionReview without request: 400 naming the field", async () => {
    const answer = await server().request("POST", "/k8s/admission", {
      apiVersion: "admission.k8s.io/v1",
      kind: "AdmissionReview",
    });
    assert.equal(answer.status, 400, answer.text);
    const error = errorOf(answer);
    assert.equal(error.code, "CIP_REQUEST_INVALID");
    assert.match(error.message, /\brequest\b/);
  });

  test("a kind CIPolicE does not inspect (ConfigMap): allowed, and the log says it was not inspected", async () => {
    const uid = "configmap-uid-1";
    const answer = await server().request("POST", "/k8s/admission", {
      apiVersion: "admission.k8s.io/v1",
      kind: "AdmissionReview",
      request: {
        uid,
        kind: { group: "", version: "v1", kind: "ConfigMap" },
        resource: { group: "", version: "v1", resource: "configmaps" },
        operation: "CREATE",
        namespace: "prod",
        object: { metadata: { name: "settings" }, data: { image: "nginx:latest" } },
      },
    });
    assert.equal(answer.status, 200, answer.text);
    const response = admissionAnswer(answer.json);
    assert.equal(response.uid, uid);
    assert.equal(response.allowed, true);
    const logged = await waitForLog(server(), "without inspection", (l) => l.uid === uid);
    assert.equal(logged.length, 1, server().logs().slice(-2000));
    assert.equal(logged[0]?.kind, "ConfigMap");
  });

  test("a body over limits.admissionBodyBytes: 413", async () => {
    const review = podReview("prod", [IMAGE]);
    (review.request as { object: Record<string, unknown> }).object.padding = "x".repeat(ADMISSION_LIMIT);
    const answer = await server().request("POST", "/k8s/admission", review);
    assert.equal(answer.status, 413, answer.text);
    assert.equal(errorOf(answer).code, "CIP_INPUT_TOO_LARGE");
    // Still serving
    const after = await server().request("POST", "/k8s/admission", podReview("prod", ["nginx:latest"]));
    assert.equal(after.status, 200, after.text);
  });

  test("a push without a token or with a wrong one: 401 with WWW-Authenticate, and nothing stored", async () => {
    const report = trivyReport(IMAGE, DIGEST, "CVE-2099-5555");
    const path = `/v1/images/${DIGEST}/reports?name=trivy`;
    const attempts: Record<string, string>[] = [
      {},
      { authorization: "Bearer wrong-token" },
      { authorization: "Basic Y2k6Y2k=" },
    ];
    for (const headers of attempts) {
      const answer = await server().request("PUT", path, report, headers);
      assert.equal(answer.status, 401, answer.text);
      assert.match(String(answer.headers["www-authenticate"]), /^Bearer/);
      assert.equal(errorOf(answer).code, "CIP_UNAUTHORIZED");
    }
    const after = await evaluateImage();
    assert.equal(after.outcome, "unknown");
    assert.match(after.reason ?? "", /no scan data/);
  });

  test("a push of something that is not a report: 400, and nothing stored", async () => {
    const path = `/v1/images/${DIGEST}/reports`;
    const cases: { query: string; body: string }[] = [
      { query: "?name=trivy", body: JSON.stringify({ hello: "world" }) },
      { query: "", body: "this is not a report at all" },
      { query: "?format=trivy", body: JSON.stringify({ SchemaVersion: 2, Results: "not a list" }) },
      {
        query: "?format=facts",
        body: JSON.stringify({ schemaVersion: "1", image: IMAGE, vulnerabilities: [{}] }),
      },
    ];
    for (const { query, body } of cases) {
      const answer = await server().request("PUT", `${path}${query}`, body, AUTH);
      assert.equal(answer.status, 400, `${query} ${body.slice(0, 60)}: ${answer.status} ${answer.text}`);
      assert.match(errorOf(answer).message, /^Cannot /);
    }
    const notDigest = await server().request(
      "PUT",
      "/v1/images/latest/reports",
      JSON.stringify(trivyReport(IMAGE, DIGEST)),
      AUTH,
    );
    assert.equal(notDigest.status, 400, notDigest.text);
    const after = await evaluateImage();
    assert.equal(after.outcome, "unknown");
    assert.match(after.reason ?? "", /no scan data/);
  });

  test("an invalid bundle written over the policy file: the old one stays, /readyz says why; a valid one reloads (file watch, then SIGHUP)", async () => {
    const before = await readiness();
    assert.equal(before.status, 200);
    assert.equal(before.reloadError, undefined);
    const deniedBefore = await admitBadlyNamed();
    assert.equal(deniedBefore.allowed, false);
    assert.match(deniedBefore.status?.message ?? "", /image_source\/repository_name/);

    // Written through the link into the file the server watches
    await writeFile(policyLink, bundleText.replace("trigger: tag_latest", "trigger: no_such_trigger"));
    const broken = await readinessUntil((r) => r.reloadError !== undefined);
    assert.match(broken.reloadError ?? "", /Cannot use policy bundle .*admission\.yaml/);
    assert.match(broken.reloadError ?? "", /no_such_trigger/, "readiness names the problem");
    assert.equal(broken.status, 200, "the old bundle still serves");
    assert.deepEqual(broken.digests, before.digests);
    const deniedDuring = await admitBadlyNamed();
    assert.equal(deniedDuring.allowed, false);
    assert.equal(deniedDuring.status?.message, deniedBefore.status?.message);
    const logged = await waitForLog(server(), "policy reload failed");
    assert.ok(logged.length >= 1, server().logs().slice(-2000));
    assert.match(JSON.stringify(logged[0]), /no_such_trigger/, "the log names the problem");

    // A valid bundle written again: reloaded by the file watch; the naming rule is now only a warning
    const relaxed = bundleText.replace(
      /(- id: repository-naming\n\s+gate: image_source\n\s+trigger: repository_name\n\s+action: )STOP/,
      "$1WARN",
    );
    assert.notEqual(
      relaxed,
      bundleText,
      "the example bundle's naming rule is no longer where the test expects it",
    );
    // Saved as editors do: a new file renamed over the old one (a new inode, which the server watches again)
    await writeFile(join(dir ?? "", "v1.yaml.tmp"), relaxed);
    await rename(join(dir ?? "", "v1.yaml.tmp"), join(dir ?? "", "v1.yaml"));
    const reloaded = await readinessUntil(
      (r) => r.reloadError === undefined && r.digests[0] !== before.digests[0],
    );
    assert.equal(reloaded.reloadError, undefined);
    assert.notDeepEqual(reloaded.digests, before.digests);
    const allowedNow = await admitBadlyNamed();
    assert.equal(allowedNow.allowed, true, JSON.stringify(allowedNow));
    assert.ok(
      allowedNow.warnings?.some((w) => /fail mode open.*no scan data/.test(w)),
      JSON.stringify(allowedNow),
    );

    // The link swapped to another file, as a ConfigMap update does: no write to the watched file, so SIGHUP
    await writeFile(join(dir ?? "", "v2.yaml"), bundleText);
    await symlink(join(dir ?? "", "v2.yaml"), `${policyLink}.new`);
    await rename(`${policyLink}.new`, policyLink);
    server().kill("SIGHUP");
    const hup = await readinessUntil((r) => r.digests[0] === before.digests[0]);
    assert.deepEqual(hup.digests, before.digests);
    const deniedAgain = await admitBadlyNamed();
    assert.equal(deniedAgain.allowed, false);
    assert.match(deniedAgain.status?.message ?? "", /image_source\/repository_name/);
  });
});
