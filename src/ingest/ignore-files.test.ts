import assert from "node:assert/strict";
import { test } from "node:test";
import { isCipError } from "../model/index.js";
import { parseIgnoreFile } from "./ignore-files.js";

test(".trivyignore: ids one a line, # comments and blank lines skipped, exp: read as midnight UTC", () => {
  const file = parseIgnoreFile(
    "# header\n\nCVE-2019-14697 exp:2027-01-31\r\n  GHSA-abcd-efgh-ijkl\n",
    ".trivyignore",
  );
  assert.equal(file.format, "trivyignore");
  assert.deepEqual(file.rules, [
    { where: "line 3", vulnerability: "CVE-2019-14697", expiresOn: "2027-01-31T00:00:00Z" },
    { where: "line 4", vulnerability: "GHSA-abcd-efgh-ijkl" },
  ]);
});

test(".trivyignore.yaml: id, paths, purls, statement and expired_at", () => {
  const file = parseIgnoreFile(
    "vulnerabilities:\n  - id: CVE-2022-40897\n    paths: [usr/lib/x]\n    purls: ['pkg:deb/debian/libssl1.1']\n    statement: Accept the risk\n    expired_at: 2024-08-20\nsecrets:\n  - id: aws-access-key-id\n",
    ".trivyignore.yaml",
  );
  assert.equal(file.format, "trivyignore-yaml");
  assert.deepEqual(file.rules, [
    {
      where: "vulnerabilities[0]",
      vulnerability: "CVE-2022-40897",
      paths: ["usr/lib/x"],
      purls: ["pkg:deb/debian/libssl1.1"],
      reason: "Accept the risk",
      expiresOn: "2024-08-20T00:00:00Z",
    },
  ]);
  assert.match(file.notes[0] ?? "", /1 secrets entries were not applied/);
});

test(".grype.yaml: vulnerability, fix-state and package fields; package types in our words", () => {
  const file = parseIgnoreFile(
    "ignore:\n  - vulnerability: CVE-2008-4318\n    fix-state: unknown\n    package:\n      name: libcurl\n      version: 1.5.1\n      type: java-archive\n      location: /usr/local/lib/node_modules/**\n    reason: not used\n  - fix-state: wont-fix\n",
    ".grype.yaml",
  );
  assert.equal(file.format, "grype");
  assert.deepEqual(file.rules, [
    {
      where: "ignore[0]",
      vulnerability: "CVE-2008-4318",
      fixState: "unknown",
      packageName: "libcurl",
      packageVersion: "1.5.1",
      packageType: "java",
      location: "/usr/local/lib/node_modules/**",
      reason: "not used",
    },
    { where: "ignore[1]", fixState: "wont-fix" },
  ]);
});

test("files that follow none of the formats are refused, naming the place", () => {
  const refused = (text: string, source: string) =>
    assert.throws(
      () => parseIgnoreFile(text, source),
      (e: unknown) => isCipError(e) && e.code === "CIP_PARSE" && e.message.includes(source),
    );
  refused("ignore:\n  - fix-state: maybe\n", ".grype.yaml");
  refused("ignore:\n  - {}\n", ".grype.yaml");
  refused("vulnerabilities:\n  - paths: [a]\n", ".trivyignore.yaml");
  refused("other: 1\n", "rules.yaml");
  refused("CVE-1 exp:soon\n", ".trivyignore");
});
