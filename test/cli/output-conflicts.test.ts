import assert from "node:assert/strict";
import {
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { runCli } from "../support/run-cli.js";

const NOW = ["--now", "2026-11-22T00:00:00Z"];
const WEBAPP = readFileSync("examples/webapp.facts.json", "utf8");

const workspaces: string[] = [];
after(() => {
  for (const dir of workspaces) rmSync(dir, { recursive: true, force: true });
});

function workspace(): string {
  const dir = mkdtempSync(join(tmpdir(), "cipolice-outputs-"));
  workspaces.push(dir);
  return dir;
}

/** A workspace holding a copy of the example facts: the input each case tries to overwrite or share. */
function workspaceWithFacts(): { dir: string; facts: string } {
  const dir = workspace();
  const facts = join(dir, "app.facts.json");
  writeFileSync(facts, WEBAPP);
  return { dir, facts };
}

function assertConflict(run: { status: number | null; stderr: string }, ...named: string[]): void {
  assert.equal(run.status, 2, run.stderr);
  assert.match(run.stderr, /error CIP_OUTPUT_CONFLICT: Cannot write /);
  for (const path of named) assert.ok(run.stderr.includes(path), `names ${path}:\n${run.stderr}`);
}

test("two formats to one path are refused before any work, and nothing is written", () => {
  const { dir, facts } = workspaceWithFacts();
  const out = join(dir, "o.json");
  const run = runCli([
    "check",
    "--facts",
    facts,
    ...NOW,
    "--format",
    `json=${out}`,
    "--format",
    `sarif=${out}`,
  ]);
  assertConflict(run, out);
  assert.match(run.stderr, /json and sarif both to/);
  assert.ok(!existsSync(out));
});

test("two formats to one path paired with --output are refused too", () => {
  const { dir, facts } = workspaceWithFacts();
  const out = join(dir, "o.json");
  const run = runCli([
    "check",
    "--facts",
    facts,
    ...NOW,
    "--format",
    "json",
    "--format",
    "sarif",
    "--output",
    out,
    "--output",
    join(dir, ".", "o.json"),
  ]);
  assertConflict(run, out);
});

test("a second format to a symbolic link of the first one's file (existing or not yet) is refused", () => {
  const { dir, facts } = workspaceWithFacts();
  const out = join(dir, "o.json");
  const link = join(dir, "link.json");
  symlinkSync(out, link); // dangling until o.json is written
  const dangling = runCli([
    "check",
    "--facts",
    facts,
    ...NOW,
    "--format",
    `json=${out}`,
    "--format",
    `sarif=${link}`,
  ]);
  assertConflict(dangling, out, link);
  writeFileSync(out, "previous report\n");
  const existing = runCli([
    "check",
    "--facts",
    facts,
    ...NOW,
    "--format",
    `json=${out}`,
    "--format",
    `sarif=${link}`,
  ]);
  assertConflict(existing, out, link);
  assert.equal(readFileSync(out, "utf8"), "previous report\n");
  // A linked directory names the same file too.
  const linkedDir = join(dir, "same-dir");
  symlinkSync(dir, linkedDir);
  const viaDir = runCli([
    "check",
    "--facts",
    facts,
    ...NOW,
    "--format",
    `json=${join(dir, "new.json")}`,
    "--format",
    `sarif=${join(linkedDir, "new.json")}`,
  ]);
  assertConflict(viaDir, "new.json");
});

test("an output that is the --facts file is refused and the facts are left unchanged", () => {
  const { dir, facts } = workspaceWithFacts();
  const run = runCli(["check", "--facts", facts, ...NOW, "--format", `json=${facts}`]);
  assertConflict(run, facts);
  assert.match(run.stderr, /given with --facts/);
  assert.equal(readFileSync(facts, "utf8"), WEBAPP);
  const viaSymlink = join(dir, "alias.json");
  symlinkSync(facts, viaSymlink);
  assertConflict(runCli(["check", "--facts", viaSymlink, ...NOW, "--format", `json=${facts}`]), facts);
  assert.equal(readFileSync(facts, "utf8"), WEBAPP);
  const fromFacts = runCli(["facts", "--facts", facts, "--output", facts]);
  assertConflict(fromFacts, facts);
  assert.equal(readFileSync(facts, "utf8"), WEBAPP);
});

test("an output that is a hard link to a --report file (found through its directory) is refused", () => {
  const dir = workspace();
  const reports = join(dir, "reports");
  mkdirSync(reports);
  const report = join(reports, "trivy.json");
  const text = JSON.stringify({
    SchemaVersion: 2,
    ArtifactName: "example/app:1",
    ArtifactType: "container_image",
    Results: [],
  });
  writeFileSync(report, text);
  const hardLink = join(dir, "decision.json");
  linkSync(report, hardLink);
  const run = runCli(["check", "example/app:1", "--report", reports, ...NOW, "--format", `json=${hardLink}`]);
  assertConflict(run, hardLink, report);
  assert.match(run.stderr, /given with --report/);
  assert.equal(readFileSync(report, "utf8"), text);
});

test("outputs over --policy, --vex and --dockerfile inputs are refused; distinct outputs still work", () => {
  const { dir, facts } = workspaceWithFacts();
  const policy = join(dir, "policy.yaml");
  writeFileSync(policy, readFileSync("policies/default-bundle.yaml", "utf8"));
  const vex = join(dir, "vex.json");
  writeFileSync(vex, "{}");
  assertConflict(
    runCli(["check", "--facts", facts, "--policy", policy, ...NOW, "--format", `markdown=${policy}`]),
    policy,
  );
  assertConflict(runCli(["check", "--facts", facts, "--vex", vex, ...NOW, "--format", `json=${vex}`]), vex);
  assert.equal(readFileSync(vex, "utf8"), "{}");
  const dockerfile = join(dir, "Dockerfile");
  writeFileSync(dockerfile, "FROM scratch\n");
  assertConflict(
    runCli([
      "check",
      "--facts",
      facts,
      "--dockerfile",
      dockerfile,
      ...NOW,
      "--format",
      `junit=${dockerfile}`,
    ]),
    dockerfile,
  );
  assert.equal(readFileSync(dockerfile, "utf8"), "FROM scratch\n");
  const json = join(dir, "decision.json");
  const sarif = join(dir, "decision.sarif");
  const ok = runCli([
    "check",
    "--facts",
    facts,
    ...NOW,
    "--format",
    `json=${json}`,
    "--format",
    `sarif=${sarif}`,
  ]);
  assert.equal(ok.status, 0, ok.stderr);
  assert.ok(existsSync(json) && existsSync(sarif));
});

test("an output over a file inside an OCI layout or over a docker-archive named as the image is refused", () => {
  const dir = workspace();
  const layout = join(dir, "layout");
  mkdirSync(layout);
  const index = join(layout, "index.json");
  writeFileSync(index, '{"schemaVersion":2,"manifests":[]}');
  writeFileSync(join(layout, "oci-layout"), '{"imageLayoutVersion":"1.0.0"}');
  const run = runCli(["check", `oci:${layout}`, ...NOW, "--format", `json=${index}`]);
  assertConflict(run, index, layout);
  assert.equal(readFileSync(index, "utf8"), '{"schemaVersion":2,"manifests":[]}');
  const archive = join(dir, "image.tar");
  writeFileSync(archive, "not really a tar");
  assertConflict(
    runCli(["check", `docker-archive:${archive}`, ...NOW, "--format", `json=${archive}`]),
    archive,
  );
  assert.equal(readFileSync(archive, "utf8"), "not really a tar");
});
