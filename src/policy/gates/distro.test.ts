import assert from "node:assert/strict";
import { test } from "node:test";
import { factsFor, fireTrigger, paramProblems } from "../../../test/support/gates.js";
import type { Distro } from "../../model/index.js";
import { distroGate } from "./distro.js";

const fires = (distro: Distro | undefined, params: Record<string, string>) =>
  fireTrigger(distroGate, "deny", params, factsFor(distro ? { distro } : {})).map((h) => h.message);

test("deny fires when the distro matches by name (any case) and the version check holds", () => {
  assert.deepEqual(fires({ name: "debian", version: "8" }, { distro: "Debian", version: "9", check: "<" }), [
    "Image distro debian 8 is denied by policy (distro Debian version < 9)",
  ]);
  assert.deepEqual(
    fires({ name: "debian", version: "10" }, { distro: "debian", version: "9", check: "<" }),
    [],
  );
  assert.deepEqual(
    fires({ name: "ubuntu", version: "8" }, { distro: "debian", version: "9", check: "<" }),
    [],
  );
});

test("versions compare part by part, over the parts the policy gives", () => {
  const alpine = { name: "alpine", version: "3.18.4" };
  assert.equal(fires(alpine, { distro: "alpine", version: "3.18", check: "=" }).length, 1);
  assert.equal(fires(alpine, { distro: "alpine", version: "3.9", check: ">" }).length, 1);
  assert.equal(fires(alpine, { distro: "alpine", version: "3.19", check: ">=" }).length, 0);
  assert.equal(fires(alpine, { distro: "alpine", version: "3", check: "!=" }).length, 0);
  assert.equal(fires(alpine, { distro: "alpine", version: "3.18.5", check: "<=" }).length, 1);
});

test("nothing fires when the distro or its version is unknown", () => {
  assert.deepEqual(fires(undefined, { distro: "debian", version: "9", check: "<" }), []);
  assert.deepEqual(fires({ name: "debian" }, { distro: "debian", version: "9", check: "!=" }), []);
});

test("distro, version and check are required; check is one of the six comparisons", () => {
  assert.equal(paramProblems(distroGate, "deny", {}).length, 3);
  assert.match(
    paramProblems(distroGate, "deny", { distro: "debian", version: "9", check: "~" })[0] ?? "",
    /one of =, !=, <, >, <=, >=/,
  );
});
