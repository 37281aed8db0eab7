import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { corpusPath, skipWithoutCorpus } from "../../../test/support/corpus.js";
import { isCipError } from "../../model/index.js";
import { isInstalledPackageJson, readNpmPackageJson } from "./npm-package-json.js";

const N = "pkgdb/lang/npm/trivy";
const read = (file: string, path = `/app/node_modules/x/package.json`) =>
  readNpmPackageJson(readFileSync(corpusPath(`${N}/${file}`)), path);

// Expected values: SOURCES.md's pkgdb/lang npm rows (trivy Test_nodePkgLibraryAnalyzer_Analyze, packagejson TestParse)
describe("readNpmPackageJson", () => {
  test("lodash under node_modules: one package, MIT, with its path", {
    skip: skipWithoutCorpus(`${N}/node_modules-lodash/package.json`),
  }, () => {
    const path = "/usr/src/app/node_modules/lodash/package.json";
    assert.deepEqual(read("node_modules-lodash/package.json", path), [
      {
        name: "lodash",
        version: "5.0.0",
        type: "npm",
        path,
        purl: "pkg:npm/lodash@5.0.0",
        licenses: ["MIT"],
      },
    ]);
  });

  test("a package.json without a name is no package", {
    skip: skipWithoutCorpus(`${N}/node_modules-noname/noname.json`),
  }, () => {
    assert.deepEqual(read("node_modules-noname/noname.json"), []);
  });

  test("bootstrap: the string form", { skip: skipWithoutCorpus(`${N}/bootstrap/package.json`) }, () => {
    const [pkg] = read("bootstrap/package.json");
    assert.equal(`${pkg?.name} ${pkg?.version}`, "bootstrap 5.0.2");
    assert.deepEqual(pkg?.licenses, ["MIT"]);
  });

  test("legacy object form: angular ISC", { skip: skipWithoutCorpus(`${N}/legacy_package.json`) }, () => {
    const [pkg] = read("legacy_package.json");
    assert.equal(`${pkg?.name} ${pkg?.version}`, "angular 4.1.2");
    assert.deepEqual(pkg?.licenses, ["ISC"]);
  });

  test("legacy array form: tv4 Public Domain and MIT", {
    skip: skipWithoutCorpus(`${N}/legacy_array_package.json`),
  }, () => {
    const [pkg] = read("legacy_array_package.json");
    assert.equal(`${pkg?.name} ${pkg?.version}`, "tv4 1.3.0");
    assert.deepEqual(pkg?.licenses, ["Public Domain", "MIT"]);
  });

  test("licenses list of strings, SPDX expressions, scoped names", () => {
    const [pkg] = readNpmPackageJson(
      JSON.stringify({
        name: "@Types/Node",
        version: "20.1.0",
        license: "(MIT OR Apache-2.0)",
        licenses: ["BSD"],
      }),
      "/node_modules/@types/node/package.json",
    );
    assert.deepEqual(pkg?.licenses, ["(MIT OR Apache-2.0)", "BSD"]);
    assert.equal(pkg?.purl, "pkg:npm/%40types/node@20.1.0");
  });

  test("invalid JSON is a parse error naming the file", () => {
    assert.throws(
      () => readNpmPackageJson("{", "/node_modules/a/package.json"),
      (e: Error) =>
        isCipError(e) &&
        e.code === "CIP_PACKAGE_DB_INVALID" &&
        e.message.includes("/node_modules/a/package.json"),
    );
  });

  test("which package.json files are installed packages", () => {
    assert.ok(isInstalledPackageJson("/app/node_modules/lodash/package.json"));
    assert.ok(isInstalledPackageJson("usr/lib/node_modules/@scope/pkg/package.json"));
    assert.ok(isInstalledPackageJson("/app/node_modules/a/node_modules/b/package.json"));
    assert.ok(!isInstalledPackageJson("/app/package.json"));
    assert.ok(!isInstalledPackageJson("/app/node_modules/lodash/lib/package.json"));
  });
});
