import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { skipWithoutCorpus } from "../support/corpus.js";
import { runCli } from "../support/run-cli.js";

const TRIVY_ALPINE = "scanners/trivy/upstream/alpine-310.json";
const NOW = ["--now", "2026-11-22T00:00:00Z"];
const scratch = mkdtempSync(join(tmpdir(), "cipolice-unused-"));

// An Anchore v1_0 bundle: medium or worse stops; the allowlist has a used item, a bare CVE and an unused one.
const BUNDLE = {
  id: "unused-test",
  version: "1_0",
  policies: [
    {
      id: "vulns",
      version: "1_0",
      rules: [
        {
          id: "r1",
          gate: "vulnerabilities",
          trigger: "package",
          action: "STOP",
          params: [
            { name: "package_type", value: "all" },
            { name: "severity_comparison", value: ">=" },
            { name: "severity", value: "medium" },
          ],
        },
      ],
    },
  ],
  whitelists: [
    {
      id: "wl",
      version: "1_0",
      items: [
        { id: "used", gate: "vulnerabilities", trigger_id: "CVE-2019-1549+libssl1.1" },
        { id: "bare", gate: "vulnerabilities", trigger_id: "CVE-2019-1551" },
        { id: "gone", gate: "vulnerabilities", trigger_id: "CVE-2099-0001+musl" },
      ],
    },
  ],
  mappings: [
    {
      registry: "*",
      repository: "*",
      image: { type: "tag", value: "*" },
      policy_ids: ["vulns"],
      whitelist_ids: ["wl"],
    },
  ],
};

test("allowlist items that suppressed nothing are listed; a bare CVE id is explained as anchore-engine would", {
  skip: skipWithoutCorpus(TRIVY_ALPINE),
}, () => {
  const policy = join(scratch, "bundle.json");
  writeFileSync(policy, JSON.stringify(BUNDLE));
  const run = runCli(["check", "--report", `../shared/corpus/${TRIVY_ALPINE}`, "--policy", policy, ...NOW]);
  assert.equal(run.status, 1, "the bare CVE-2019-1551 item matches nothing, so its hits still stop");
  assert.match(
    unwrap(run.stdout),
    /allowlist "wl" item "bare": trigger_id "CVE-2019-1551" matches nothing, since anchore trigger ids are CVE\+package, e\.g\. CVE-2019-1551\+musl/,
  );
  assert.match(unwrap(run.stdout), /allowlist "wl": 1 of 3 items suppressed no hit of this image: "gone"/);
  assert.ok(
    !/"used"/.test(
      run.stdout
        .split("\n")
        .filter((l) => l.includes("suppressed no hit"))
        .join("\n"),
    ),
  );
});

test("VEX statements that matched nothing are noted too", () => {
  const vex = join(scratch, "vex.json");
  writeFileSync(
    vex,
    JSON.stringify({
      "@context": "https://openvex.dev/ns/v0.2.0",
      "@id": "https://example.test/vex/unused",
      author: "test",
      timestamp: "2026-01-01T00:00:00Z",
      version: 1,
      statements: [
        {
          vulnerability: { name: "CVE-2099-0002" },
          products: [{ "@id": "pkg:npm/semver" }],
          status: "not_affected",
          justification: "component_not_present",
        },
      ],
    }),
  );
  const run = runCli(["check", "--facts", "examples/webapp.facts.json", ...NOW, "--vex", vex]);
  assert.match(unwrap(run.stdout), /1 of 1 statements of VEX document https:\/\/example\.test\/vex\/unused/);
});

/** The table wraps long notes onto indented lines: join them back for matching. */
function unwrap(text: string): string {
  return text.replace(/\n {2}/g, " ");
}
