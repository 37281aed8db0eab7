import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { bundleOfRules } from "../support/one-rule-bundle.js";
import { AUTH, admissionAnswer, podReview, serveConfig } from "./support/serve-fixtures.js";
import { type RunningServe, startServe } from "./support/serve-harness.js";

// `cipolice serve` with two bundles in force: every image is decided by each, and each bundle's decision is
// stored as its own record, so GET /v1/decisions (and the dashboard) show why each bundle decided as it did.
// Both rules read the reference alone, so no registry is asked.
const IMAGE = "registry.example/team/app:latest";

interface StoredDecision {
  decisionId: string;
  image: string;
  outcome: string;
  origin: string;
  decision?: { decisionId: string; status: string; bundle: { id: string } };
}

describe("cipolice serve with two bundles", () => {
  let dir: string;
  let serve: RunningServe;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "cipolice-two-bundles-"));
    const naming = join(dir, "naming.json");
    const registries = join(dir, "registries.json");
    await writeFile(naming, JSON.stringify(bundleOfRules("naming", [["image_source", "tag_latest"]])));
    await writeFile(
      registries,
      JSON.stringify(
        bundleOfRules("registries", [["image_source", "registry_denied", { registries: "evil.example" }]]),
      ),
    );
    serve = await startServe({ config: { ...serveConfig(naming), policies: [naming, registries] } });
  });

  after(async () => {
    await serve?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test("an admission is decided by both bundles, and each bundle's decision is stored with its own id", async () => {
    const answer = await serve.request("POST", "/k8s/admission", podReview("default", [IMAGE]));
    assert.equal(answer.status, 200, answer.text);
    const response = admissionAnswer(answer.json);
    assert.equal(response.allowed, false, "the naming bundle denies latest");

    const listed = await serve.request(
      "GET",
      `/v1/decisions?image=${encodeURIComponent(IMAGE)}`,
      undefined,
      AUTH,
    );
    assert.equal(listed.status, 200, listed.text);
    const records = (listed.json as { decisions: StoredDecision[] }).decisions.filter(
      (d) => d.origin === "admission",
    );
    const byBundle = new Map(records.map((r) => [r.decision?.bundle.id, r]));
    assert.deepEqual([...byBundle.keys()].sort(), ["naming", "registries"], listed.text);
    assert.equal(byBundle.get("naming")?.decision?.status, "fail");
    assert.equal(byBundle.get("registries")?.decision?.status, "pass");
    // The image's outcome is the same on both; each record is found by its own decision's id
    for (const r of records) {
      assert.equal(r.outcome, "fail");
      assert.equal(r.decisionId, r.decision?.decisionId);
    }
    assert.notEqual(byBundle.get("naming")?.decisionId, byBundle.get("registries")?.decisionId);
  });
});
