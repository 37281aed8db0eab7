import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { XMLValidator } from "fast-xml-parser";
import { parse as parseYaml } from "yaml";
import type { DecisionV1, ImageFacts } from "../../src/model/index.js";
import { corpusPath, REPO_ROOT, readCorpusJson, skipWithoutCorpus } from "../support/corpus.js";
import { gitlabValidator, sarifValidator } from "../support/report-schemas.js";
import { runCli } from "../support/run-cli.js";

// Clair v4 reports name their image only by `manifest_hash`: the image is checked as that digest.
const REPORTS = [
  "scanners/clair-v4/clair-action_quay-rhel8.json",
  "scanners/clair-v4/clair-action_report-with-vulns.json",
];
const NOW = ["--now", "2026-11-22T00:00:00Z"];
const work = mkdtempSync(join(tmpdir(), "cip-digest-only-"));
after(() => rmSync(work, { recursive: true, force: true }));

interface ClairReport {
  manifest_hash: string;
  packages: Record<string, { name: string }>;
  vulnerabilities: Record<string, { normalized_severity?: string; fixed_in_version?: string }>;
  package_vulnerabilities: Record<string, string[]>;
  enrichments?: Record<string, unknown>;
}

/**
 * What the default bundle must decide on a Clair v4 report, read from the report itself: a critical
 * vulnerability with a fix stops; a high one with a fix, or a high or critical one without, warns. Nothing
 * else can stop: a Clair report carries no image config (runs_as_root has no data) and the image is pinned
 * by its digest (tag_latest does not fire).
 */
function expectedFromReport(relative: string): { digest: string; stop: Set<string>; warn: Set<string> } {
  const report = readCorpusJson(relative) as ClairReport;
  // CVSS enrichments may raise a severity; these reports have none, so the normalized severity is the one used.
  assert.deepEqual(report.enrichments ?? {}, {}, `${relative}: expected no enrichments`);
  const stop = new Set<string>();
  const warn = new Set<string>();
  for (const [packageId, ids] of Object.entries(report.package_vulnerabilities)) {
    const name = report.packages[packageId]?.name ?? "";
    for (const id of ids) {
      const record = report.vulnerabilities[id];
      const severity = (record?.normalized_severity ?? "").toLowerCase();
      const fixed = (record?.fixed_in_version ?? "") !== "";
      if (severity === "critical" && fixed) stop.add(name);
      else if (severity === "high" || severity === "critical") warn.add(name);
    }
  }
  return { digest: report.manifest_hash, stop, warn };
}

function check(args: string[]): { status: number | null; stdout: string; stderr: string } {
  return runCli(["check", ...args, ...NOW]);
}

function decisionOf(args: string[]): { status: number | null; decision: DecisionV1; stderr: string } {
  const run = check([...args, "--format", "json"]);
  assert.ok(run.status === 0 || run.status === 1, `exit ${run.status}: ${run.stderr}`);
  return { status: run.status, decision: JSON.parse(run.stdout) as DecisionV1, stderr: run.stderr };
}

/** Package names of the vulnerability hits with the given effective action. */
function vulnerablePackages(d: DecisionV1, action: "stop" | "warn"): Set<string> {
  return new Set(
    d.results
      .filter((r) => r.gate === "vulnerabilities" && r.trigger === "package" && r.effectiveAction === action)
      .map((r) => r.triggerId.slice(r.triggerId.indexOf("+") + 1)),
  );
}

/** The shipped default bundle with its mappings, allowlists or image lists changed, written as JSON. */
function bundleFile(name: string, change: (bundle: Record<string, unknown>) => void): string {
  const bundle = parseYaml(readFileSync(join(REPO_ROOT, "policies/default-bundle.yaml"), "utf8")) as Record<
    string,
    unknown
  >;
  change(bundle);
  const file = join(work, `${name}.json`);
  writeFileSync(file, JSON.stringify(bundle));
  return file;
}

const ALL = { registry: "*", repository: "*", image: { type: "tag", value: "*" } };

for (const relative of REPORTS) {
  describe(`check --report ${relative.split("/").pop()} (Clair v4, digest only)`, {
    skip: skipWithoutCorpus(relative),
  }, () => {
    const report = corpusPath(relative);

    test("the default bundle decides on the report's findings, as the image with that digest", () => {
      const expected = expectedFromReport(relative);
      const { status, decision: d } = decisionOf(["--report", report]);
      assert.equal(status, expected.stop.size > 0 ? 1 : 0);
      assert.equal(d.image.ref, `@${expected.digest}`);
      assert.equal(d.image.digest, expected.digest);
      assert.equal(d.image.registry, "");
      assert.equal(d.image.repository, "");
      assert.equal(d.mapping?.name, "All images", "the default bundle's */* mapping selects it");
      assert.deepEqual(vulnerablePackages(d, "stop"), expected.stop);
      assert.deepEqual(vulnerablePackages(d, "warn"), expected.warn);
      assert.ok(!d.results.some((r) => r.trigger === "tag_latest"), "a digest is not the tag latest");
    });

    test("naming the image still names it, with the same verdict, and a digest mismatch warns", () => {
      const { digest } = expectedFromReport(relative);
      const byDigest = decisionOf(["--report", report]);
      const named = decisionOf([`registry.example.com/team/app@${digest}`, "--report", report]);
      assert.equal(named.decision.image.ref, `registry.example.com/team/app@${digest}`);
      assert.equal(named.status, byDigest.status);
      assert.deepEqual(
        named.decision.results.map((r) => r.triggerId),
        byDigest.decision.results.map((r) => r.triggerId),
      );
      assert.ok(!named.decision.problems.some((p) => p.code === "CIP_REPORT_IMAGE_MISMATCH"));
      const other = `sha256:${"0".repeat(64)}`;
      const mismatched = decisionOf([`registry.example.com/team/app@${other}`, "--report", report]);
      const warning = mismatched.decision.problems.find((p) => p.code === "CIP_REPORT_IMAGE_MISMATCH");
      assert.equal(warning?.level, "warning");
      assert.match(warning?.message ?? "", new RegExp(`about image digest ${digest}, not about`));
    });

    test("the table shows the digest and says that no repository is known", () => {
      const { digest } = expectedFromReport(relative);
      const run = check(["--report", report, "--format", "table"]);
      const first = run.stdout.split("\n").slice(0, 3).join(" ");
      assert.match(first, new RegExp(`^Image: +@${digest}`));
      assert.match(first, /digest only/);
      assert.ok(!/Image: +\//.test(run.stdout), "never a bare registry/repository separator");
    });

    test("every output format names the image by its digest and stays well-formed", () => {
      const { digest } = expectedFromReport(relative);
      const run = (format: string) => {
        const r = check(["--report", report, "--format", format]);
        assert.ok(r.status === 0 || r.status === 1, `${format}: exit ${r.status}: ${r.stderr}`);
        assert.ok(r.stdout.includes(`@${digest}`), `${format} shows @${digest}`);
        return r.stdout;
      };
      const sarif = JSON.parse(run("sarif")) as {
        runs: {
          automationDetails: { id: string };
          results: { locations: { physicalLocation: { artifactLocation: { uri: string } } }[] }[];
        }[];
      };
      const validateSarif = sarifValidator();
      assert.ok(validateSarif(sarif), JSON.stringify(validateSarif.errors, null, 2));
      for (const result of sarif.runs[0]?.results ?? []) {
        const uri = result.locations[0]?.physicalLocation.artifactLocation.uri ?? "";
        assert.notEqual(uri, "/");
        assert.ok(decodeURIComponent(uri).includes(digest), uri);
      }
      assert.ok(sarif.runs[0]?.automationDetails.id.startsWith(`cipolice/@${digest}/`));
      const validateGitlab = gitlabValidator();
      const gitlab = JSON.parse(run("gitlab")) as unknown;
      assert.ok(validateGitlab(gitlab), JSON.stringify(validateGitlab.errors, null, 2));
      const junit = run("junit");
      assert.equal(XMLValidator.validate(junit), true);
      assert.match(junit, new RegExp(`name="final action for @${digest}"`));
      assert.ok(!junit.includes('name="final action for /"'));
      JSON.parse(run("anchore"));
      assert.match(run("html"), /^<!DOCTYPE html>/i);
      run("markdown");
      assert.match(run("explain"), new RegExp(`^Decision \\S+ for @${digest},`));
    });

    test("cipolice facts prints a document that check --facts reads back and decides the same way", () => {
      const { digest } = expectedFromReport(relative);
      const printed = runCli(["facts", "--report", report]);
      assert.equal(printed.status, 0, printed.stderr);
      const facts = JSON.parse(printed.stdout) as ImageFacts;
      assert.deepEqual(facts.ref, { registry: "", repository: "", digest });
      const file = join(work, `${digest.slice(7, 19)}.facts.json`);
      writeFileSync(file, printed.stdout);
      const viaFacts = decisionOf(["--facts", file]);
      const viaReport = decisionOf(["--report", report]);
      assert.equal(viaFacts.status, viaReport.status);
      assert.equal(viaFacts.decision.image.ref, `@${digest}`);
      assert.deepEqual(
        viaFacts.decision.results.map((r) => r.triggerId),
        viaReport.decision.results.map((r) => r.triggerId),
      );
    });

    test("a mapping naming a registry does not select it, just as for any image it does not name", () => {
      const { digest } = expectedFromReport(relative);
      const policy = bundleFile("ghcr-only", (b) => {
        b.mappings = [
          { ...ALL, id: "ghcr", name: "ghcr only", registry: "ghcr.io", policy_ids: ["default-security"] },
        ];
      });
      const unnamed = check(["--report", report, "--policy", policy, "--format", "json"]);
      const elsewhere = check([
        `quay.io/team/app@${digest}`,
        "--report",
        report,
        "--policy",
        policy,
        "--format",
        "json",
      ]);
      assert.equal(unnamed.status, elsewhere.status, unnamed.stderr);
      const d = JSON.parse(unnamed.stdout) as DecisionV1;
      const other = JSON.parse(elsewhere.stdout) as DecisionV1;
      assert.equal(d.reason, "no_mapping");
      assert.equal(d.reason, other.reason);
      assert.equal(d.finalAction, other.finalAction);
      assert.equal(d.mapping, null);
      assert.deepEqual(d.results, []);
      assert.ok(
        d.problems.some((p) => p.message.includes(`selects @${digest}`)),
        JSON.stringify(d.problems),
      );
      // With a catch-all after it, the catch-all is chosen.
      const fallback = bundleFile("ghcr-then-all", (b) => {
        b.mappings = [
          { ...ALL, id: "ghcr", name: "ghcr only", registry: "ghcr.io", policy_ids: ["default-security"] },
          { ...ALL, id: "rest", name: "the rest", policy_ids: ["default-security"] },
        ];
      });
      assert.equal(decisionOf(["--report", report, "--policy", fallback]).decision.mapping?.name, "the rest");
    });

    test("a denied-images rule and an allowlist scope by digest still apply", () => {
      const { digest } = expectedFromReport(relative);
      const denied = bundleFile("deny-digest", (b) => {
        b.blacklisted_images = [
          { ...ALL, id: "bad", name: "bad build", image: { type: "digest", value: digest } },
        ];
      });
      const stopped = decisionOf(["--report", report, "--policy", denied]);
      assert.equal(stopped.status, 1);
      assert.equal(stopped.decision.reason, "denylisted");
      assert.equal(stopped.decision.deniedImage?.name, "bad build");
      const otherDigest = bundleFile("deny-other", (b) => {
        b.blacklisted_images = [
          { ...ALL, id: "bad", image: { type: "digest", value: `sha256:${"1".repeat(64)}` } },
        ];
      });
      assert.notEqual(
        decisionOf(["--report", report, "--policy", otherDigest]).decision.reason,
        "denylisted",
      );

      // Every hit allowlisted for this digest only: the image passes with nothing counted against it.
      const allowAll = (name: string, scopeDigest: string) =>
        bundleFile(name, (b) => {
          b.whitelists = [
            {
              id: "default-allowlist",
              name: "this build",
              version: "1_0",
              items: ["vulnerabilities", "expression"].map((gate) => ({
                id: `all-${gate}`,
                gate,
                trigger_id: "*",
                reason: "reviewed for this build",
                scope: { images: [`*@${scopeDigest}`] },
              })),
            },
          ];
        });
      const allowed = decisionOf(["--report", report, "--policy", allowAll("allow-digest", digest)]);
      assert.equal(allowed.status, 0);
      assert.equal(allowed.decision.finalAction, "go");
      assert.ok(allowed.decision.results.length > 0);
      assert.ok(allowed.decision.results.every((r) => r.allowlisted?.allowlistId === "default-allowlist"));
      // The same items scoped to another digest leave the hits counted.
      const elsewhere = allowAll("allow-other", `sha256:${"2".repeat(64)}`);
      const unscoped = decisionOf(["--report", report, "--policy", elsewhere]);
      assert.ok(unscoped.decision.results.some((r) => r.allowlisted === undefined));
    });
  });
}

test("a report with neither a name nor a usable digest is still refused, saying what it gave", () => {
  const file = join(work, "no-digest.json");
  writeFileSync(
    file,
    JSON.stringify({ manifest_hash: "sha256:1", packages: {}, package_vulnerabilities: {} }),
  );
  const run = check(["--report", file]);
  assert.equal(run.status, 2);
  assert.match(run.stderr, /CIP_USAGE: Cannot tell which image is being checked/);
  assert.match(run.stderr, /gives only the digest "sha256:1", which is not a valid image digest/);
});
