import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { corpusPath, skipWithoutCorpus } from "../../../test/support/corpus.js";
import { isCipError } from "../../model/index.js";
import { isPythonMetadataPath, readPythonMetadata } from "./python-metadata.js";

const P = "pkgdb/lang/python/trivy";
const read = (file: string) =>
  readPythonMetadata(readFileSync(corpusPath(`${P}/${file}`)), `/site-packages/${file}`);

// Expected values: SOURCES.md's pkgdb/lang python rows (trivy Test_pipAnalyzer_Analyze, packaging TestParse)
describe("readPythonMetadata", () => {
  const cases: [string, string, string, string[]][] = [
    ["Flask-2.0.0.dist-info/METADATA", "Flask", "2.0.0", ["BSD License"]],
    ["distlib-0.3.1.METADATA", "distlib", "0.3.1", ["Python Software Foundation License"]],
    ["iniconfig-2.0.0.METADATA", "iniconfig", "2.0.0", ["MIT"]],
    ["zipp-3.12.1.METADATA", "zipp", "3.12.1", ["MIT License"]],
    ["setuptools-51.3.3-py3.8.egg-info.PKG-INFO", "setuptools", "51.3.3", ["UNKNOWN"]],
  ];
  for (const [file, name, version, licenses] of cases) {
    test(`${name} ${version}: ${licenses.join(", ")}`, { skip: skipWithoutCorpus(`${P}/${file}`) }, () => {
      const [pkg] = read(file);
      assert.equal(pkg?.name, name);
      assert.equal(pkg?.version, version);
      assert.deepEqual(pkg?.licenses, licenses);
      assert.equal(pkg?.type, "python");
      assert.equal(pkg?.path, `/site-packages/${file}`);
    });
  }

  test("the purl normalises the name (Flask → flask)", {
    skip: skipWithoutCorpus(`${P}/Flask-2.0.0.dist-info/METADATA`),
  }, () => {
    assert.equal(read("Flask-2.0.0.dist-info/METADATA")[0]?.purl, "pkg:pypi/flask@2.0.0");
  });

  test("no Name or Version is a parse error", () => {
    assert.throws(
      () => readPythonMetadata("Metadata-Version: 2.1\nName: x\n", "/x.dist-info/METADATA"),
      (e: Error) => isCipError(e) && e.code === "CIP_PACKAGE_DB_INVALID",
    );
  });

  test("continuation lines and the bare OSI Approved classifier", () => {
    const [pkg] = readPythonMetadata(
      "Name: asyncssh\nVersion: 2.14.2\nLicense: Eclipse Public License v2.0\nClassifier: License :: OSI Approved\n",
      "/m",
    );
    assert.deepEqual(pkg?.licenses, ["Eclipse Public License v2.0"]);
  });

  test("which paths hold metadata", () => {
    assert.ok(isPythonMetadataPath("/usr/lib/python3/dist-packages/requests-2.31.0.dist-info/METADATA"));
    assert.ok(isPythonMetadataPath("/x/setuptools-51.3.3-py3.8.egg-info/PKG-INFO"));
    assert.ok(isPythonMetadataPath("/x/distlib-0.3.1-py3.9.egg-info"));
    assert.ok(!isPythonMetadataPath("/x/requests-2.31.0.dist-info/RECORD"));
  });
});
