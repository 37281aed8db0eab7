import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, test } from "node:test";
import { runCliMeasured } from "../support/measured-run.js";
import { runCli } from "../support/run-cli.js";

const scratch = mkdtempSync(join(tmpdir(), "cipolice-limits-"));
const NOW = ["--now", "2026-11-22T00:00:00Z"];
const WEBAPP = "examples/webapp.facts.json";
const MiB = 1024 * 1024;
/** Peak memory of a check that reads a small, valid document: what each refusal is compared with. */
let baselineBytes = 0;

before(() => {
  baselineBytes = runCliMeasured(["check", "--facts", WEBAPP, ...NOW]).peakBytes;
  assert.ok(baselineBytes > 0, "peak memory is measured");
});

function file(name: string, text: string): string {
  const path = join(scratch, name);
  writeFileSync(path, text);
  return path;
}

// Nine levels of nine aliases: 9^9 "lol"s once expanded ("billion laughs").
const aliasBomb = [
  'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
  ..."bcdefghi".split("").map((name, i) => {
    const prev = "abcdefghi"[i] as string;
    return `${name}: &${name} [${Array(9).fill(`*${prev}`).join(",")}]`;
  }),
].join("\n");

const DEEP = 100_000;
const cases: { name: string; text: string; code: string; says: RegExp }[] = [
  {
    name: "alias-bomb.yaml",
    text: aliasBomb,
    code: "CIP_YAML_ALIAS_LIMIT",
    says: /aliases expand beyond the limit of 1000/,
  },
  {
    name: "deep-array.json",
    text: `${"[".repeat(DEEP)}${"]".repeat(DEEP)}`,
    code: "CIP_NESTING_LIMIT",
    says: /nest deeper than the limit of 512 levels \(line 1, column 513\)/,
  },
  {
    name: "deep-object.json",
    text: `${'{"a":'.repeat(DEEP)}1${"}".repeat(DEEP)}`,
    code: "CIP_NESTING_LIMIT",
    says: /nest deeper than the limit of 512 levels/,
  },
  {
    name: "deep-unclosed.json",
    text: "[".repeat(DEEP),
    code: "CIP_NESTING_LIMIT",
    says: /nest deeper than the limit of 512 levels/,
  },
  {
    name: "deep-flow.yaml",
    text: `id: x\nversion: "1_0"\ncomment: ${"[".repeat(DEEP)}${"]".repeat(DEEP)}\n`,
    code: "CIP_NESTING_LIMIT",
    says: /nest deeper than the limit of 512 levels \(line 3, column \d+\)/,
  },
  {
    name: "deep-block.yaml",
    text: `${Array.from({ length: 600 }, (_, i) => `${" ".repeat(i)}k:`).join("\n")} 1\n`,
    code: "CIP_NESTING_LIMIT",
    says: /nest deeper than the limit of 512 levels \(line 513, column 513\)/,
  },
  {
    name: "deep-sequence.yaml",
    text: `x:\n${"- ".repeat(20_000)}1\n`,
    code: "CIP_NESTING_LIMIT",
    says: /nest deeper than the limit of 512 levels/,
  },
  {
    name: "huge-exponent.json",
    text: '{"id": "x", "version": "1_0", "created_at": 1e999999}',
    code: "CIP_NUMBER_LIMIT",
    says: /a number is too large to represent, it reads as Infinity \(at created_at\)/,
  },
  {
    name: "huge-integer.json",
    text: `{"id": "x", "version": "1_0", "vulnerabilities": [{"cvss": [{"baseScore": ${"9".repeat(100_000)}}]}]}`,
    code: "CIP_NUMBER_LIMIT",
    says: /reads as Infinity \(at vulnerabilities\[0\]\.cvss\[0\]\.baseScore\)/,
  },
  {
    name: "infinity.yaml",
    text: 'id: x\nversion: "1_0"\npolicies:\n  - id: p\n    version: "1_0"\n    rules: []\n    last_updated: .inf\n',
    code: "CIP_NUMBER_LIMIT",
    says: /reads as Infinity \(at policies\[0\]\.last_updated\)/,
  },
  {
    name: "not-a-number.yaml",
    text: 'id: x\nversion: "1_0"\ncreated_at: .nan\n',
    code: "CIP_NUMBER_LIMIT",
    says: /a number is NaN \(at created_at\)/,
  },
];

for (const c of cases) {
  for (const option of ["--policy", "--facts"]) {
    test(`${c.name} as ${option}: exit 2, ${c.code}, names the file, fast`, () => {
      const path = file(c.name, c.text);
      const args =
        option === "--policy"
          ? ["check", "--policy", path, "--facts", WEBAPP, ...NOW]
          : ["check", "--facts", path, ...NOW];
      const run = runCliMeasured(args);
      assert.equal(run.status, 2, run.stderr);
      assert.match(run.stderr, new RegExp(`error ${c.code}: Cannot parse ${literal(path)}`));
      assert.match(run.stderr, c.says);
      assert.doesNotMatch(run.stderr, /CIP_INTERNAL|this is a bug/);
      // Unbounded, an alias bomb or a deep walk takes minutes and gigabytes; a process start is most of this
      assert.ok(run.ms < 10_000, `took ${(run.ms / 1000).toFixed(2)} s`);
      const grew = run.peakBytes - baselineBytes;
      assert.ok(grew < 128 * MiB, `peak memory grew ${(grew / MiB).toFixed(0)} MiB over a valid check`);
    });
  }
}

test("a deep or huge-number scanner report (--report) is refused the same way", () => {
  for (const c of cases.filter((x) => x.name.endsWith(".json"))) {
    const path = file(`report-${c.name}`, c.text);
    const run = runCli(["check", "example/app:1", "--report", path, ...NOW]);
    assert.equal(run.status, 2, run.stderr);
    assert.match(run.stderr, new RegExp(`error ${c.code}: Cannot parse ${literal(path)}`));
  }
});

test("nesting up to the limit and large finite numbers are accepted", () => {
  const bundle = file(
    "deep-ok.yaml",
    `id: x\nversion: "1_0"\ncomment: ok\npolicies: []\nmappings: []\nlast_updated: 1.7e308\n`,
  );
  const run = runCli(["policy", "validate", bundle]);
  assert.equal(run.status, 0, run.stdout + run.stderr);
  const facts = file(
    "deep-ok.json",
    JSON.stringify({ schemaVersion: "1", image: "example/app:1", config: { labels: {} } }).replace(
      /}$/,
      `, "x": ${"[".repeat(510)}${"]".repeat(510)}}`,
    ),
  );
  const deep = runCli(["check", "--facts", facts, ...NOW]);
  // 511 levels is within the limit: the document is refused for its unknown field, not its depth.
  assert.equal(deep.status, 2);
  assert.match(deep.stderr, /CIP_FACTS_INVALID[\s\S]*unknown field "x"/);
});

function literal(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
