import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { type CliRun, runCli } from "../support/run-cli.js";

const NOW = ["--now", "2026-11-22T00:00:00Z"];
const scratch = mkdtempSync(join(tmpdir(), "cipolice-terminal-"));

// Clear the screen, return to the line start and print a fake verdict; set the window title; 8-bit CSI;
// a right-to-left override that would show the rest of the text reversed.
const CLEAR = "\u001b[2J";
const TITLE = "\u001b]0;title\u0007";
const CSI8 = "\u009b31m";
const FORGED = `${CLEAR}\r${TITLE}PASS final action GO${CSI8}\u202e`;

// Raw ESC, CR, BEL, other C0 (tab and line feed are our own), DEL, C1, bidi controls.
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding raw control characters is the point
const RAW = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

function hostileFacts(): string {
  const facts = JSON.parse(readFileSync("examples/legacy-app.facts.json", "utf8")) as Record<string, unknown>;
  const vulnerability = (facts.vulnerabilities as Record<string, unknown>[])[0] as Record<string, unknown>;
  vulnerability.id = `CVE-2023-38408${FORGED}`;
  vulnerability.package = {
    name: `openssh${FORGED}`,
    version: `1:7.9p1${CLEAR}`,
    type: "dpkg",
  };
  facts.packages = [{ name: `openssh${FORGED}`, version: `1:7.9p1${CLEAR}`, type: "dpkg" }];
  facts.config = {
    env: ["PATH=/usr/bin"],
    labels: { "org.opencontainers.image.title": `app${FORGED}\nPASS forged line` },
  };
  const path = join(scratch, "hostile.facts.json");
  writeFileSync(path, JSON.stringify(facts));
  return path;
}

function hostileBundle(): string {
  const bundle = {
    id: "hostile",
    name: `bundle${FORGED}`,
    version: "1_0",
    policies: [
      {
        id: "p",
        name: `policy${FORGED}`,
        version: "1_0",
        rules: [
          {
            id: "any-vulnerability",
            gate: "vulnerabilities",
            trigger: "package",
            action: "STOP",
            params: [
              { name: "package_type", value: "all" },
              { name: "severity_comparison", value: ">=" },
              { name: "severity", value: "low" },
            ],
          },
          {
            id: "title-label",
            gate: "expression",
            trigger: "condition",
            action: "WARN",
            params: [
              { name: "expression", value: "true" },
              { name: "message", value: 'title {{ config.labels["org.opencontainers.image.title"] }}' },
            ],
          },
        ],
      },
    ],
    mappings: [
      {
        id: "all",
        name: `mapping${FORGED}`,
        registry: "*",
        repository: "*",
        image: { type: "tag", value: "*" },
        policy_ids: ["p"],
      },
    ],
  };
  const path = join(scratch, "hostile.bundle.json");
  writeFileSync(path, JSON.stringify(bundle));
  return path;
}

function assertSafe(run: CliRun): void {
  for (const [name, text] of [
    ["stdout", run.stdout],
    ["stderr", run.stderr],
  ] as const) {
    const raw = RAW.exec(text);
    assert.equal(
      raw,
      null,
      `${name} holds a raw U+${raw?.[0].codePointAt(0)?.toString(16).padStart(4, "0")}:\n${text}`,
    );
  }
}

for (const format of ["table", "explain"]) {
  test(`--format ${format}: control characters, escape sequences and bidi overrides from input are shown escaped`, () => {
    const run = runCli([
      "check",
      "--facts",
      hostileFacts(),
      "--policy",
      hostileBundle(),
      ...NOW,
      "--format",
      format,
    ]);
    assert.equal(run.status, 1, run.stderr);
    assertSafe(run);
    assert.ok(run.stdout.includes("openssh\\x1b[2J\\r\\x1b]0;title\\x07PASS final action GO\\x9b31m\\u202e"));
    assert.ok(run.stdout.includes("\\n"), "a line feed inside a value is shown as \\n");
    assert.ok(!/^\s*PASS forged line/m.test(run.stdout), "a value cannot start a line of its own");
    const verdicts = run.stdout.split("\n").filter((line) => /^(PASS|FAIL)\b/.test(line));
    if (format === "table") assert.deepEqual(verdicts.length, 1, "one verdict line, ours");
  });
}

test("--format table with colour: our colours stay, the input's escape sequences do not", () => {
  const run = runCli(
    ["check", "--facts", hostileFacts(), "--policy", hostileBundle(), ...NOW, "--format", "table"],
    { env: { NO_COLOR: "", FORCE_COLOR: "1" } },
  );
  assert.equal(run.status, 1, run.stderr);
  assert.ok(run.stdout.includes("\u001b[31m"), "our red is there");
  assert.ok(!run.stdout.includes(CLEAR), "the input's clear-screen is not");
  assert.ok(!run.stdout.includes("\r") && !run.stdout.includes("\u009b") && !run.stdout.includes("\u0007"));
  assert.ok(run.stdout.includes("\\x1b[2J"));
});

test("machine formats keep the data as it is (JSON encodes it itself)", () => {
  const run = runCli([
    "check",
    "--facts",
    hostileFacts(),
    "--policy",
    hostileBundle(),
    ...NOW,
    "--format",
    "json",
  ]);
  assert.equal(run.status, 1, run.stderr);
  const decision = JSON.parse(run.stdout) as { results: { message: string }[] };
  assert.ok(decision.results.some((r) => r.message.includes(`openssh${FORGED}`)));
});

test("an error quoting an input path with an escape sequence shows it escaped", () => {
  const path = join(scratch, `missing${CLEAR}\rPASS.json`);
  const run = runCli(["check", "--facts", path, ...NOW]);
  assert.equal(run.status, 2);
  assertSafe(run);
  assert.match(run.stderr, /CIP_FILE_READ/);
  assert.ok(run.stderr.includes("missing\\x1b[2J\\rPASS.json"), run.stderr);
});

test("a parse error quoting hostile text and a facts file named with escapes is escaped", () => {
  const path = join(scratch, `bad${TITLE}.json`);
  writeFileSync(path, `{"image": "x", "oops${CLEAR}": }`);
  const run = runCli(["check", "--facts", path, ...NOW]);
  assert.equal(run.status, 2);
  assertSafe(run);
  assert.ok(run.stderr.includes("bad\\x1b]0;title\\x07.json"), run.stderr);
});

test("progress lines and notes on standard error name hostile report paths escaped", () => {
  const dir = join(scratch, `reports${CLEAR}`);
  mkdirSync(dir);
  for (let i = 1; i <= 5; i++) {
    const about = i === 5 ? "other/app:2" : "example/app:1";
    writeFileSync(
      join(dir, `r${i}${TITLE}.json`),
      JSON.stringify({ SchemaVersion: 2, ArtifactName: about, ArtifactType: "container_image", Results: [] }),
    );
  }
  const run = runCli(["facts", "example/app:1", "--report", dir]);
  assert.equal(run.status, 0, run.stderr);
  assertSafe(run);
  assert.match(run.stderr, /reading reports 5\/5: .*reports\\x1b\[2J\/r5\\x1b\]0;title\\x07\.json/);
  assert.match(run.stderr, /warning: .*r5\\x1b\]0;title\\x07\.json is a report about/);
});

test("Commander's own errors quote arguments escaped", () => {
  const unknown = runCli(["check", `--bogus${CLEAR}\r`]);
  assert.equal(unknown.status, 2);
  assertSafe(unknown);
  assert.ok(unknown.stderr.includes("--bogus\\x1b[2J\\r"), unknown.stderr);
  const badChoice = runCli(["check", "--fail-on", `x${CLEAR}`]);
  assertSafe(badChoice);
  assert.ok(badChoice.stderr.includes("x\\x1b[2J"), badChoice.stderr);
});

test("policy validate escapes file names and messages", () => {
  const run = runCli(["policy", "validate", join(scratch, `nope${CLEAR}.yaml`)]);
  assert.equal(run.status, 2);
  assertSafe(run);
  assert.ok(run.stdout.includes("nope\\x1b[2J.yaml"), run.stdout);
});

test("an escape-laden Trivy report: table, explain and notes show the package escaped, one verdict line", () => {
  const report = join(scratch, "hostile-trivy.json");
  writeFileSync(
    report,
    JSON.stringify({
      SchemaVersion: 2,
      ArtifactName: `registry.example/app:1${CLEAR}`,
      ArtifactType: "container_image",
      Results: [
        {
          Target: `registry.example/app:1 (debian 12.1)${TITLE}`,
          Class: "os-pkgs",
          Type: "debian",
          Vulnerabilities: [
            {
              VulnerabilityID: "CVE-2024-0001",
              PkgName: `libssl${FORGED}`,
              InstalledVersion: "3.0.1",
              FixedVersion: "3.0.2",
              Status: "fixed",
              Severity: "CRITICAL",
              Title: `overflow${FORGED}\nPASS forged line`,
            },
          ],
        },
      ],
      Misconfigurations: [],
    }),
  );
  for (const format of ["table", "explain"]) {
    const run = runCli(["check", "registry.example/app:1", "--report", report, ...NOW, "--format", format]);
    assert.equal(run.status, 1, run.stderr);
    assertSafe(run);
    assert.ok(run.stdout.includes("libssl\\x1b[2J\\r"), `${format} shows the package name escaped`);
    assert.ok(!/^\s*PASS forged line/m.test(run.stdout), "a value cannot start a line of its own");
  }
});
