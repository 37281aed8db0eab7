import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { DecisionV1, ImageFacts } from "../../src/model/index.js";
import { checkImage } from "../../src/service/check-image.js";
import { gatherFacts } from "../../src/service/gather-facts.js";
import { loadBundle } from "../../src/service/load-bundle.js";
import { corpusPath, REPO_ROOT } from "./corpus.js";

/** Golden files live here; refresh them with UPDATE_GOLDEN=1 (then review the diff before committing). */
export const GOLDEN_ROOT = join(REPO_ROOT, "test/golden");

const NOW = new Date("2026-11-22T00:00:00Z");

/** A decision for golden tests: its name, what it was made from, and the decision (absent when its corpus file is). */
export interface GoldenDecision {
  name: string;
  description: string;
  decision?: DecisionV1;
  /** The facts the decision was made from (for formats that show installed versions, CVSS, the distro). */
  facts?: ImageFacts;
  skip: false | string;
}

/**
 * Fixed decisions made with the shipped default bundle at a fixed time: from real scanner reports of the
 * corpus (Trivy, Grype), from our failing example, and from our passing example with a VEX statement and
 * an allowlisted hit, so every format is exercised on stop, warn, go, allowlisted and VEX-suppressed rows.
 */
export function goldenDecisions(): GoldenDecision[] {
  const bundleText = readFileSync(join(REPO_ROOT, "policies/default-bundle.yaml"), "utf8");
  const bundle = loadBundle(bundleText, "policies/default-bundle.yaml");
  const withAllowlist = loadBundle(
    bundleText.replace(
      "    items: []",
      '    items:\n      - { id: semver-redos, gate: vulnerabilities, trigger_id: "CVE-2022-25883+*", reason: "not reachable", owner: web-team, expires_on: "2027-06-30T00:00:00Z" }',
    ),
    "default-bundle+allowlist",
  );
  const fromReport = (name: string, description: string, report: string): GoldenDecision => {
    const path = corpusPath(report);
    if (!existsSync(path)) return { name, description, skip: `corpus file ${report} not found` };
    const { facts, notes } = gatherFacts({
      reports: [{ text: readFileSync(path, "utf8"), source: report }],
      vex: [],
    });
    return {
      name,
      description,
      decision: checkImage(bundle, facts, { now: NOW, notes }),
      facts,
      skip: false,
    };
  };
  const fromFacts = (
    name: string,
    description: string,
    file: string,
    vex: string | undefined,
    b = bundle,
  ): GoldenDecision => {
    const { facts, notes } = gatherFacts({
      facts: { text: readFileSync(join(REPO_ROOT, file), "utf8"), source: file },
      reports: [],
      vex: vex ? [{ text: vex, source: "golden.vex.json" }] : [],
    });
    return { name, description, decision: checkImage(b, facts, { now: NOW, notes }), facts, skip: false };
  };
  return [
    fromReport(
      "trivy-alpine-310",
      "Trivy report of alpine 3.10 (corpus), default bundle",
      "scanners/trivy/upstream/alpine-310.json",
    ),
    fromReport(
      "grype-busybox",
      "Grype report of busybox 1.32.1 with EPSS and KEV (corpus), default bundle",
      "scanners/grype/defectdojo/many_vulns_with_epss_values.json",
    ),
    fromFacts(
      "legacy-app",
      "the failing example: root, :latest, a fixable critical",
      "examples/legacy-app.facts.json",
      undefined,
    ),
    fromFacts(
      "webapp-allowlisted",
      "the passing example with an allowlisted warning",
      "examples/webapp.facts.json",
      undefined,
      withAllowlist,
    ),
    fromFacts(
      "webapp-vex",
      "the passing example with a VEX not_affected statement",
      "examples/webapp.facts.json",
      GOLDEN_VEX,
    ),
  ];
}

/** Asserts `actual` equals the golden file `relative` (under test/golden), or writes it with UPDATE_GOLDEN=1. */
export function matchGolden(relative: string, actual: string): void {
  const path = join(GOLDEN_ROOT, relative);
  if (process.env.UPDATE_GOLDEN === "1") {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, actual);
    return;
  }
  assert.ok(
    existsSync(path),
    `golden file ${relative} is missing: run UPDATE_GOLDEN=1 npm run test:unit and review it`,
  );
  assert.equal(
    actual,
    readFileSync(path, "utf8"),
    `output differs from test/golden/${relative} (UPDATE_GOLDEN=1 refreshes it)`,
  );
}

const GOLDEN_VEX = JSON.stringify({
  "@context": "https://openvex.dev/ns/v0.2.0",
  "@id": "https://example.test/vex/webapp-1",
  author: "Example Security Team",
  timestamp: "2026-11-01T00:00:00Z",
  version: 1,
  statements: [
    {
      vulnerability: { name: "CVE-2022-25883" },
      products: [
        {
          "@id": "pkg:oci/webapp@sha256%3A4f1c1bbf2b1d0e6a7e1f3f0a9c2d7b8e5a6c3d2e1f0a9b8c7d6e5f4a3b2c1d0e",
          subcomponents: [{ "@id": "pkg:npm/semver@7.5.1" }],
        },
      ],
      status: "not_affected",
      justification: "vulnerable_code_not_in_execute_path",
    },
  ],
});
