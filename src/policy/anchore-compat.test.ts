import assert from "node:assert/strict";
import { test } from "node:test";
import { readCorpusJson, skipWithoutCorpus } from "../../test/support/corpus.js";
import { factsFor, TEST_NOW } from "../../test/support/gates.js";
import type { ImageFacts, Vulnerability } from "../model/index.js";
import { compileBundle } from "./compile-bundle.js";
import { evaluate } from "./evaluate.js";

const LARGE = "policies/anchore/anchore-engine_bundle-large_whitelist.json";
const ALL_RULES = "policies/anchore/anchore-engine_bundle-with-all-rules-2020-08-20.json";
const DEFAULT = "policies/anchore/anchore-engine_default_bundle.json";

function vuln(
  id: string,
  name: string,
  type: string,
  severity: Vulnerability["severity"],
  path?: string,
): Vulnerability {
  return {
    id,
    package: { name, version: "1.0", type, ...(path ? { path } : {}) },
    severity,
    fix: { state: "not-fixed", versions: [] },
    url: `https://example.test/${id}`,
  };
}

function compileCorpus(file: string) {
  const { compiled, problems } = compileBundle(readCorpusJson(file));
  assert.ok(compiled, problems.map((p) => p.message).join("\n"));
  return compiled;
}

test("large_whitelist: its CVE+package items suppress what they suppressed in anchore-engine", {
  skip: skipWithoutCorpus(LARGE),
}, () => {
  const facts = factsFor({
    vulnerabilities: [
      vuln("CVE-2017-12481", "p7zip", "dpkg", "medium"), // wl_jessie/wl_stretch: CVE-2017-12481+*
      vuln("RHSA-2017:1095", "bind-license", "rpm", "low"), // wl_centos: RHSA-2017:1095+bind-license
      vuln("RHSA-2017:1095", "bind-utils", "rpm", "low"), // same advisory, other package: not listed
      vuln("CVE-2014-9939", "libbinutils", "dpkg", "low"), // wl_jessie's CVE-2014-9939+* comes before list "0"
      vuln("CVE-2099-0001", "openssl", "dpkg", "medium"), // listed nowhere
    ],
    provenance: [{ source: "test", dbUpdatedAt: "2026-10-31T12:00:00Z" }],
  });
  const d = evaluate(compileCorpus(LARGE), facts, {
    now: TEST_NOW,
    imageRef: "docker.io/library/debian:stretch",
  });
  const byId = new Map<string, string | undefined>();
  for (const r of d.results.filter((r) => r.gate === "vulnerabilities" && r.trigger === "package")) {
    byId.set(r.triggerId, r.allowlisted ? `${r.allowlisted.allowlistId}/${r.allowlisted.itemId}` : undefined);
  }
  assert.match(
    byId.get("CVE-2017-12481+p7zip") ?? "",
    /^wl_jessie\//,
    "first allowlist of the mapping that matches",
  );
  assert.match(
    byId.get("RHSA-2017:1095+bind-license") ?? "",
    /^wl_centos\/ecf7ce9d-5031-4f58-ab03-ebc656c78194$/,
  );
  assert.equal(byId.get("RHSA-2017:1095+bind-utils"), undefined);
  assert.match(byId.get("CVE-2014-9939+libbinutils") ?? "", /^wl_jessie\//);
  assert.equal(byId.get("CVE-2099-0001+openssl"), undefined);
  // Three package rules (WARN, STOP, STOP) fire for each finding; only the unlisted ones still count.
  assert.equal(d.finalAction, "stop");
  const counting = d.results.filter((r) => r.trigger === "package" && !r.allowlisted).map((r) => r.triggerId);
  assert.deepEqual([...new Set(counting)].sort(), ["CVE-2099-0001+openssl", "RHSA-2017:1095+bind-utils"]);
});

test("bundle-with-all-rules: all 38 rules evaluate against rich facts without crashing", {
  skip: skipWithoutCorpus(ALL_RULES),
}, () => {
  const facts: ImageFacts = factsFor({
    ref: { registry: "docker.io", repository: "library/alpine", tag: "3.18" },
    config: { user: "root", exposedPorts: ["443/tcp"] },
    dockerfile: {
      mode: "guessed",
      instructions: [
        { directive: "FROM", value: "scratch" },
        { directive: "EXPOSE", value: "443 8080" },
        { directive: "CMD", value: '["/bin/sh"]' },
      ],
    },
    distro: { name: "alpine", version: "3.18" },
    platform: { os: "linux", architecture: "amd64" },
    layers: [{ digest: "sha256:aa", size: 3 }],
    size: 3,
    packages: [
      { name: "musl", version: "1.2.4-r1", type: "apk", licenses: ["MIT"] },
      { name: "libssl3", version: "3.1.1-r1", type: "apk", licenses: ["Apache-2.0", "BSD-2-Clause"] },
    ],
    vulnerabilities: [vuln("CVE-2019-1234", "libssl3", "apk", "high")],
    files: [
      { path: "/bin/ping", mode: 0o104755 },
      { path: "/etc/ssl/cert.pem", mode: 0o100644 },
    ],
    passwd: "root:x:0:0:root:/root:/bin/ash\nnobody:x:65534:65534:nobody:/:/sbin/nologin\n",
    secrets: [],
    provenance: [{ source: "test", dbUpdatedAt: "2026-10-30T00:00:00Z" }],
  });
  const d = evaluate(compileCorpus(ALL_RULES), facts, {
    now: TEST_NOW,
    imageRef: "docker.io/library/alpine:3.18",
  });
  const errors = d.results.filter((r) => r.status === "error");
  // The bundle's files/name_match regex "*\.pem" is not a valid regular expression: anchore-engine fails that
  // rule at evaluation too. It must be the only rule that errors.
  assert.deepEqual(
    errors.map((r) => `${r.gate}/${r.trigger}`),
    ["files/name_match"],
  );
  const fired = new Set(d.results.map((r) => `${r.gate}/${r.trigger}`));
  for (const expected of [
    "dockerfile/no_dockerfile_provided",
    "dockerfile/exposed_ports",
    "dockerfile/effective_user",
    "files/suid_or_guid_set",
    "licenses/blacklist_partial_match",
    "vulnerabilities/package",
    "vulnerabilities/blacklist",
    "packages/required_package",
    "npms/feed_data_unavailable",
    "ruby_gems/feed_data_unavailable",
    "retrieved_files/content_not_available",
  ]) {
    assert.ok(fired.has(expected), `${expected} should fire; fired: ${[...fired].join(", ")}`);
  }
  // alpine:latest is the bundle's whitelisted image; this is alpine:3.18, so the policy decides.
  assert.equal(d.reason, "policy_evaluation");
});

test("anchore's own default bundle gives anchore's messages and trigger ids", {
  skip: skipWithoutCorpus(DEFAULT),
}, () => {
  const facts = factsFor({
    dockerfile: {
      mode: "guessed",
      instructions: [
        { directive: "FROM", value: "debian" },
        { directive: "EXPOSE", value: "22" },
      ],
    },
    vulnerabilities: [],
    provenance: [{ source: "test", dbUpdatedAt: "2026-10-31T00:00:00Z" }],
  });
  const d = evaluate(compileCorpus(DEFAULT), facts, {
    now: TEST_NOW,
    imageRef: "docker.io/library/test:1.0",
  });
  const healthcheck = d.results.find((r) => r.trigger === "instruction");
  // Row seen in real anchore-engine output (corpus scanners/anchore-engine/policy-eval/enterprise_one_check.json).
  assert.equal(
    healthcheck?.message,
    "Dockerfile directive 'HEALTHCHECK' not found, matching condition 'not_exists' check",
  );
  assert.equal(healthcheck?.triggerId, "41cb7cdf04850e33a11f80c42bf660b3");
  assert.ok(d.results.some((r) => r.trigger === "exposed_ports" && r.effectiveAction === "stop"));
  assert.equal(d.finalAction, "stop");
});
