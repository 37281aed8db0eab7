import assert from "node:assert/strict";
import { test } from "node:test";
import { factsFor, fireTrigger, paramProblems } from "../../../test/support/gates.js";
import { defaultTriggerId } from "../trigger-id.js";
import { licensesGate } from "./licenses.js";

const facts = factsFor({
  packages: [
    { name: "bash", version: "5.1-2", type: "dpkg", licenses: ["GPL-3+"] },
    {
      name: "glibc",
      version: "2.17",
      type: "rpm",
      licenses: ["LGPLv2+ and LGPLv2+ with exceptions and GPLv2+"],
    },
    { name: "zlib", version: "1.2.13", type: "apk", licenses: ["Zlib"] },
    { name: "libbsd", version: "0.11", type: "dpkg", licenses: ["BSD-3-clause", "BSD-2-clause"] },
    { name: "nolicense", version: "1", type: "npm" },
  ],
});

test("blacklist_exact_match fires once, listing every package(license) whose license word is denied", () => {
  const hits = fireTrigger(
    licensesGate,
    "blacklist_exact_match",
    { licenses: "GPLv2+, BSD-2-clause" },
    facts,
  );
  const message =
    "LICFULLMATCH Packages are installed that have blacklisted licenses: glibc(GPLv2+), libbsd(BSD-2-clause)";
  assert.deepEqual(hits, [
    { message, triggerId: defaultTriggerId("licenses", "blacklist_exact_match", message) },
  ]);
});

test("licenses are split into words as anchore-engine splits them, so an exact match is per word", () => {
  const hits = fireTrigger(licensesGate, "blacklist_exact_match", { licenses: "LGPLv2+ and LGPLv2+" }, facts);
  assert.deepEqual(hits, []);
});

test("blacklist_partial_match lists a license once per denied fragment it contains", () => {
  const hits = fireTrigger(licensesGate, "blacklist_partial_match", { licenses: "BSD,2-clause" }, facts);
  assert.deepEqual(
    hits.map((h) => h.message),
    [
      "LICSUBMATCH Packages are installed that have blacklisted licenses: libbsd(BSD-3-clause), libbsd(BSD-2-clause), libbsd(BSD-2-clause)",
    ],
  );
});

test("nothing fires without matching licenses or without packages", () => {
  assert.deepEqual(fireTrigger(licensesGate, "blacklist_partial_match", { licenses: "MIT" }, facts), []);
  assert.deepEqual(
    fireTrigger(licensesGate, "blacklist_exact_match", { licenses: "GPL-3+" }, factsFor()),
    [],
  );
});

test("licenses is required", () => {
  assert.match(
    paramProblems(licensesGate, "blacklist_exact_match", {})[0] ?? "",
    /required parameter "licenses"/,
  );
});
