import assert from "node:assert/strict";
import { test } from "node:test";
import { parseIgnoreFile } from "../ingest/ignore-files.js";
import type { Vulnerability } from "../model/index.js";
import { ignoreAllowlists } from "./ignore-allowlist.js";

const vuln = (
  id: string,
  pkg: Vulnerability["package"],
  extra: Partial<Vulnerability> = {},
): Vulnerability => ({
  id,
  package: pkg,
  severity: "high",
  fix: { state: "fixed", versions: ["2"] },
  ...extra,
});

const MUSL = vuln("CVE-2019-14697", {
  name: "musl",
  version: "1.1.22-r2",
  type: "apk",
  purl: "pkg:apk/alpine/musl@1.1.22-r2?arch=x86_64",
});
const MUSL_UTILS = vuln("CVE-2019-14697", { name: "musl-utils", version: "1.1.22-r2", type: "apk" });
const LODASH = vuln(
  "GHSA-35jh-r3h4-6jhm",
  { name: "lodash", version: "4.17.15", type: "npm", path: "/app/node_modules/lodash/package.json" },
  { aliases: ["CVE-2021-23337"], fix: { state: "not-fixed", versions: [] } },
);

test("a bare id in an ignore file covers that CVE on every package, and an alias too", () => {
  const file = parseIgnoreFile("CVE-2019-14697\nCVE-2021-23337\n", ".trivyignore");
  const { allowlists, notes } = ignoreAllowlists([file], [MUSL, MUSL_UTILS, LODASH]);
  assert.deepEqual(
    allowlists[0]?.items.map((i) => [i.id, i.triggerId]),
    [
      ["line 1 (CVE-2019-14697)", "CVE-2019-14697+musl"],
      ["line 1 (CVE-2019-14697)", "CVE-2019-14697+musl-utils"],
      ["line 2 (CVE-2021-23337)", "GHSA-35jh-r3h4-6jhm+lodash"],
    ],
  );
  assert.deepEqual(notes, []);
});

test("purls without a version match any version; Grype fix-state and location narrow the rule", () => {
  const trivy = parseIgnoreFile(
    "vulnerabilities:\n  - id: CVE-2019-14697\n    purls: ['pkg:apk/alpine/musl']\n",
    ".trivyignore.yaml",
  );
  const grype = parseIgnoreFile(
    "ignore:\n  - fix-state: not-fixed\n    package: { location: '/app/**' }\n  - fix-state: wont-fix\n",
    ".grype.yaml",
  );
  const { allowlists, notes } = ignoreAllowlists([trivy, grype], [MUSL, MUSL_UTILS, LODASH]);
  assert.deepEqual(
    allowlists[0]?.items.map((i) => i.triggerId),
    ["CVE-2019-14697+musl"],
  );
  assert.deepEqual(
    allowlists[1]?.items.map((i) => i.triggerId),
    ["GHSA-35jh-r3h4-6jhm+lodash"],
  );
  assert.equal(notes.length, 1);
  assert.match(
    notes[0]?.message ?? "",
    /\.grype\.yaml: 1 of 2 ignore rules match no finding of this image: ignore\[1\]/,
  );
});
