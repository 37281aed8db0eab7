import assert from "node:assert/strict";
import { test } from "node:test";
import type { DecisionV1 } from "../../src/model/index.js";
import { runCli } from "../support/run-cli.js";

// webapp: three findings, one without a fix (CVE-2023-45853 in zlib1g, won't fix)
const WEBAPP = "examples/webapp.facts.json";
const NOW = ["--now", "2026-11-22T00:00:00Z"];

for (const flag of ["--only-fixed", "--ignore-unfixed"]) {
  test(`${flag} leaves findings without a fix out, and says how many`, () => {
    const run = runCli(["check", "--facts", WEBAPP, ...NOW, flag, "--fail-on", "critical"]);
    assert.equal(run.status, 0, "the only critical finding has no fix, so it is left out");
    assert.match(
      unwrap(run.stdout),
      /note: 1 of 3 findings have no fix and were left out of the evaluation \(--only-fixed \/ --ignore-unfixed\)/,
    );
  });
}

test("--only-fixed changes what the policy sees: a rule on unfixed findings no longer fires", () => {
  const without = JSON.parse(
    runCli(["check", "--facts", WEBAPP, ...NOW, "--format", "json"]).stdout,
  ) as DecisionV1;
  const withFlag = JSON.parse(
    runCli(["check", "--facts", WEBAPP, ...NOW, "--format", "json", "--only-fixed"]).stdout,
  ) as DecisionV1;
  const ids = (d: DecisionV1) => d.results.map((r) => r.triggerId).filter((id) => id.includes("+"));
  assert.ok(!ids(withFlag).some((id) => id.startsWith("CVE-2023-45853+")));
  assert.deepEqual(
    ids(withFlag),
    ids(without).filter((id) => !id.startsWith("CVE-2023-45853+")),
  );
});

/** The table wraps long notes onto indented lines: join them back for matching. */
function unwrap(text: string): string {
  return text.replace(/\n {2}/g, " ");
}
