import assert from "node:assert/strict";
import { test } from "node:test";
import { readCorpusJson, skipWithoutCorpus } from "../../../test/support/corpus.js";
import { claimedBy, corpusFilesWhere, countBy, fuzzParser } from "../../../test/support/ingest.js";
import { CipError } from "../../model/index.js";
import type { ParsedReport } from "../parsed-report.js";
import { syftFormat } from "./syft.js";

const SYFT = "sbom/syft";

function parse(relative: string): ParsedReport {
  return syftFormat.parse(readCorpusJson(relative), relative);
}

test("syft 0.12.2 of anchore/test_images:lean: 79 artifacts (apk 28, gem 38, python 13), alpine, no vulnerability data", {
  skip: skipWithoutCorpus(`${SYFT}/anchore-engine_syft-0.12.2_test_images-lean.json`),
}, () => {
  const report = parse(`${SYFT}/anchore-engine_syft-0.12.2_test_images-lean.json`);
  assert.equal(report.packages.length, 79);
  assert.deepEqual(
    countBy(report.packages, (p) => p.type),
    { apk: 28, gem: 38, python: 13 },
  );
  assert.equal(report.vulnerabilities, undefined);
  assert.deepEqual(report.distro, { name: "alpine", version: "3.12.0" });
  assert.deepEqual(report.scanner, { name: "syft", version: "0.12.2" });
  assert.deepEqual(report.image, {
    ref: "anchore/test_images:lean",
    digest: "sha256:f05bfaa5dcd0721b904eef6e399157017691a0d5a0d2f1ea3756f75c9fc0adaf",
    imageId: "sha256:bcbc7646919eba281ecd08364d507ca88dc8343889a9e18002bf6dbfa348eaed",
  });
  assert.equal(report.layers?.length, 3);
  assert.deepEqual(report.packages[0], {
    name: "alpine-baselayout",
    version: "3.2.0-r6",
    type: "apk",
    purl: "pkg:alpine/alpine-baselayout@3.2.0-r6?arch=x86_64",
    licenses: ["GPL-2.0-only"],
  });
  const gem = report.packages.find((p) => p.type === "gem");
  assert.match(gem?.path ?? "", /^\/.*\.gemspec$/, "language packages keep their location");
});

test("grype's pruned ubuntu SBOM: 4 dpkg packages, distro with ID_LIKE", {
  skip: skipWithoutCorpus(`${SYFT}/grype_sbom-ubuntu-20.04--pruned.json`),
}, () => {
  const report = parse(`${SYFT}/grype_sbom-ubuntu-20.04--pruned.json`);
  assert.deepEqual(
    countBy(report.packages, (p) => p.type),
    { dpkg: 4 },
  );
  assert.deepEqual(report.distro, { name: "ubuntu", version: "20.04", like: ["debian"] });
  assert.equal(report.image?.ref, "ubuntu:20.04");
});

test("syft's encoder golden (1.x shape): source.metadata, license objects, a non-purl purl dropped", {
  skip: skipWithoutCorpus(`${SYFT}/syft_TestImageEncoder.golden.json`),
}, () => {
  const report = parse(`${SYFT}/syft_TestImageEncoder.golden.json`);
  assert.deepEqual(report.packages, [
    { name: "package-1", version: "1.0.1", type: "python", path: "/somefile-1.txt", licenses: ["MIT"] },
    { name: "package-2", version: "2.0.1", type: "dpkg", purl: "pkg:deb/debian/package-2@2.0.1" },
  ]);
  assert.deepEqual(report.distro, { name: "debian", version: "1.2.3", like: ["like!"] });
  assert.equal(
    report.image?.imageId,
    "sha256:35a6658e24fab92eae9ec6fc252dec58986c4c007891758d4d37c7e43fbbe0c5",
  );
  assert.equal(report.config?.workdir, "/");
});

test("detection: true for the Syft SBOMs, false for every other corpus file", {
  skip: skipWithoutCorpus(SYFT),
}, () => {
  assert.deepEqual(
    claimedBy(syftFormat),
    corpusFilesWhere((relative) => relative.startsWith(`${SYFT}/`)),
  );
});

test("broken SBOMs: CIP_REPORT_INVALID naming the place", () => {
  const cases: [unknown, RegExp][] = [
    [
      { artifacts: "x", descriptor: { name: "syft" } },
      /expected an array, got a string \(at \$\.artifacts\)/,
    ],
    [{ artifacts: [7] }, /expected an object, got a number \(at \$\.artifacts\[0\]\)/],
    [{ artifacts: [{ version: "1" }] }, /a required string is missing \(at \$\.artifacts\[0\]\.name\)/],
    [[], /expected an object, got an array \(at \$\)/],
  ];
  for (const [document, message] of cases) {
    assert.throws(
      () => syftFormat.parse(document, "bad.json"),
      (e: unknown) => e instanceof CipError && e.code === "CIP_REPORT_INVALID" && message.test(e.message),
    );
  }
});

test("mutated SBOMs: a result or a CipError, never another exception", {
  skip: skipWithoutCorpus(`${SYFT}/syft_TestImageEncoder.golden.json`),
}, () => {
  fuzzParser(syftFormat, readCorpusJson(`${SYFT}/syft_TestImageEncoder.golden.json`), "golden", 300, 5);
});
