import assert from "node:assert/strict";
import { test } from "node:test";
import { bandedSeverity } from "./finding-fields.js";
import { normalizeSeverity, severityFromCvss } from "./severity.js";

test("CVSS v3 bands: each boundary score belongs to the band above it", () => {
  const cases: [number, string][] = [
    [0, "negligible"],
    [0.1, "low"],
    [3.9, "low"],
    [4.0, "medium"],
    [6.9, "medium"],
    [7.0, "high"],
    [8.9, "high"],
    [9.0, "critical"],
    [10.0, "critical"],
  ];
  for (const [score, band] of cases) assert.equal(severityFromCvss(score), band, `score ${score}`);
});

test("a finding with only a CVSS score is banded at the 7.0 boundary between medium and high", () => {
  const v3 = (baseScore: number) => [{ version: "3.1", source: "nvd" as const, baseScore }];
  assert.equal(bandedSeverity(v3(6.9)), "medium");
  assert.equal(bandedSeverity(v3(7.0)), "high");
  assert.equal(bandedSeverity(v3(3.9)), "low");
  assert.equal(bandedSeverity(v3(4.0)), "medium");
  assert.equal(bandedSeverity(v3(8.9)), "high");
  assert.equal(bandedSeverity(v3(9.0)), "critical");
});

test("Red Hat's severity words: Important is high, Moderate medium, Low low, Critical critical", () => {
  const cases: [string, string][] = [
    ["Important", "high"],
    ["important", "high"],
    ["IMPORTANT", "high"],
    [" Important ", "high"],
    ["Moderate", "medium"],
    ["moderate", "medium"],
    ["Low", "low"],
    ["Critical", "critical"],
  ];
  for (const [word, severity] of cases) assert.equal(normalizeSeverity(word), severity, word);
});
