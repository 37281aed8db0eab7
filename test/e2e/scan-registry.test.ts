import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { corpusPath, skipWithoutCorpus } from "../support/corpus.js";
import { bundleOfRules } from "../support/one-rule-bundle.js";
import { runCliAsync } from "../support/run-cli.js";
import { buildImage, type ImageLayout, imageToolsMissing, pushImage } from "./support/images.js";
import { registryToolsMissing, startRegistry, type TestRegistry } from "./support/registry-harness.js";
import { AUTH, serveConfig, TEST_TOKEN } from "./support/serve-fixtures.js";
import { startServe } from "./support/serve-harness.js";

// `cipolice scan --registry`: every tagged image of a real Distribution registry (its catalog, then each
// repository's tags) analysed by CIPolicE itself, matched against OSV records from the corpus, decided with a
// bundle, written to a directory, and summed up; an image that cannot be read is an error row, not a crash.
const OSV = "osv/osv-scanner-offline/Alpine";
const skip = registryToolsMissing() || imageToolsMissing() || skipWithoutCorpus(OSV);

const ALPINE = {
  "/etc/os-release": 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.17.2\n',
  "/lib/apk/db/installed": "P:musl\nV:1.2.3-r4\nA:x86_64\no:musl\nL:MIT\n",
};

type Row = {
  image: string;
  packages: number;
  high: number;
  vulnerabilities: number;
  outcome?: string;
  error?: string;
};

describe("cipolice scan", { skip }, () => {
  let dir: string;
  let registry: TestRegistry;
  const layouts: ImageLayout[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "cipolice-scan-"));
    registry = await startRegistry("anonymous");
    const vulnerable = await buildImage({ files: ALPINE, user: "1000" });
    const plain = await buildImage({ files: { "/srv/hello.txt": "hello\n" }, user: "1000" });
    layouts.push(vulnerable, plain);
    await pushImage(vulnerable, registry, "apps/musl:1");
    await pushImage(vulnerable, registry, "apps/musl:2");
    await pushImage(plain, registry, "tools/hello:1");
    const imported = await runCliAsync(["db", "import", corpusPath(OSV), "--db", join(dir, "osv.db")]);
    assert.equal(imported.status, 0, imported.stderr);
    await writeFile(
      join(dir, "bundle.json"),
      JSON.stringify(
        bundleOfRules("no-high", [
          [
            "vulnerabilities",
            "package",
            { package_type: "all", severity_comparison: ">=", severity: "high" },
          ],
        ]),
      ),
    );
  });

  after(async () => {
    await registry?.stop();
    await Promise.all(layouts.map((l) => l.remove()));
    await rm(dir, { recursive: true, force: true });
  });

  it("scans every tag of the registry, writes facts and decisions, and decides each", async () => {
    const out = join(dir, "out");
    const run = await runCliAsync([
      "scan",
      "--registry",
      registry.host,
      "--db",
      join(dir, "osv.db"),
      "--policy",
      join(dir, "bundle.json"),
      "--output-dir",
      out,
      "--format",
      "json",
    ]);
    assert.equal(run.status, 1, run.stderr);
    const rows = JSON.parse(run.stdout) as Row[];
    assert.deepEqual(rows.map((r) => r.image).sort(), [
      `${registry.host}/apps/musl:1`,
      `${registry.host}/apps/musl:2`,
      `${registry.host}/tools/hello:1`,
    ]);
    const musl = rows.find((r) => r.image.endsWith("apps/musl:1"));
    assert.equal(musl?.packages, 1);
    assert.equal(musl?.high, 1);
    assert.equal(musl?.outcome, "fail");
    assert.equal(rows.find((r) => r.image.endsWith("tools/hello:1"))?.outcome, "pass");
    const facts = JSON.parse(
      readFileSync(
        join(out, `${registry.host.replace(/[^A-Za-z0-9._-]/g, "_")}_apps_musl_1.facts.json`),
        "utf8",
      ),
    ) as { vulnerabilities: { id: string }[]; provenance: { source: string }[] };
    assert.deepEqual(
      facts.vulnerabilities.map((v) => v.id),
      ["ALPINE-CVE-2025-26519"],
    );
    assert.ok(facts.provenance.some((p) => p.source === "cipolice"));
    // What scan writes is a facts document `check --facts` reads back, and decides the same
    const again = await runCliAsync([
      "check",
      "--facts",
      join(out, `${registry.host.replace(/[^A-Za-z0-9._-]/g, "_")}_apps_musl_1.facts.json`),
      "--policy",
      join(dir, "bundle.json"),
    ]);
    assert.equal(again.status, 1, again.stdout + again.stderr);
    assert.ok(
      existsSync(join(out, `${registry.host.replace(/[^A-Za-z0-9._-]/g, "_")}_apps_musl_1.decision.json`)),
    );
  });

  it("--push stores each image's facts in a cipolice serve, under its digest, where they decide", async () => {
    const serve = await startServe({ config: serveConfig(join(dir, "bundle.json")) });
    try {
      await writeFile(join(dir, "push.token"), `${TEST_TOKEN}\n`);
      const run = await runCliAsync([
        "scan",
        `${registry.host}/apps/musl:1`,
        "--db",
        join(dir, "osv.db"),
        "--push",
        serve.url,
        "--push-token-file",
        join(dir, "push.token"),
        "--format",
        "json",
      ]);
      assert.equal(run.status, 0, run.stdout + run.stderr);
      const [row] = JSON.parse(run.stdout) as (Row & { digest: string })[];
      assert.equal(row?.error, undefined);
      // Pinned to the digest: serve reads what scan pushed, and decides on it without a registry read of reports
      const answer = await serve.request(
        "POST",
        "/v1/evaluate",
        { image: `${registry.host}/apps/musl@${row?.digest}` },
        AUTH,
      );
      const body = answer.json as { outcome: string; decision?: { results: { message: string }[] } };
      assert.equal(body.outcome, "fail", answer.text);
      assert.ok(
        body.decision?.results.some((r) => r.message.includes("ALPINE-CVE-2025-26519")),
        answer.text,
      );
    } finally {
      await serve.stop();
    }
  });

  it("prints a summary table, and an image that cannot be read is an error row (exit 2), not a crash", async () => {
    const run = await runCliAsync([
      "scan",
      `${registry.host}/tools/hello:1`,
      `${registry.host}/missing/image:1`,
      "--db",
      join(dir, "osv.db"),
    ]);
    assert.equal(run.status, 2, run.stderr);
    assert.match(run.stdout, /tools\/hello:1 .*scanned/);
    assert.match(run.stdout, /missing\/image:1 .*error:/);
    assert.match(run.stdout, /2 image\(s\) scanned, 1 with errors/);
  });
});
