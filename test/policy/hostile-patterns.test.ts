import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { ImageFacts } from "../../src/model/index.js";
import { compileBundle } from "../../src/policy/compile-bundle.js";
import { evaluate } from "../../src/policy/evaluate.js";
import type { GateSpec } from "../../src/policy/gate-types.js";
import { dockerfileGate } from "../../src/policy/gates/dockerfile.js";
import { expressionGate } from "../../src/policy/gates/expression.js";
import { filesGate } from "../../src/policy/gates/files.js";
import { imageSourceGate } from "../../src/policy/gates/image-source.js";
import { metadataGate } from "../../src/policy/gates/metadata.js";
import { retrievedFilesGate } from "../../src/policy/gates/retrieved-files.js";
import { secretScansGate } from "../../src/policy/gates/secret-scans.js";
import { vulnerabilitiesGate } from "../../src/policy/gates/vulnerabilities.js";
import { factsFor, fireTrigger, TEST_NOW } from "../support/gates.js";
import { oneRuleBundle } from "../support/one-rule-bundle.js";

// Each takes seconds (or years) per character on a backtracking engine when the text almost matches.
const PATTERNS = ["(a+)+$", "(a|aa)*$", "(.*a){20}"];
const HOSTILE = `${"a".repeat(50_000)}!`;
const LIMIT_MS = 1_000;

function timed<T>(what: string, run: () => T): T {
  const started = performance.now();
  const result = run();
  const ms = performance.now() - started;
  assert.ok(ms < LIMIT_MS, `${what} took ${ms.toFixed(0)} ms`);
  return result;
}

function fire<G>(gate: GateSpec<G>, trigger: string, params: Record<string, string>, facts: ImageFacts) {
  return timed(`${gate.name}/${trigger} ${JSON.stringify(params).slice(0, 80)}`, () =>
    fireTrigger(gate, trigger, params, facts),
  );
}

function decide(document: Record<string, unknown>, facts: ImageFacts, imageRef: string) {
  const { compiled, problems } = compileBundle(document);
  assert.ok(compiled, problems.map((p) => p.message).join("\n"));
  return timed(`evaluate ${imageRef.slice(0, 40)}`, () =>
    evaluate(compiled, facts, { now: TEST_NOW, imageRef }),
  );
}

for (const pattern of PATTERNS) {
  describe(`pattern ${pattern} against ${HOSTILE.length} characters`, () => {
    test("image_source/repository_name pattern", () => {
      const facts = factsFor({ ref: { registry: "docker.io", repository: HOSTILE, tag: "1" } });
      fire(imageSourceGate, "repository_name", { pattern, check: "match" }, facts);
    });

    test("image_source registries regexp: pattern", () => {
      const facts = factsFor({ ref: { registry: HOSTILE, repository: "x", tag: "1" } });
      fire(imageSourceGate, "registry_not_allowed", { registries: `regexp:${pattern}` }, facts);
    });

    test("dockerfile/instruction like and not_like", () => {
      const facts = factsFor({
        dockerfile: { mode: "actual", instructions: [{ directive: "RUN", value: HOSTILE }] },
      });
      fire(dockerfileGate, "instruction", { instruction: "RUN", check: "like", value: pattern }, facts);
      fire(dockerfileGate, "instruction", { instruction: "RUN", check: "not_like", value: pattern }, facts);
    });

    test("metadata/attribute like", () => {
      const facts = factsFor({ distro: { name: HOSTILE, version: "1" } });
      fire(metadataGate, "attribute", { attribute: "distro", check: "like", value: pattern }, facts);
    });

    test("files/name_match regex", () => {
      const facts = factsFor({ files: [{ path: `/${HOSTILE}`, mode: 0o100644 }] });
      fire(filesGate, "name_match", { regex: `/${pattern}` }, facts);
    });

    test("retrieved_files/content_regex regex", () => {
      const facts = factsFor({ retrievedFiles: { "/etc/app.conf": `key ${HOSTILE}\n` } });
      fire(
        retrievedFilesGate,
        "content_regex",
        { path: "/etc/app.conf", regex: pattern, check: "match" },
        facts,
      );
    });

    test("secret_scans/content_regex_checks filename_regex", () => {
      const facts = factsFor({ secrets: [{ regexName: "AWS_ACCESS_KEY", path: HOSTILE }] });
      fire(secretScansGate, "content_regex_checks", { filename_regex: pattern }, facts);
    });

    test("vulnerabilities/package package_path_exclude", () => {
      const facts = factsFor({
        vulnerabilities: [
          {
            id: "CVE-2099-0001",
            package: { name: "lib", version: "1.0", type: "java", path: HOSTILE },
            severity: "high",
            fix: { state: "not-fixed", versions: [] },
          },
        ],
      });
      fire(vulnerabilitiesGate, "package", { package_type: "non-os", package_path_exclude: pattern }, facts);
    });

    test("allowlist regexp: trigger_id and scope image patterns", () => {
      const facts = factsFor({
        vulnerabilities: [
          {
            id: "CVE-2099-0001",
            package: { name: HOSTILE, version: "1.0", type: "dpkg" },
            severity: "high",
            fix: { state: "not-fixed", versions: [] },
          },
        ],
      });
      const items = [
        { id: "by-id", gate: "vulnerabilities", trigger_id: `regexp:CVE-2099-0001\\+${pattern}` },
        {
          id: "by-scope",
          gate: "vulnerabilities",
          trigger_id: "*",
          scope: { images: [`regexp:${pattern}`] },
        },
      ];
      for (const item of items) {
        const document = oneRuleBundle(
          "vulnerabilities",
          "package",
          { package_type: "all" },
          {
            whitelists: [{ id: "wl", version: "1_0", items: [item] }],
          },
        );
        document.mappings = [
          {
            registry: "*",
            repository: "*",
            image: { type: "tag", value: "*" },
            policy_id: "p",
            whitelist_ids: ["wl"],
          },
        ];
        decide(document, facts, `docker.io/${HOSTILE}:1`);
      }
    });

    test("expression/condition matches() in the condition and in a message placeholder", () => {
      const facts = factsFor({ ref: { registry: "docker.io", repository: HOSTILE, tag: "1" } });
      const quoted = JSON.stringify(pattern);
      fire(expressionGate, "condition", { expression: `image.repository.matches(${quoted})` }, facts);
      fire(
        expressionGate,
        "condition",
        { expression: "true", message: `{{ image.repository.matches(${quoted}) }}` },
        facts,
      );
    });

    test("mapping registry, repository and tag regexp: patterns", () => {
      const document = oneRuleBundle("always", "always", {});
      document.mappings = [
        {
          registry: `regexp:${pattern}`,
          repository: `regexp:${pattern}`,
          image: { type: "tag", value: `regexp:${pattern}` },
          policy_id: "p",
        },
        { registry: "*", repository: "*", image: { type: "tag", value: "*" }, policy_id: "p" },
      ];
      const facts = factsFor({ ref: { registry: HOSTILE, repository: HOSTILE, tag: HOSTILE } });
      decide(document, facts, `${HOSTILE}/${HOSTILE}:${HOSTILE}`);
    });
  });
}

test("plain `*` wildcards with many stars stay linear too", () => {
  const document = oneRuleBundle("always", "always", {});
  document.mappings = [
    { registry: "*", repository: `${"*a".repeat(30)}*!`, image: { type: "tag", value: "*" }, policy_id: "p" },
    { registry: "*", repository: "*", image: { type: "tag", value: "*" }, policy_id: "p" },
  ];
  decide(document, factsFor({ ref: { registry: "r", repository: HOSTILE.slice(0, -1), tag: "1" } }), "x");
});
