import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { bundleOfRules } from "../support/one-rule-bundle.js";
import { AUTH, admissionAnswer, podReview, serveConfig, trivyReport } from "./support/serve-fixtures.js";
import { type RunningServe, startServe, waitForLog } from "./support/serve-harness.js";

// Continuous re-evaluation in `cipolice serve`: an image admitted earlier is decided again when a report for its
// digest arrives and when the bundles change; the new decision is stored with origin `reevaluation`, and an
// image that passed and now fails is logged. No registry is involved: images are pinned to their digest.
const bundleAt = (severity: string) =>
  JSON.stringify(
    bundleOfRules(`no-${severity}`, [
      ["vulnerabilities", "package", { package_type: "all", severity_comparison: ">=", severity }],
    ]),
  );

describe("serve re-evaluates admitted images", () => {
  let dir: string;
  let bundle: string;
  let serve: RunningServe;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "cipolice-reeval-"));
    bundle = join(dir, "bundle.json");
    await writeFile(bundle, bundleAt("critical"));
    serve = await startServe({ config: serveConfig(bundle, { reevaluation: { intervalMinutes: 0 } }) });
  });

  after(async () => {
    await serve?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const digest = (c: string) => `sha256:${c.repeat(64)}`;
  const image = (d: string) => `registry.example/web/app@${d}`;
  async function push(d: string, cve?: string) {
    const answer = await serve.request(
      "PUT",
      `/v1/images/${d}/reports?name=trivy`,
      trivyReport("registry.example/web/app:1", d, cve),
      AUTH,
    );
    assert.equal(answer.status, 201, answer.text);
  }
  async function admit(d: string) {
    const answer = await serve.request("POST", "/k8s/admission", podReview("prod", [image(d)]));
    return admissionAnswer(answer.json);
  }
  async function reevaluated(d: string, outcome: string, timeoutMs = 10_000) {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const answer = await serve.request("GET", `/v1/decisions?digest=${d}&limit=20`, undefined, AUTH);
      const decisions = (answer.json as { decisions: { origin: string; outcome: string }[] }).decisions;
      if (decisions.some((x) => x.origin === "reevaluation" && x.outcome === outcome)) return;
      if (Date.now() > end)
        throw new Error(`no ${outcome} re-evaluation of ${d}: ${JSON.stringify(decisions)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  it("a report with a new critical finding re-decides an admitted image: stored as failed, logged", async () => {
    const d = digest("a");
    await push(d);
    assert.equal((await admit(d)).allowed, true);
    await push(d, "CVE-2026-0007");
    await reevaluated(d, "fail");
    // The log line reaches this process through the server's stdout, which may come after the stored decision
    const logged = await waitForLog(serve, "re-evaluated: an image that passed is now denied");
    assert.ok(
      logged.some((line) => line.digest === d),
      `no log line for ${d}: ${JSON.stringify(logged)}`,
    );
    // A new deployment is denied at once as well
    assert.equal((await admit(d)).allowed, false);
  });

  it("a bundle change re-decides every admitted image", async () => {
    const d = digest("b");
    await push(d);
    assert.equal((await admit(d)).allowed, true);
    // The LOW finding of the clean report now stops the image
    await writeFile(bundle, bundleAt("low"));
    await reevaluated(d, "fail", 15_000);
  });
});
