import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { corpusPath, skipWithoutCorpus } from "../../test/support/corpus.js";
import { cvssV3BaseScore, cvssV3Severity } from "./cvss-v3.js";

/** Every (vector, base score) pair a Trivy or Grype report in the corpus states, with the file it came from. */
function corpusPairs(): { vector: string; score: number; file: string }[] {
  const pairs: { vector: string; score: number; file: string }[] = [];
  const visit = (value: unknown, file: string): void => {
    if (Array.isArray(value)) {
      for (const item of value) visit(item, file);
      return;
    }
    if (typeof value !== "object" || value === null) return;
    const object = value as Record<string, unknown>;
    // Trivy: CVSS.<source>.V3Vector + V3Score; Grype: cvss[].vector + metrics.baseScore.
    if (typeof object.V3Vector === "string" && typeof object.V3Score === "number") {
      pairs.push({ vector: object.V3Vector, score: object.V3Score, file });
    }
    const metrics = object.metrics as Record<string, unknown> | undefined;
    if (typeof object.vector === "string" && typeof metrics?.baseScore === "number") {
      pairs.push({ vector: object.vector, score: metrics.baseScore, file });
    }
    for (const child of Object.values(object)) visit(child, file);
  };
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const full = join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (name.endsWith(".json")) visit(JSON.parse(readFileSync(full, "utf8")), full);
    }
  };
  walk(corpusPath("scanners/trivy"));
  walk(corpusPath("scanners/grype"));
  return pairs.filter((p) => p.vector.startsWith("CVSS:3"));
}

describe("CVSS v3 base score", () => {
  it("gives the base score every Trivy and Grype report in the corpus states for its vector", {
    skip: skipWithoutCorpus("scanners/trivy", "scanners/grype"),
  }, () => {
    const pairs = corpusPairs();
    assert.ok(pairs.length >= 80, `expected many vectors, found ${pairs.length}`);
    const wrong = pairs.filter((p) => cvssV3BaseScore(p.vector)?.baseScore !== p.score);
    assert.deepEqual(
      wrong.map(
        (p) => `${p.vector} = ${p.score} in ${p.file}, computed ${cvssV3BaseScore(p.vector)?.baseScore}`,
      ),
      [],
    );
  });

  it("scores the specification's examples and rates them", () => {
    // FIRST CVSS v3.1 specification, section 8 examples (CVE-2013-1937: 6.1; CVE-2014-0160 Heartbleed: 7.5).
    assert.equal(cvssV3BaseScore("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N")?.baseScore, 6.1);
    assert.equal(cvssV3BaseScore("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N")?.baseScore, 7.5);
    assert.equal(cvssV3Severity(9.8), "critical");
    assert.equal(cvssV3Severity(7.0), "high");
    assert.equal(cvssV3Severity(6.9), "medium");
    assert.equal(cvssV3Severity(0.1), "low");
    assert.equal(cvssV3Severity(0), "negligible");
  });

  it("ignores temporal metrics and refuses vectors that are not v3 or lack a base metric", () => {
    assert.equal(cvssV3BaseScore("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N/E:U/RL:O")?.baseScore, 7.5);
    assert.equal(cvssV3BaseScore("AV:N/AC:L/Au:N/C:P/I:P/A:P"), undefined);
    assert.equal(
      cvssV3BaseScore("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"),
      undefined,
    );
    assert.equal(cvssV3BaseScore("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/C:H/I:N/A:N"), undefined);
    assert.equal(cvssV3BaseScore("CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"), undefined);
  });
});
