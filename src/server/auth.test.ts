import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { BearerAuth, resolveTokens } from "./auth.js";

test("reads tokens inline, from files and from the environment", () => {
  const dir = mkdtempSync(join(tmpdir(), "cip-auth-"));
  try {
    writeFileSync(join(dir, "t"), "from-file\n");
    const tokens = resolveTokens(
      [
        { name: "a", token: "inline" },
        { name: "b", tokenFile: join(dir, "t") },
        { name: "c", tokenEnv: "CIP_TEST_TOKEN" },
      ],
      { CIP_TEST_TOKEN: "from-env" },
    );
    assert.deepEqual(tokens, [
      { name: "a", token: "inline" },
      { name: "b", token: "from-file" },
      { name: "c", token: "from-env" },
    ]);
    assert.throws(
      () => resolveTokens([{ name: "c", tokenEnv: "UNSET_VAR" }], {}),
      /environment variable UNSET_VAR is empty/,
    );
    assert.throws(
      () => resolveTokens([{ name: "b", tokenFile: join(dir, "none") }]),
      /Cannot read API token "b"/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("matches a bearer header to its token's name", () => {
  const auth = new BearerAuth([
    { name: "ci", token: "one" },
    { name: "scanner", token: "two" },
  ]);
  assert.equal(auth.check("Bearer two"), "scanner");
  assert.equal(auth.check("bearer one"), "ci");
  assert.equal(auth.check("Bearer three"), undefined);
  assert.equal(auth.check("Basic b25lOm9uZQ=="), undefined);
  assert.equal(auth.check(undefined), undefined);
  assert.equal(new BearerAuth([]).check("Bearer one"), undefined);
});
