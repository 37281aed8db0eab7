import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { REPO_ROOT } from "../support/corpus.js";
import { runCli } from "../support/run-cli.js";

const DOC = join(REPO_ROOT, "docs/gates.md");
const HEADER =
  "# Gate reference\n\nGenerated from the gate catalog by `cipolice policy gates --format markdown`; a test keeps it in sync.\n\n";

test("docs/gates.md matches the gate catalog (refresh with UPDATE_DOCS=1 npm run test:unit)", () => {
  const run = runCli(["policy", "gates", "--format", "markdown"]);
  assert.equal(run.status, 0, run.stderr);
  const expected = HEADER + run.stdout;
  if (process.env.UPDATE_DOCS === "1") writeFileSync(DOC, expected);
  assert.equal(
    readFileSync(DOC, "utf8"),
    expected,
    "docs/gates.md is stale: run UPDATE_DOCS=1 npm run test:unit",
  );
});
