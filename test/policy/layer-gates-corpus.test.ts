import assert from "node:assert/strict";
import { test } from "node:test";
import type { GateSpec } from "../../src/policy/gate-types.js";
import { distroGate } from "../../src/policy/gates/distro.js";
import { filesGate } from "../../src/policy/gates/files.js";
import { licensesGate } from "../../src/policy/gates/licenses.js";
import { malwareGate } from "../../src/policy/gates/malware.js";
import { npmsGate } from "../../src/policy/gates/npms.js";
import { packagesGate } from "../../src/policy/gates/packages.js";
import { passwdFileGate } from "../../src/policy/gates/passwd-file.js";
import { retrievedFilesGate } from "../../src/policy/gates/retrieved-files.js";
import { rubyGemsGate } from "../../src/policy/gates/ruby-gems.js";
import { secretScansGate } from "../../src/policy/gates/secret-scans.js";
import { tagDriftGate } from "../../src/policy/gates/tag-drift.js";
import { readCorpusJson, skipWithoutCorpus } from "../support/corpus.js";
import { paramProblems } from "../support/gates.js";

const GATES = new Map<string, GateSpec>(
  [
    packagesGate,
    licensesGate,
    distroGate,
    filesGate,
    passwdFileGate,
    retrievedFilesGate,
    secretScansGate,
    malwareGate,
    npmsGate,
    rubyGemsGate,
    tagDriftGate,
  ].map((g) => [g.name, g as GateSpec]),
);

const BUNDLES = [
  "policies/anchore/anchore-engine_bundle-with-all-rules-2020-08-20.json",
  "policies/anchore/modular-policy_ironbank_v5.2.4_bundle.json",
  "policies/anchore/modular-policy_nist800-190_bundle.json",
  "policies/anchore/anchore-engine_bundle-large_whitelist.json",
];

interface Rule {
  id?: string;
  gate: string;
  trigger: string;
  params?: { name: string; value: string }[];
}

for (const bundle of BUNDLES) {
  test(`every packages/files/passwd/... rule of ${bundle.split("/").pop()} validates`, {
    skip: skipWithoutCorpus(bundle),
  }, () => {
    const doc = readCorpusJson(bundle) as { policies: { rules: Rule[] }[] };
    let checked = 0;
    for (const rule of doc.policies.flatMap((p) => p.rules)) {
      const gate = GATES.get(rule.gate.toLowerCase());
      if (!gate) continue;
      const params = Object.fromEntries((rule.params ?? []).map((p) => [p.name, p.value]));
      assert.deepEqual(
        paramProblems(gate, rule.trigger.toLowerCase(), params),
        [],
        `rule ${rule.id} ${rule.gate}/${rule.trigger}`,
      );
      checked++;
    }
    assert.ok(checked > 0, "the bundle has rules for these gates");
  });
}
