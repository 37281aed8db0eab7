import assert from "node:assert/strict";
import { test } from "node:test";
import { compareMavenVersions } from "./maven-version.js";

function assertOrder(a: string, op: "<" | "=" | ">", b: string): void {
  const want = op === "<" ? -1 : op === "=" ? 0 : 1;
  assert.equal(compareMavenVersions(a, b), want, `${a} ${op} ${b}`);
  assert.equal(compareMavenVersions(b, a), -want || 0, `${b} vs ${a}`);
}

// The spec's examples that ComparableVersion (which ordered the corpus vectors) agrees with; its
// "1.foo" = "1-foo" is one it does not (MNG-7700, MRESOLVER-334): there `.foo` sorts before `-foo`.
test("examples of the POM reference's version order specification", () => {
  assertOrder("1", "<", "1.1");
  assertOrder("1-snapshot", "<", "1");
  assertOrder("1", "<", "1-sp");
  assertOrder("1-foo2", "<", "1-foo10");
  assertOrder("1.foo", "<", "1-foo");
  assertOrder("1-foo", "<", "1-1");
  assertOrder("1-1", "<", "1.1");
  for (const same of ["1-ga", "1-0", "1.0", "1"]) assertOrder("1.ga", "=", same);
  assertOrder("1-sp", ">", "1-ga");
  assertOrder("1-sp.1", ">", "1-ga.1");
  assertOrder("1-sp-1", "<", "1-ga-1");
  assertOrder("1-ga-1", "=", "1-1");
  assertOrder("1-a1", "=", "1-alpha-1");
});

test("qualifiers: alpha < beta < milestone < rc = cr < snapshot < release < sp < unknown, case ignored", () => {
  const ordered = [
    "1.0-alpha1",
    "1.0-beta1",
    "1.0-m1",
    "1.0-RC1",
    "1.0-SNAPSHOT",
    "1.0",
    "1.0-sp1",
    "1.0-zzz",
  ];
  for (let i = 0; i + 1 < ordered.length; i++)
    assertOrder(ordered[i] as string, "<", ordered[i + 1] as string);
  assertOrder("1.0-cr1", "=", "1.0-rc1");
  assertOrder("1.0.Final", "=", "1.0");
  assertOrder("1.0.RELEASE", "=", "1.0");
});

test("OSV record against an installed jar: spring-beans 5.3.15 in [5.3.0, 5.3.18) (SOURCES.md)", () => {
  assertOrder("5.3.15", ">", "5.3.0");
  assertOrder("5.3.15", "<", "5.3.18");
});
