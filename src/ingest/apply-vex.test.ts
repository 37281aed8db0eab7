import assert from "node:assert/strict";
import { test } from "node:test";
import type { ImageFacts, Vulnerability } from "../model/index.js";
import { applyVex } from "./apply-vex.js";
import type { VexDocument, VexStatement } from "./parsed-report.js";

const DIGEST = "sha256:124c7d2707904eea7431fffe91522a01e5a861a624ee31d03372cc1d138a3126";

function vuln(id: string, purl: string): Vulnerability {
  return {
    id,
    package: { name: purl.split("/").pop()?.split("@")[0] ?? "x", version: "1", type: "apk", purl },
    severity: "high",
    fix: { state: "not-fixed", versions: [] },
  };
}

const FACTS: ImageFacts = {
  ref: { registry: "docker.io", repository: "library/alpine", tag: "3.18" },
  digest: DIGEST,
  vulnerabilities: [
    vuln("CVE-2023-1", "pkg:apk/alpine/busybox@1.36.1-r2"),
    vuln("CVE-2023-1", "pkg:apk/alpine/ssl_client@1.36.1-r2"),
    vuln("CVE-2023-2", "pkg:apk/alpine/libcrypto3@3.1.1-r1"),
  ],
};

function doc(statements: Partial<VexStatement>[]): VexDocument {
  return {
    format: "openvex",
    id: "https://example.test/vex-1",
    statements: statements.map((s) => ({
      vulnerability: "CVE-2023-1",
      aliases: [],
      products: [],
      subcomponents: [],
      status: "not_affected",
      ...s,
    })),
  };
}

test("a statement about this image (by digest) covers the listed subcomponents only", () => {
  const { facts } = applyVex(FACTS, [
    doc([
      {
        products: [`pkg:oci/alpine@${DIGEST}`],
        subcomponents: ["pkg:apk/alpine/busybox@1.36.1-r2"],
        justification: "vulnerable_code_not_in_execute_path",
      },
    ]),
  ]);
  const [busybox, sslClient] = facts.vulnerabilities ?? [];
  assert.deepEqual(busybox?.vex, {
    status: "not_affected",
    justification: "vulnerable_code_not_in_execute_path",
    document: "openvex:https://example.test/vex-1",
  });
  assert.equal(sslClient?.vex, undefined);
});

test("a statement for another image digest covers nothing, and the decision is told", () => {
  const { facts, notes } = applyVex(FACTS, [
    doc([
      {
        products: ["pkg:oci/alpine@sha256:0000000000000000000000000000000000000000000000000000000000000000"],
      },
    ]),
  ]);
  assert.ok(facts.vulnerabilities?.every((v) => v.vex === undefined));
  assert.match(
    notes[0]?.message ?? "",
    /1 of 1 statements of VEX document https:\/\/example\.test\/vex-1 \(openvex\) match no finding/,
  );
});

test("a statement naming a package (not an image) applies to that package wherever it is; newest statement wins", () => {
  const { facts } = applyVex(FACTS, [
    doc([
      {
        vulnerability: "CVE-2023-2",
        products: ["pkg:apk/alpine/libcrypto3"],
        status: "under_investigation",
        timestamp: "2026-01-01T00:00:00Z",
      },
      {
        vulnerability: "CVE-2023-2",
        products: ["pkg:apk/alpine/libcrypto3@3.1.1-r1"],
        status: "fixed",
        timestamp: "2026-02-01T00:00:00Z",
      },
    ]),
  ]);
  assert.equal(facts.vulnerabilities?.[2]?.vex?.status, "fixed");
});

test("statements match through aliases", () => {
  const { facts } = applyVex(FACTS, [
    doc([{ vulnerability: "GHSA-xxxx", aliases: ["CVE-2023-1"], products: [DIGEST] }]),
  ]);
  assert.equal(facts.vulnerabilities?.[0]?.vex?.status, "not_affected");
  assert.equal(facts.vulnerabilities?.[1]?.vex?.status, "not_affected");
});
