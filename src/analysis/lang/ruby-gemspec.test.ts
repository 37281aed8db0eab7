import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { corpusPath, skipWithoutCorpus } from "../../../test/support/corpus.js";
import { isCipError } from "../../model/index.js";
import { isInstalledGemspecPath, readGemspec } from "./ruby-gemspec.js";

const R = "pkgdb/lang/ruby";
const read = (file: string) =>
  readGemspec(readFileSync(corpusPath(`${R}/${file}`)), `/usr/local/bundle/specifications/${file}`);

// Expected values: SOURCES.md's pkgdb/lang ruby rows (trivy gemspec TestParse, syft integration test)
describe("readGemspec", () => {
  test("rake 13.0.3, MIT", { skip: skipWithoutCorpus(`${R}/trivy/normal00.gemspec`) }, () => {
    const [pkg] = read("trivy/normal00.gemspec");
    assert.equal(`${pkg?.name} ${pkg?.version}`, "rake 13.0.3");
    assert.deepEqual(pkg?.licenses, ["MIT"]);
    assert.equal(pkg?.purl, "pkg:gem/rake@13.0.3");
  });

  test("test-unit 3.3.7 with three licenses", {
    skip: skipWithoutCorpus(`${R}/trivy/multiple_licenses.gemspec`),
  }, () => {
    const [pkg] = read("trivy/multiple_licenses.gemspec");
    assert.equal(`${pkg?.name} ${pkg?.version}`, "test-unit 3.3.7");
    assert.deepEqual(pkg?.licenses, ["Ruby", "BSDL", "PSFL"]);
  });

  test("malformed (no version) is a parse error", {
    skip: skipWithoutCorpus(`${R}/trivy/malformed01.gemspec`),
  }, () => {
    assert.throws(
      () => read("trivy/malformed01.gemspec"),
      (e: Error) => isCipError(e) && e.code === "CIP_PACKAGE_DB_INVALID" && /no version/.test(e.message),
    );
  });

  test("syft's bundler 2.1.4 (indented, trailing blanks)", {
    skip: skipWithoutCorpus(`${R}/syft/specifications/bundler.gemspec`),
  }, () => {
    const [pkg] = read("syft/specifications/bundler.gemspec");
    assert.equal(`${pkg?.name} ${pkg?.version}`, "bundler 2.1.4");
    assert.deepEqual(pkg?.licenses, ["MIT"]);
  });

  test("single license form and specification paths", () => {
    const [pkg] = readGemspec(
      'Gem::Specification.new do |s|\n  s.name = \'x\'\n  s.version = "1.0"\n  s.license = "Apache-2.0".freeze\nend\n',
      "/s",
    );
    assert.deepEqual(pkg?.licenses, ["Apache-2.0"]);
    assert.ok(isInstalledGemspecPath("/usr/local/bundle/specifications/rake-13.0.3.gemspec"));
    assert.ok(!isInstalledGemspecPath("/app/rake.gemspec"));
  });
});
