import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { DecisionV1, ImageFacts } from "../../src/model/index.js";
import { corpusPath, skipWithoutCorpus } from "../support/corpus.js";
import { runCli } from "../support/run-cli.js";

const NOW = ["--now", "2026-11-22T00:00:00Z"];
const scratch = mkdtempSync(join(tmpdir(), "cipolice-reports-"));
const TRIVY = "scanners/trivy/upstream/alpine-310.json";
const GRYPE = "scanners/grype/defectdojo/many_vulns_with_epss_values.json";
const CLAIR_SCANNER = "scanners/clair-scanner/clair_many_vul.json";

function decision(args: string[]): { status: number | null; decision: DecisionV1; stderr: string } {
  const run = runCli([...args, ...NOW, "--format", "json"]);
  return { status: run.status, decision: JSON.parse(run.stdout || "{}") as DecisionV1, stderr: run.stderr };
}

test("check --report: the image comes from the report, findings feed the default policy", {
  skip: skipWithoutCorpus(TRIVY),
}, () => {
  const { status, decision: d } = decision(["check", "--report", corpusPath(TRIVY)]);
  // The test image sets no User in its config: it runs as root, which the default bundle stops
  assert.equal(status, 1);
  assert.ok(d.results.some((r) => r.trigger === "runs_as_root" && r.action === "stop"));
  assert.equal(d.image.ref, "ghcr.io/aquasecurity/trivy-test-images:alpine-310");
  // Trivy does not say how old its database is: an unknown age is noted, not reported as stale
  assert.ok(!d.results.some((r) => r.trigger === "stale_feed_data"));
  assert.ok(
    d.problems.some((p) =>
      /No input says when its vulnerability database was last updated \(none of trivy gives one\)/.test(
        p.message,
      ),
    ),
  );
  const facts = JSON.parse(runCli(["facts", "--report", corpusPath(TRIVY)]).stdout) as ImageFacts;
  assert.ok((facts.vulnerabilities?.length ?? 0) > 0);
  assert.equal(facts.distro?.name, "alpine");
  assert.ok(d.problems.some((p) => p.code === "CIP_REPORT_NOTE" && /no package inventory/.test(p.message)));
});

test("a report about another image than the one checked gives a clear warning", {
  skip: skipWithoutCorpus(GRYPE),
}, () => {
  const { decision: d } = decision(["check", "ghcr.io/other/image:1", "--report", corpusPath(GRYPE)]);
  assert.equal(d.image.ref, "ghcr.io/other/image:1");
  const warning = d.problems.find((p) => p.code === "CIP_REPORT_IMAGE_MISMATCH");
  assert.match(
    warning?.message ?? "",
    /is a report about docker\.io\/library\/busybox:1\.32\.1, not about ghcr\.io\/other\/image:1/,
  );
});

test("two scanners on one image: findings merge, citing both", { skip: skipWithoutCorpus(TRIVY) }, () => {
  const run = runCli(["facts", "--report", corpusPath(TRIVY), "--report", corpusPath(TRIVY)]);
  assert.equal(run.status, 0, run.stderr);
  const facts = JSON.parse(run.stdout) as ImageFacts;
  const once = runCli(["facts", "--report", corpusPath(TRIVY)]);
  assert.equal(
    facts.vulnerabilities?.length,
    (JSON.parse(once.stdout) as ImageFacts).vulnerabilities?.length,
  );
});

test("cipolice facts prints a facts document that check --facts accepts and decides the same way", {
  skip: skipWithoutCorpus(TRIVY),
}, () => {
  const printed = runCli(["facts", "--report", corpusPath(TRIVY)]);
  assert.equal(printed.status, 0, printed.stderr);
  const file = join(scratch, "facts.json");
  writeFileSync(file, printed.stdout);
  const viaFacts = decision(["check", "--facts", file]).decision;
  const viaReport = decision(["check", "--report", corpusPath(TRIVY)]).decision;
  assert.equal(viaFacts.finalAction, viaReport.finalAction);
  assert.deepEqual(
    viaFacts.results.map((r) => r.triggerId),
    viaReport.results.map((r) => r.triggerId),
  );
});

test("--vex: a not_affected statement for this image's package suppresses the hit, kept with its justification", () => {
  const vex = join(scratch, "webapp.vex.json");
  writeFileSync(
    vex,
    JSON.stringify({
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
              "@id":
                "pkg:oci/webapp@sha256%3A4f1c1bbf2b1d0e6a7e1f3f0a9c2d7b8e5a6c3d2e1f0a9b8c7d6e5f4a3b2c1d0e",
              subcomponents: [{ "@id": "pkg:npm/semver@7.5.1" }],
            },
          ],
          status: "not_affected",
          justification: "vulnerable_code_not_in_execute_path",
        },
      ],
    }),
  );
  const without = decision(["check", "--facts", "examples/webapp.facts.json"]).decision;
  assert.equal(without.finalAction, "warn");
  const run = runCli(["check", "--facts", "examples/webapp.facts.json", "--vex", vex, ...NOW]);
  assert.equal(run.status, 0, run.stderr);
  assert.match(
    run.stdout,
    /PASS final action GO \(policy evaluation\): 0 stop, 0 warn, 0 allowlisted, 1 suppressed by VEX/,
  );
  const d = decision(["check", "--facts", "examples/webapp.facts.json", "--vex", vex]).decision;
  const row = d.results.find((r) => r.triggerId.startsWith("CVE-2022-25883+"));
  assert.deepEqual(row?.vex, {
    status: "not_affected",
    justification: "vulnerable_code_not_in_execute_path",
    document: "openvex:https://example.test/vex/webapp-1",
  });
  assert.equal(row?.effectiveAction, "go");
});

test("--whitelist: a clair-cicd whitelist decides as clair-cicd's assessor", {
  skip: skipWithoutCorpus(CLAIR_SCANNER),
}, () => {
  // clair_many_vul.json: 35 vulnerabilities, the worst of them medium.
  const report = corpusPath(CLAIR_SCANNER);
  const at = (whitelist: string) =>
    runCli(["check", "--report", report, "--whitelist", whitelist, ...NOW]).status;
  assert.equal(at('json://{"ignoreSevertiesAtOrBelow":"medium"}'), 0);
  assert.equal(at('json://{"ignoreSevertiesAtOrBelow":"low"}'), 1);
  const facts = JSON.parse(runCli(["facts", "--report", report]).stdout) as ImageFacts;
  const mediums = [
    ...new Set((facts.vulnerabilities ?? []).filter((v) => v.severity === "medium").map((v) => v.id)),
  ];
  const file = join(scratch, "whitelist.json");
  writeFileSync(
    file,
    JSON.stringify({
      ignoreSevertiesAtOrBelow: "low",
      vulnerabilities: mediums.map((cveId) => ({ cveId, rationale: "reviewed" })),
    }),
  );
  assert.equal(at(file), 0, "every medium finding listed: passes");
  const bad = runCli([
    "check",
    "--report",
    report,
    "--whitelist",
    'json://{"ignoreSevertiesAtOrBelow":"severe"}',
  ]);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /ignoreSevertiesAtOrBelow/);
});

test("--report with a directory reads every .json file in it", {
  skip: skipWithoutCorpus(TRIVY, GRYPE),
}, () => {
  const dir = join(scratch, "reports");
  mkdirSync(dir);
  writeFileSync(
    join(dir, "a.json"),
    JSON.stringify({
      ...JSON.parse(runCli(["facts", "--report", corpusPath(TRIVY)]).stdout),
      schemaVersion: undefined,
    }),
  );
  writeFileSync(join(dir, "trivy.json"), "null");
  writeFileSync(join(dir, "notes.txt"), "ignored");
  const run = runCli(["facts", "alpine:3.10", "--report", dir]);
  // a.json is a facts document, not a report: refused by name; the directory was expanded.
  assert.equal(run.status, 2);
  assert.match(run.stderr, /Cannot read .*reports\/a\.json/);
});

test("bad report inputs: each refused with exit 2 and one clear line", () => {
  const cases: [string, string | Buffer, RegExp][] = [
    ["empty.json", "", /the file is empty/],
    ["spaces.json", "   \n", /the file is empty/],
    ["bom.xml", '<?xml version="1.0"?><bom/>', /it is XML/],
    ["table.csv", "Registry,Repository,Tag,CVE\nr,x,1,CVE-1\n", /it is not JSON \(CSV\?\)/],
    ["unknown.json", '{"findings": []}', /no supported format has these top-level fields \("findings"\)/],
    ["utf16.json", Buffer.from("\u0000{\u0000}", "latin1"), /NUL bytes \(UTF-16 or binary data\?\)/],
    [
      "vex.json",
      '{"@context": "https://openvex.dev/ns/v0.2.0", "statements": []}',
      /it is a VEX document \(OpenVEX\)/,
    ],
  ];
  for (const [name, content, expected] of cases) {
    const file = join(scratch, name);
    writeFileSync(file, content);
    const run = runCli(["check", "x:1", "--report", file]);
    assert.equal(run.status, 2, name);
    assert.match(run.stderr, expected, name);
    assert.doesNotMatch(run.stderr, /^\s+at /m, `${name}: no stack trace`);
  }
  const limit = runCli(["check", "x:1", "--report", "examples/webapp.facts.json", "--max-input-size", "4kB"]);
  assert.match(
    limit.stderr,
    /Cannot read report examples\/webapp\.facts\.json: it is [\d.]+ kB, over the 4\.0 kB input limit/,
  );
});

test("the literal null document reads as Trivy's legacy 'no vulnerabilities'", () => {
  const file = join(scratch, "null.json");
  writeFileSync(file, "null\n");
  const { status, decision: d } = decision(["check", "alpine:3.19", "--report", file]);
  assert.equal(status, 0);
  assert.ok(
    !d.results.some((r) => r.trigger === "vulnerability_data_unavailable"),
    "a scan with nothing found is vulnerability data",
  );
  assert.ok(d.problems.some((p) => /null/.test(p.message)));
});

test("a UTF-16 report with a byte-order mark is read", { skip: skipWithoutCorpus(TRIVY) }, () => {
  const printed = runCli(["facts", "--report", corpusPath(TRIVY)]);
  const utf8 = JSON.parse(printed.stdout) as ImageFacts;
  const text = readFileSync(corpusPath(TRIVY), "utf8");
  const file = join(scratch, "utf16.json");
  writeFileSync(file, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, "utf16le")]));
  const run = runCli(["facts", "--report", file]);
  assert.equal(run.status, 0, run.stderr);
  assert.equal((JSON.parse(run.stdout) as ImageFacts).vulnerabilities?.length, utf8.vulnerabilities?.length);
});

test("reading many reports shows progress: plain lines when not on a terminal, none for a few", {
  skip: skipWithoutCorpus(TRIVY),
}, () => {
  const five = Array.from({ length: 5 }, () => ["--report", corpusPath(TRIVY)]).flat();
  const run = runCli(["facts", ...five], { env: { CI: "" } });
  assert.equal(run.status, 0, run.stderr);
  for (let i = 1; i <= 5; i++)
    assert.match(run.stderr, new RegExp(`^cipolice: reading reports ${i}/5: `, "m"));
  const one = runCli(["facts", "--report", corpusPath(TRIVY)]);
  assert.doesNotMatch(one.stderr, /reading reports/);
});

test("--report-format naming a format the document is not: refused, never read as zero findings", {
  skip: skipWithoutCorpus(TRIVY),
}, () => {
  for (const named of ["grype", "snyk", "syft", "cyclonedx", "spdx", "clair-scanner", "trivy-k8s"]) {
    const run = runCli(["check", "x/y:1", "--report", corpusPath(TRIVY), "--report-format", named]);
    assert.equal(run.status, 2, `${named}: ${run.stderr}`);
    assert.match(run.stderr, /CIP_REPORT_INVALID: Cannot read .*alpine-310\.json as .* \(--report-format /);
    assert.match(run.stderr, /which the document lacks; it looks like Trivy JSON/);
    assert.match(run.stderr, /hint: Use --report-format trivy, or leave --report-format out/);
  }
  const right = runCli(["check", "x/y:1", "--report", corpusPath(TRIVY), "--report-format", "trivy", ...NOW]);
  // Read as what it is, the report is evaluated: its root image fails the default bundle (exit 1, not 2)
  assert.equal(right.status, 1, right.stderr);
});

test("a Trivy report without Results is no vulnerability data: vulnerability_data_unavailable fires", () => {
  const file = join(scratch, "trivy-no-results.json");
  writeFileSync(
    file,
    JSON.stringify({
      SchemaVersion: 2,
      ArtifactName: "registry.example/scratch-app:1",
      ArtifactType: "container_image",
      Metadata: { ImageConfig: { config: { User: "1000" } } },
    }),
  );
  const { status, decision: d } = decision(["check", "--report", file]);
  assert.equal(status, 0);
  assert.ok(
    d.results.some((r) => r.trigger === "vulnerability_data_unavailable"),
    "the default bundle's no-data rule fires",
  );
  assert.ok(d.problems.some((p) => /Trivy scanned no packages/.test(p.message)));
  const facts = JSON.parse(runCli(["facts", "--report", file]).stdout) as ImageFacts;
  assert.equal(facts.vulnerabilities, undefined);
});

test("a legacy Trivy list report names its image in the OS target: no IMAGE argument needed", {
  skip: skipWithoutCorpus("scanners/trivy/defectdojo/legacy_trivy_mix.json"),
}, () => {
  const { status, decision: d } = decision([
    "check",
    "--report",
    corpusPath("scanners/trivy/defectdojo/legacy_trivy_mix.json"),
  ]);
  assert.equal(status, 1, "the image fails the default bundle on its findings, it is not refused");
  assert.equal(d.image.ref, "docker.io/library/trivy-ci-test:latest");
});

test("when nothing names the image, the refusal says which inputs were looked at", () => {
  const file = join(scratch, "clair-digest-only.json");
  writeFileSync(
    file,
    JSON.stringify({
      manifest_hash: "sha256:1",
      packages: {},
      vulnerabilities: {},
      package_vulnerabilities: {},
    }),
  );
  const run = runCli(["check", "--report", file]);
  assert.equal(run.status, 2);
  assert.match(
    run.stderr,
    /Cannot tell which image is being checked: no input names one; looked at .*clair-digest-only\.json \(gives only the digest "sha256:1", which is not a valid image digest\)/,
  );
});

test("a --facts file about another image than IMAGE gives a warning, as reports do", () => {
  const other = decision(["check", "ghcr.io/other/app:2", "--facts", "examples/webapp.facts.json"]);
  const warning = other.decision.problems.find((p) => p.code === "CIP_REPORT_IMAGE_MISMATCH");
  assert.match(
    warning?.message ?? "",
    /webapp\.facts\.json is a facts document about ghcr\.io\/example\/webapp:1\.4\.2, not about ghcr\.io\/other\/app:2/,
  );
  const same = decision(["check", "ghcr.io/example/webapp:1.4.2", "--facts", "examples/webapp.facts.json"]);
  assert.ok(!same.decision.problems.some((p) => p.code === "CIP_REPORT_IMAGE_MISMATCH"));
});

test("report-only CI: the default bundle stops an image whose config runs as root; a forged USER line does not hide it", () => {
  const file = join(scratch, "trivy-root.json");
  const labels = { "org.opencontainers.image.source": "x", "org.opencontainers.image.version": "1" };
  const report = (user: string) => ({
    SchemaVersion: 2,
    ArtifactName: "registry.example/root-app:1",
    ArtifactType: "container_image",
    Metadata: { ImageConfig: { config: { User: user, Labels: labels } } },
    Results: [{ Target: "registry.example/root-app:1 (debian 12.1)", Class: "os-pkgs", Type: "debian" }],
  });
  writeFileSync(file, JSON.stringify(report("root")));
  const root = decision(["check", "--report", file]);
  assert.equal(root.status, 1, root.stderr);
  assert.equal(
    root.decision.results.find((r) => r.trigger === "runs_as_root")?.message,
    'Image runs as root: its config User is "root"',
  );
  writeFileSync(file, JSON.stringify(report("10001")));
  const app = decision(["check", "--report", file]);
  assert.equal(app.status, 0, app.stderr);
  assert.ok(!app.decision.results.some((r) => r.trigger === "runs_as_root"));
  // An image read from a registry or archive has both: the config, and a history that may claim otherwise
  const forged = join(scratch, "forged-user.facts.json");
  writeFileSync(
    forged,
    JSON.stringify({
      image: "registry.example/root-app:1",
      config: { user: "root", labels },
      dockerfile: { mode: "guessed", instructions: [{ directive: "USER", value: "app" }] },
      vulnerabilities: [],
    }),
  );
  const hidden = decision(["check", "--facts", forged]);
  assert.equal(hidden.status, 1, hidden.stderr);
  assert.match(
    hidden.decision.results.find((r) => r.trigger === "runs_as_root")?.message ?? "",
    /its config User is "root"; the Dockerfile's last USER "app" says otherwise, but the config is what runs/,
  );
});
