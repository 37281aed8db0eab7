import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { parse } from "yaml";
import { REPO_ROOT } from "../../test/support/corpus.js";
import { goldenDecisions, matchGolden } from "../../test/support/golden.js";
import { compileBundle } from "../policy/compile-bundle.js";
import { formatAnchore } from "./anchore-format.js";
import { formatExplain } from "./explain-format.js";
import { formatJson } from "./json-format.js";
import { formatTable } from "./table-format.js";

const bundle = compileBundle(parse(readFileSync(join(REPO_ROOT, "policies/default-bundle.yaml"), "utf8")))
  .compiled?.bundle;

for (const g of goldenDecisions()) {
  test(`golden ${g.name} (${g.description}): table, json, anchore, explain`, { skip: g.skip }, () => {
    const d = g.decision;
    assert.ok(d);
    // No width: what a pipe, a file or a CI log gets (80 columns).
    matchGolden(
      `table/${g.name}.txt`,
      formatTable(d, { color: false, ...(g.facts ? { facts: g.facts } : {}) }),
    );
    matchGolden(`json/${g.name}.json`, formatJson(d));
    matchGolden(`anchore/${g.name}.json`, formatAnchore(d));
    matchGolden(`explain/${g.name}.txt`, formatExplain(d, { color: false, ...(bundle ? { bundle } : {}) }));
  });
}

test("explain says why an image passed: the rules that did not fire, and what suppressed the hits", () => {
  const vex = goldenDecisions().find((g) => g.name === "webapp-vex")?.decision;
  assert.ok(vex && bundle);
  const text = formatExplain(vex, { color: false, bundle });
  assert.match(
    text,
    /suppressed by VEX not_affected \(vulnerable_code_not_in_execute_path\) from openvex:https:\/\/example\.test\/vex\/webapp-1, so it counts as GO/,
  );
  assert.match(
    text,
    /Rules that did not fire \(\d+\):\n\s+· critical-with-fix vulnerabilities\/package STOP with package_type=all/,
  );
  assert.match(
    text,
    /No counting hit: every rule either did not fire, or its hits were allowlisted or suppressed by VEX\. Final action GO\./,
  );
  const legacy = goldenDecisions().find((g) => g.name === "legacy-app")?.decision;
  assert.ok(legacy);
  assert.match(
    formatExplain(legacy, { color: false, bundle }),
    /The final action is the worst counting hit across the policies: STOP \(3 STOP, 2 WARN\)/,
  );
});
