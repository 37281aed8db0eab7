import assert from "node:assert/strict";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { corpusPath, NO_CORPUS, readCorpusJson } from "../../test/support/corpus.js";
import { readDpkgStatus } from "../analysis/dpkg-status.js";
import type { Vulnerability } from "../model/facts.js";
import { importOsv } from "./import-osv.js";
import { matchPackages } from "./match-packages.js";
import type { MatchablePackage } from "./package-ecosystem.js";
import { openVulnDatabase, type VulnDatabase } from "./vuln-database.js";

const work = mkdtempSync(join(tmpdir(), "cipolice-vulndb-"));
const dbPath = join(work, "osv.db");
let db: VulnDatabase;

/** The packages of a CycloneDX XML SBOM, read from its purls (type, name, version; the purl keeps the rest). */
function sbomPackages(relative: string): MatchablePackage[] {
  const xml = readFileSync(corpusPath(relative), "utf8");
  return [...xml.matchAll(/<purl>([^<]+)<\/purl>/g)].map((m) => {
    const purl = (m[1] as string).replaceAll("&amp;", "&");
    const head = /^pkg:([^/]+)\/(?:.*\/)?([^/@]+)@([^?#]+)/.exec(purl);
    assert.ok(head !== null, purl);
    return {
      type: head[1] as string,
      name: decodeURIComponent(head[2] as string),
      version: decodeURIComponent(head[3] as string),
      purl,
    };
  });
}

function ids(found: Vulnerability[]): string[] {
  return [...new Set(found.map((v) => v.id))].sort();
}

function only(found: Vulnerability[], id: string, pkg?: string): Vulnerability {
  const hits = found.filter((v) => v.id === id && (pkg === undefined || v.package.name === pkg));
  assert.equal(
    hits.length,
    1,
    `one ${id} finding${pkg === undefined ? "" : ` for ${pkg}`}: ${JSON.stringify(ids(found))}`,
  );
  return hits[0] as Vulnerability;
}

describe("matching packages against the corpus's OSV records", { skip: NO_CORPUS }, () => {
  before(async () => {
    const summary = await importOsv([corpusPath("osv")], dbPath, { now: new Date("2026-01-02T03:04:05Z") });
    // Every record file imports; the schema files and one npm lockfile under inputs/ are not records.
    assert.equal(summary.rejected, 3, summary.problems.join("\n"));
    assert.ok(summary.records >= 55);
    db = openVulnDatabase(dbPath);
  });
  after(() => {
    db?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it("records the import time as the feed age", () => {
    const info = db.info();
    assert.equal(info.lastImport?.importedAt, "2026-01-02T03:04:05.000Z");
    assert.deepEqual(info.lastImport?.sources, [corpusPath("osv")]);
    assert.deepEqual(db.provenance(), {
      source: "osv",
      location: dbPath,
      dbUpdatedAt: "2026-01-02T03:04:05.000Z",
    });
  });

  it("finds exactly osv-scanner's six vulnerabilities in the postgres-stretch SBOM", () => {
    const packages = sbomPackages("osv/osv-scanner-offline/inputs/postgres-stretch.cdx.xml");
    assert.equal(packages.length, 136);
    const found = matchPackages(db, packages);
    assert.deepEqual(ids(found), [
      "DLA-3008-1",
      "DLA-3012-1",
      "DLA-3022-1",
      "DLA-3051-1",
      "GO-2022-0274",
      "GO-2022-0493",
    ]);
    // libssl1.1 is built from openssl: the Debian advisory names the source package.
    assert.deepEqual(
      found
        .filter((v) => v.id === "DLA-3008-1")
        .map((v) => v.package.name)
        .sort(),
      ["libssl1.1", "openssl"],
    );
    assert.deepEqual(only(found, "DLA-3022-1").fix, { state: "fixed", versions: ["1.18.26"] });
    assert.deepEqual(only(found, "DLA-3012-1").fix.versions, ["2.9.4+dfsg1-2.2+deb9u7"]);
    assert.deepEqual(only(found, "DLA-3051-1").fix.versions, ["2021a-0+deb9u4"]);
    assert.deepEqual(only(found, "GO-2022-0274").fix.versions, ["1.1.0"]);
    assert.deepEqual(only(found, "GO-2022-0493").fix.versions, ["0.0.0-20220412211240-33da011f77ad"]);
    assert.ok(only(found, "DLA-3008-1", "openssl").advisories?.includes("CVE-2022-1292"));
    assert.deepEqual(only(found, "GO-2022-0274").aliases, ["CVE-2021-43784", "GHSA-v95c-p5hm-xq8f"]);
    assert.ok(found.every((v) => v.sources?.includes("osv")));
  });

  it("finds musl 1.2.3-r4 on Alpine 3.17 affected, fixed in 1.2.3-r6, and nothing else in that SBOM", () => {
    const packages = sbomPackages("osv/osv-scanner-offline/inputs/locks-many-with-insecure/alpine.cdx.xml");
    const found = matchPackages(db, packages);
    assert.deepEqual(ids(found), ["ALPINE-CVE-2025-26519"]);
    assert.deepEqual(only(found, "ALPINE-CVE-2025-26519", "musl").fix, {
      state: "fixed",
      versions: ["1.2.3-r6"],
    });
    // The same package on a branch without an entry (3.10), and the fixed build, are not affected.
    const musl = { name: "musl", version: "1.2.3-r4", type: "apk" };
    assert.deepEqual(matchPackages(db, [musl], { name: "alpine", version: "3.10.9" }), []);
    assert.deepEqual(
      matchPackages(db, [{ ...musl, version: "1.2.3-r6" }], { name: "alpine", version: "3.17.2" }),
      [],
    );
    assert.equal(matchPackages(db, [musl], { name: "alpine", version: "3.17.2" }).length, 1);
  });

  it("finds flask 1.0.0 and requests 2.20.0 of requirements.txt, not django 1.11.29", () => {
    const lines = readFileSync(
      corpusPath("osv/osv-scanner-offline/inputs/locks-requirements/requirements.txt"),
      "utf8",
    );
    const packages = lines
      .split("\n")
      .filter((l) => l.includes("=="))
      .map((l) => {
        const [name, version] = l.trim().split("==");
        return { name: name as string, version: version as string, type: "python" };
      });
    const found = matchPackages(db, packages);
    assert.deepEqual(ids(found), ["PYSEC-2023-62", "PYSEC-2023-74"]);
    assert.deepEqual(only(found, "PYSEC-2023-62").fix.versions, ["2.2.5"]);
    assert.deepEqual(only(found, "PYSEC-2023-74").fix.versions, ["2.31.0"]);
    assert.ok(only(found, "PYSEC-2023-62").aliases?.includes("CVE-2023-30861"));
  });

  it("finds ansi-html 0.0.1 of the npm lockfile", () => {
    const lock = readCorpusJson(
      "osv/osv-scanner-offline/inputs/locks-many-with-insecure/package-lock.json",
    ) as {
      dependencies: Record<string, { version: string }>;
    };
    const packages = Object.entries(lock.dependencies).map(([name, d]) => ({
      name,
      version: d.version,
      type: "npm",
    }));
    const found = matchPackages(db, packages);
    assert.deepEqual(ids(found), ["GHSA-whgm-jr23-g3j9"]);
    assert.deepEqual(only(found, "GHSA-whgm-jr23-g3j9").fix.versions, ["0.0.8"]);
  });

  it("finds the Maven advisories of osv-scanner's transitive scan by group:artifact", () => {
    const found = matchPackages(db, [
      { name: "junit", version: "4.12", type: "java", purl: "pkg:maven/junit/junit@4.12" },
      { name: "org.apache.logging.log4j:log4j-core", version: "2.14.1", type: "maven" },
      {
        name: "play-services-basement",
        version: "10.0.0",
        type: "java",
        purl: "pkg:maven/com.google.android.gms/play-services-basement@10.0.0",
      },
      // Spring4Shell: spring-beans 5.3.15 as in Trivy's spring4shell-jre11 report (fixed 5.3.18).
      { name: "org.springframework:spring-beans", version: "5.3.15", type: "java" },
    ]);
    assert.deepEqual(only(found, "GHSA-269g-pwp5-87pp").fix.versions, ["4.13.1"]);
    assert.deepEqual(only(found, "GHSA-3pxv-7cmr-fjr4").fix.versions, ["2.25.4"]);
    assert.deepEqual(only(found, "GHSA-cm6r-892j-jv2g").fix.versions, ["18.0.2"]);
    assert.deepEqual(only(found, "GHSA-36p3-wjmg-h94x").fix.versions, ["5.3.18"]);
    assert.equal(found.length, 4);
  });

  it("finds Go modules and the standard library by module path", () => {
    const found = matchPackages(db, [
      // Trivy's gomod-vex report: golang.org/x/text v0.3.6 has CVE-2021-38561, fixed 0.3.7.
      { name: "golang.org/x/text", version: "v0.3.6", type: "gomod" },
      { name: "stdlib", version: "v1.22.1", type: "gobinary" },
      { name: "golang.org/x/text", version: "v0.3.7", type: "go" },
    ]);
    assert.deepEqual(only(found, "GO-2021-0113").fix.versions, ["0.3.7"]);
    assert.deepEqual(only(found, "GO-2024-2963").fix.versions, ["1.22.5"]);
    assert.equal(found.length, 2);
  });

  it("finds activesupport 6.0.2.1 (fixed 6.0.3.1) and werkzeug 2.2.3 as the scanners do", () => {
    const found = matchPackages(db, [
      { name: "activesupport", version: "6.0.2.1", type: "gem" },
      { name: "Werkzeug", version: "2.2.3", type: "python" },
    ]);
    assert.deepEqual(only(found, "GHSA-2p68-f74v-9wc6").fix.versions, ["6.0.3.1"]);
    only(found, "GHSA-hrfv-mqp8-q5rw", "Werkzeug");
  });

  it("matches Ubuntu 18.04's e2fsprogs binaries through their source package, as Trivy reports CVE-2019-5094", () => {
    const { packages } = readDpkgStatus(readFileSync(corpusPath("pkgdb/dpkg/trivy/ubuntu-18.04/status")), {
      distro: { name: "ubuntu", version: "18.04" },
    });
    const found = matchPackages(db, packages, { name: "ubuntu", version: "18.04" });
    const trivy = readCorpusJson("scanners/trivy/upstream/ubuntu-1804.json") as {
      Results: { Vulnerabilities?: { VulnerabilityID: string; PkgName: string }[] }[];
    };
    const trivyPackages = trivy.Results.flatMap((r) => r.Vulnerabilities ?? [])
      .filter((v) => v.VulnerabilityID === "CVE-2019-5094")
      .map((v) => v.PkgName)
      .sort();
    assert.deepEqual(trivyPackages, ["e2fsprogs", "libcom-err2", "libext2fs2", "libss2"]);
    for (const id of ["USN-4142-1", "UBUNTU-CVE-2019-5094"]) {
      const hits = found.filter((v) => v.id === id);
      assert.deepEqual(hits.map((v) => v.package.name).sort(), trivyPackages, id);
      assert.ok(
        hits.every((v) => v.fix.versions.join() === "1.44.1-1ubuntu1.2"),
        id,
      );
    }
    // The CVE-level record carries CVSS v3 vectors: its severity comes from the first one's base score.
    const cve = only(found, "UBUNTU-CVE-2019-5094", "e2fsprogs");
    assert.equal(cve.cvss?.[0]?.baseScore, 6.7);
    assert.equal(cve.severity, "medium");
  });

  it("takes an Ubuntu severity entry when a record has no CVSS vector", () => {
    // osv.dev's test_ubuntu_severity: UBUNTU-CVE-2025-38094 keeps severity [{type: Ubuntu, score: medium}].
    const found = matchPackages(
      db,
      [
        {
          name: "linux-image-3.13.0-100-generic",
          version: "3.13.0-100.147",
          type: "dpkg",
          sourceName: "linux",
        },
      ],
      { name: "ubuntu", version: "14.04" },
    );
    assert.equal(only(found, "UBUNTU-CVE-2025-38094").severity, "medium");
    assert.equal(only(found, "UBUNTU-CVE-2025-38094").fix.state, "not-fixed");
  });

  it("compares rpm epochs: openssl-libs 1:1.1.1k-4.el8 on AlmaLinux 8 is affected by ALSA-2022:1065", () => {
    const found = matchPackages(
      db,
      [{ name: "openssl-libs", version: "1:1.1.1k-4.el8", type: "rpm", sourceName: "openssl" }],
      { name: "almalinux", version: "8.5" },
    );
    assert.deepEqual(only(found, "ALSA-2022:1065", "openssl-libs").fix.versions, ["1:1.1.1k-6.el8_5"]);
    assert.equal(only(found, "ALSA-2022:1065").severity, "high");
    const fixed = matchPackages(
      db,
      [{ name: "openssl-libs", version: "1:1.1.1k-6.el8_5", type: "rpm", sourceName: "openssl" }],
      { name: "almalinux", version: "8.5" },
    );
    assert.deepEqual(fixed, []);
    // Epoch 2 of skopeo on AlmaLinux 10 (grype's transformer test data): 1.18.0 without the epoch is older.
    const skopeo = matchPackages(db, [{ name: "skopeo", version: "2:1.18.0-1.el10", type: "rpm" }], {
      name: "almalinux",
      version: "10.0",
    });
    assert.deepEqual(only(skopeo, "ALSA-2025:7467").fix.versions, ["2:1.18.1-1.el10_0"]);
  });

  it("falls back to the versions list for ecosystems without a known order", () => {
    // RSEC-2023-2 (CRAN readxl) lists version 1.4.1; HSEC-2023-0006 (Hackage) lists none.
    const found = matchPackages(db, [
      { name: "readxl", version: "1.4.1", type: "cran" },
      { name: "readxl", version: "1.4.0", type: "cran" },
      { name: "x509-validation", version: "1.4.5", type: "hackage" },
    ]);
    assert.deepEqual(
      found.map((v) => `${v.id} ${v.package.version} ${v.fix.versions.join()}`),
      ["RSEC-2023-2 1.4.1 1.4.2"],
    );
  });

  it("keeps Root.io's patched-package entries (Root:Debian:12) away from plain Debian 12 packages", () => {
    const pkg = { name: "rootio-imagemagick", version: "8:6.9.11.60+dfsg-1.6+deb12u2", type: "dpkg" };
    assert.deepEqual(matchPackages(db, [pkg], { name: "debian", version: "12" }), []);
  });

  it("matches nothing for unknown package types, unknown distributions, or Debian packages without a release", () => {
    assert.deepEqual(matchPackages(db, [{ name: "openssl", version: "1.0", type: "binary" }]), []);
    assert.deepEqual(
      matchPackages(db, [{ name: "openssl", version: "1.0", type: "dpkg" }], { name: "plan9" }),
      [],
    );
    assert.deepEqual(
      matchPackages(db, [{ name: "openssl", version: "1.1.0l-1~deb9u5", type: "dpkg" }], { name: "debian" }),
      [],
    );
  });
});

describe("re-importing", { skip: NO_CORPUS }, () => {
  it("replaces a record's rows, and keeps a stored record that is newer than the one imported", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cipolice-reimport-"));
    try {
      const records = join(dir, "records");
      mkdirSync(records);
      cpSync(corpusPath("osv/osv-scanner-offline/npm/GHSA-whgm-jr23-g3j9.json"), join(records, "a.json"));
      const path = join(dir, "osv.db");
      const first = await importOsv([records], path);
      const again = await importOsv([records], path);
      assert.deepEqual([first.written, again.written, again.keptNewer], [1, 1, 0]);
      // An older copy whose range no longer covers 0.0.1 must not replace the newer record.
      const record = JSON.parse(readFileSync(join(records, "a.json"), "utf8"));
      const older = { ...record, modified: "2000-01-01T00:00:00Z", affected: [] };
      writeFileSync(join(records, "a.json"), JSON.stringify(older));
      const third = await importOsv([records], path);
      assert.deepEqual([third.written, third.keptNewer], [0, 1]);
      const db2 = openVulnDatabase(path);
      try {
        assert.deepEqual(db2.info().affected, 1);
        assert.equal(matchPackages(db2, [{ name: "ansi-html", version: "0.0.1", type: "npm" }]).length, 1);
      } finally {
        db2.close();
      }
      // A newer copy replaces it, affected rows and all.
      writeFileSync(join(records, "a.json"), JSON.stringify({ ...older, modified: "2100-01-01T00:00:00Z" }));
      await importOsv([records], path);
      const db3 = openVulnDatabase(path);
      try {
        assert.equal(db3.info().affected, 0);
        assert.deepEqual(matchPackages(db3, [{ name: "ansi-html", version: "0.0.1", type: "npm" }]), []);
      } finally {
        db3.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("skips invalid records with a message naming the file, or stops at the first in strict mode", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cipolice-bad-"));
    try {
      writeFileSync(join(dir, "bad.json"), '{"id": "GHSA-x", ');
      const summary = await importOsv([dir], join(dir, "osv.db"));
      assert.equal(summary.rejected, 1);
      assert.match(
        summary.problems[0] as string,
        /^Cannot read OSV record: it is not valid JSON: .*bad\.json\)$/,
      );
      await assert.rejects(importOsv([dir], join(dir, "osv2.db"), { strict: true }), { code: "CIP_PARSE" });
      await assert.rejects(importOsv([join(dir, "missing")], join(dir, "osv3.db")), /ENOENT.*missing/);
      assert.throws(() => openVulnDatabase(join(dir, "none.db")), /the file does not exist.*none\.db/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
