import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { corpusPath, skipWithoutCorpus } from "../support/corpus.js";
import { bundleOfRules } from "../support/one-rule-bundle.js";
import { runCliAsync } from "../support/run-cli.js";
import { imageToolsMissing } from "./support/images.js";

// `cipolice check IMAGE --analyze`: the image's layers analysed by CIPolicE itself and its packages matched
// against an OSV database imported from the corpus; Anchore's content gates, which have no data from a
// vulnerability-only report, fire on what the analysis found, as anchore-engine's analyzer would make them.
const run = promisify(execFile);
const OSV = "osv/osv-scanner-offline/Alpine";
const skip = imageToolsMissing() || skipWithoutCorpus(OSV);

const APK = [
  "P:musl\nV:1.2.3-r4\nA:x86_64\no:musl\nL:MIT\n",
  "P:readline\nV:8.2.0-r0\nA:x86_64\no:readline\nL:GPL-2.0-or-later\n",
].join("\n");

describe("check --analyze", { skip }, () => {
  let dir: string;
  let layout: string;
  let db: string;
  let bundle: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "cipolice-analyze-"));
    layout = join(dir, "oci");
    const bundleDir = join(dir, "bundle");
    await run("umoci", ["init", "--layout", layout]);
    await run("umoci", ["new", "--image", `${layout}:t`]);
    await run("umoci", ["unpack", "--rootless", "--image", `${layout}:t`, bundleDir]);
    const files: Record<string, string> = {
      "etc/os-release": 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.17.2\n',
      "etc/passwd": "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/sbin/nologin\n",
      "lib/apk/db/installed": APK,
      "usr/bin/sudo": "#!/bin/sh\nexit 0\n",
      "srv/app/config.ini": "[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n",
    };
    for (const [path, content] of Object.entries(files)) {
      await mkdir(dirname(join(bundleDir, "rootfs", path)), { recursive: true });
      await writeFile(join(bundleDir, "rootfs", path), content);
    }
    await chmod(join(bundleDir, "rootfs", "usr/bin/sudo"), 0o4755);
    await run("umoci", ["repack", "--image", `${layout}:t`, bundleDir]);
    db = join(dir, "osv.db");
    const imported = await runCliAsync(["db", "import", corpusPath(OSV), "--db", db]);
    assert.equal(imported.status, 0, imported.stderr);
    bundle = join(dir, "content.json");
    await writeFile(
      bundle,
      JSON.stringify(
        bundleOfRules("content", [
          [
            "vulnerabilities",
            "package",
            { package_type: "all", severity_comparison: ">=", severity: "medium" },
          ],
          ["files", "suid_or_guid_set"],
          ["passwd_file", "blacklist_userids", { user_ids: "0" }],
          ["secret_scans", "content_regex_checks"],
          ["licenses", "blacklist_exact_match", { licenses: "GPL-2.0-or-later" }],
        ]),
      ),
    );
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  type Row = { gate: string; trigger: string; message: string };

  it("fires the content gates and finds the musl vulnerability osv-scanner finds", async () => {
    const check = await runCliAsync([
      "check",
      `oci:${layout}:t`,
      "--analyze",
      "--db",
      db,
      "--policy",
      bundle,
      "--format",
      "json",
    ]);
    assert.equal(check.status, 1, check.stderr);
    const rows = (JSON.parse(check.stdout) as { results: Row[] }).results;
    const by = (gate: string) => rows.filter((r) => r.gate === gate).map((r) => r.message);
    assert.ok(
      by("vulnerabilities").some((m) => /ALPINE-CVE-2025-26519/.test(m) && /musl/.test(m)),
      by("vulnerabilities").join("\n"),
    );
    assert.ok(
      by("files").some((m) => m.includes("/usr/bin/sudo")),
      by("files").join("\n"),
    );
    assert.ok(
      by("passwd_file").some((m) => /root/.test(m)),
      by("passwd_file").join("\n"),
    );
    assert.ok(
      by("secret_scans").some((m) => m.includes("/srv/app/config.ini") && m.includes("AWS_ACCESS_KEY")),
      by("secret_scans").join("\n"),
    );
    assert.ok(
      by("licenses").some((m) => m.includes("readline")),
      by("licenses").join("\n"),
    );
    assert.doesNotMatch(check.stdout, /AKIAIOSFODNN7EXAMPLE/, "the secret itself is never reported");
  });

  it("merges with a scanner's report: the same vulnerability from both appears once, citing both", async () => {
    const report = join(dir, "grype-like.json");
    await writeFile(
      report,
      JSON.stringify({
        SchemaVersion: 2,
        ArtifactName: "localhost/app:t",
        ArtifactType: "container_image",
        Metadata: { OS: { Family: "alpine", Name: "3.17.2" } },
        Results: [
          {
            Target: "app (alpine 3.17.2)",
            Class: "os-pkgs",
            Type: "alpine",
            Vulnerabilities: [
              {
                VulnerabilityID: "CVE-2025-26519",
                PkgName: "musl",
                InstalledVersion: "1.2.3-r4",
                FixedVersion: "1.2.3-r6",
                Severity: "HIGH",
              },
            ],
          },
        ],
      }),
    );
    const facts = await runCliAsync([
      "facts",
      `oci:${layout}:t`,
      "--analyze",
      "--db",
      db,
      "--report",
      report,
    ]);
    assert.equal(facts.status, 0, facts.stderr);
    const vulns = (
      JSON.parse(facts.stdout) as {
        vulnerabilities: { id: string; aliases?: string[]; sources?: string[] }[];
      }
    ).vulnerabilities;
    const musl = vulns.filter(
      (v) =>
        v.id === "CVE-2025-26519" ||
        v.id === "ALPINE-CVE-2025-26519" ||
        v.aliases?.includes("CVE-2025-26519"),
    );
    assert.equal(musl.length, 1, JSON.stringify(vulns));
    assert.deepEqual([...(musl[0]?.sources ?? [])].sort(), ["cipolice", "trivy"]);
  });

  it("says when there is no vulnerability database, and still analyses the content", async () => {
    const check = await runCliAsync([
      "check",
      `oci:${layout}:t`,
      "--analyze",
      "--db",
      join(dir, "missing.db"),
      "--policy",
      bundle,
      "--format",
      "json",
    ]);
    const decision = JSON.parse(check.stdout) as { results: Row[]; problems: { message: string }[] };
    assert.ok(
      decision.problems.some((p) => /no OSV database at .*missing\.db.*cipolice db import/.test(p.message)),
      JSON.stringify(decision.problems),
    );
    assert.ok(decision.results.some((r) => r.gate === "files"));
  });
});
