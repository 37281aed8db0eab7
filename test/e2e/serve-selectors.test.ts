import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { bundleOfRules } from "../support/one-rule-bundle.js";
import { admissionAnswer, podReview, serveConfig } from "./support/serve-fixtures.js";
import { type RunningServe, startServe } from "./support/serve-harness.js";

// The rule reads the reference alone, so no registry is asked for this image
const IMAGE = "registry.example/app:latest";
const PROFILE = "cipolice.io/profile";

/**
 * Mappings, first match wins: namespaces labelled `tier: prod*`, pods annotated `cipolice.io/profile:
 * strict` and the namespace named `locked` get the policy that denies `latest`; everything else an empty one.
 */
function selectorBundle(): Record<string, unknown> {
  const bundle = bundleOfRules("selectors", [["image_source", "tag_latest"]]);
  const any = { registry: "*", repository: "*", image: { type: "tag", value: "*" } };
  return {
    ...bundle,
    policies: [...(bundle.policies as unknown[]), { id: "allow", version: "1_0", rules: [] }],
    mappings: [
      { ...any, id: "prod", policy_ids: ["selectors-policy"], namespace_labels: { tier: "prod*" } },
      { ...any, id: "strict", policy_ids: ["selectors-policy"], annotations: { [PROFILE]: "strict" } },
      {
        ...any,
        id: "by-name",
        policy_ids: ["selectors-policy"],
        namespace_labels: { "kubernetes.io/metadata.name": "locked" },
      },
      { ...any, id: "default", policy_ids: ["allow"] },
    ],
  };
}

let serve: RunningServe | undefined;
let dir: string | undefined;

function server(): RunningServe {
  assert.ok(serve, "cipolice serve did not start");
  return serve;
}

/** Whether admission allows a Pod running {@link IMAGE} in `namespace`, with the pod annotations given. */
async function admitted(namespace: string, annotations?: Record<string, string>): Promise<boolean> {
  const review = podReview(namespace, [IMAGE]);
  if (annotations) {
    const object = (review.request as { object: { metadata: Record<string, unknown> } }).object;
    object.metadata.annotations = annotations;
  }
  const answer = await server().request("POST", "/k8s/admission", review);
  assert.equal(answer.status, 200, answer.text);
  return admissionAnswer(answer.json).allowed;
}

/** Whether the ImagePolicyWebhook route allows {@link IMAGE} in `namespace` with `spec.annotations`. */
async function imageReviewAllowed(namespace: string, annotations: Record<string, string>): Promise<boolean> {
  const answer = await server().request("POST", "/k8s/imagereview", {
    apiVersion: "imagepolicy.k8s.io/v1alpha1",
    kind: "ImageReview",
    spec: { containers: [{ image: IMAGE }], namespace, annotations },
  });
  assert.equal(answer.status, 200, answer.text);
  return (answer.json as { status: { allowed: boolean } }).status.allowed;
}

describe("cipolice serve selects mappings by namespace labels and pod annotations", () => {
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "cipolice-selectors-"));
    const policy = join(dir, "selectors.json");
    await writeFile(policy, JSON.stringify(selectorBundle()));
    serve = await startServe({
      config: serveConfig(policy, {
        admission: { namespaceLabels: { payments: { tier: "production" }, sandbox: { tier: "dev" } } },
      }),
    });
  });

  after(async () => {
    await serve?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test("a namespace the configuration labels tier: production denies latest; sandbox allows it", async () => {
    assert.equal(await admitted("payments"), false);
    assert.equal(await admitted("sandbox"), true);
    // Asked again: the cached answers stay apart by labels
    assert.equal(await admitted("payments"), false);
    assert.equal(await admitted("sandbox"), true);
  });

  test("a namespace the configuration does not know has its name label only, as Kubernetes sets it", async () => {
    assert.equal(await admitted("unlisted"), true);
    assert.equal(await admitted("locked"), false);
  });

  test("the pod annotation cipolice.io/profile: strict selects the strict mapping; without it, allowed", async () => {
    assert.equal(await admitted("sandbox", { [PROFILE]: "strict" }), false);
    assert.equal(await admitted("sandbox", { [PROFILE]: "relaxed" }), true);
    assert.equal(await admitted("sandbox"), true);
  });

  test("a Deployment's pod template annotations select the same way", async () => {
    const review = podReview("sandbox", [IMAGE]);
    const request = review.request as Record<string, unknown>;
    const pod = request.object as { spec: unknown };
    request.kind = { group: "apps", version: "v1", kind: "Deployment" };
    request.resource = { group: "apps", version: "v1", resource: "deployments" };
    request.object = {
      metadata: { name: "web" },
      spec: { template: { metadata: { annotations: { [PROFILE]: "strict" } }, spec: pod.spec } },
    };
    const answer = await server().request("POST", "/k8s/admission", review);
    assert.equal(answer.status, 200, answer.text);
    assert.equal(admissionAnswer(answer.json).allowed, false);
  });

  test("an ImageReview's spec.annotations and namespace select the same way", async () => {
    assert.equal(await imageReviewAllowed("sandbox", { [PROFILE]: "strict" }), false);
    assert.equal(await imageReviewAllowed("sandbox", {}), true);
    assert.equal(await imageReviewAllowed("payments", {}), false);
  });
});
