import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { REPO_ROOT } from "../../../test/support/corpus.js";
import { clairLayerFormat } from "./clair-layer.js";

// No Clair v1/v2 layer document is in the shared corpus: these fixtures are ours (see their README).
function fixture(name: string): unknown {
  return JSON.parse(readFileSync(`${REPO_ROOT}/test/fixtures/clair-layer/${name}`, "utf8"));
}

test("top layer of a Debian 9 image: packages, findings, CVSS and fixes", () => {
  const report = clairLayerFormat.parse(fixture("debian9-top-layer.json"), "debian9-top-layer.json");
  assert.equal(report.format, "clair-layer");
  assert.deepEqual(report.scanner, { name: "clair" });
  assert.deepEqual(report.distro, { name: "debian", version: "9" });
  assert.deepEqual(
    report.packages.map((p) => `${p.name}@${p.version} ${p.type}`),
    [
      "openssl@1.1.0f-3+deb9u2 dpkg",
      "bash@4.4-5 dpkg",
      "zlib@1:1.2.8.dfsg-5 dpkg",
      "tzdata@2019a-0+deb9u1 dpkg",
    ],
  );
  const vulns = report.vulnerabilities ?? [];
  // 6 entries; the DSA listed twice for bash is one finding.
  assert.deepEqual(
    vulns.map((v) => `${v.id} ${v.package.name} ${v.severity} ${v.fix.state}`),
    [
      "CVE-2018-0732 openssl medium fixed",
      "CVE-2007-6755 openssl negligible not-fixed",
      "DSA-9999-1 bash critical fixed",
      "CVE-2018-25032 zlib high not-fixed",
    ],
  );
  const [openssl, , dsa, zlib] = vulns;
  assert.deepEqual(openssl?.cvss, [
    { version: "2.0", source: "nvd", sourceName: "nvd", baseScore: 5, vector: "AV:N/AC:L/Au:N/C:N/I:N/A:P" },
    {
      version: "3.0",
      source: "nvd",
      sourceName: "nvd",
      baseScore: 7.5,
      exploitabilityScore: 3.9,
      impactScore: 3.6,
      vector: "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H",
    },
  ]);
  assert.equal(openssl?.publishedAt, "2018-06-12T13:29:00.000Z");
  assert.deepEqual(openssl?.fix, { state: "fixed", versions: ["1.1.0f-3+deb9u3"] });
  assert.equal(openssl?.aliases, undefined);
  // Defcon1 is critical; the repeat adds its fix version; the advisory's CVEs are advisories, never merge keys.
  assert.deepEqual(dsa?.fix, { state: "fixed", versions: ["4.4-5+deb9u1", "4.4-5+deb9u2"] });
  assert.equal(dsa?.aliases, undefined);
  assert.deepEqual(dsa?.advisories, ["CVE-2019-18276", "CVE-2016-9401"]);
  // No Severity word: banded from the CVSS v3 base score 7.5.
  assert.equal(zlib?.severity, "high");
});

test("a bare layer (fetched without ?features&vulnerabilities): no vulnerability data, a note saying why", () => {
  const report = clairLayerFormat.parse(fixture("bare-layer.json"), "bare-layer.json");
  assert.equal(report.vulnerabilities, undefined);
  assert.deepEqual(report.packages, []);
  assert.equal(report.notes.length, 1);
  assert.match(report.notes[0] ?? "", /lists no features: fetch it with \?features&vulnerabilities/);
  assert.deepEqual(report.distro, { name: "debian", version: "9" });
});

test("detection: a Layer object with Features or a Name", () => {
  assert.equal(clairLayerFormat.detect(fixture("debian9-top-layer.json")), true);
  assert.equal(clairLayerFormat.detect(fixture("bare-layer.json")), true);
  assert.equal(clairLayerFormat.detect({ Layer: "x" }), false);
  assert.equal(clairLayerFormat.detect({ Layers: [] }), false);
  assert.equal(clairLayerFormat.detect(null), false);
});

test("broken layer documents: CIP_REPORT_INVALID naming where", () => {
  assert.throws(() => clairLayerFormat.parse({ Layer: { Name: "l", Features: {} } }, "l.json"), {
    code: "CIP_REPORT_INVALID",
    message:
      /Cannot read Clair layer report l\.json: expected an array, got an object \(at \$\.Layer\.Features\)/,
  });
  assert.throws(
    () =>
      clairLayerFormat.parse(
        { Layer: { Features: [{ Name: "bash", Vulnerabilities: [{ Severity: "Low" }] }] } },
        "l.json",
      ),
    { code: "CIP_REPORT_INVALID", message: /at \$\.Layer\.Features\[0\]\.Vulnerabilities\[0\]\.Name/ },
  );
  assert.throws(() => clairLayerFormat.parse({ Layer: { Features: [{ Version: "1" }] } }, "l.json"), {
    code: "CIP_REPORT_INVALID",
    message: /at \$\.Layer\.Features\[0\]\.Name/,
  });
  assert.throws(() => clairLayerFormat.parse({ Layer: null }, "l.json"), {
    code: "CIP_REPORT_INVALID",
    message: /at \$\.Layer\)/,
  });
});
