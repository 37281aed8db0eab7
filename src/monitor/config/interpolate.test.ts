import assert from "node:assert/strict";
import { test } from "node:test";
import { interpolate, parseIniBoolean } from "./interpolate.js";

const from = (values: Record<string, string>) => (key: string) => values[key];

test("%(name)s expands from the section (names lowercased), nested; %% is a percent sign", () => {
  const lookup = from({ host: "prisma:8083", url: "https://%(HOST)s/api", pct: "100%%" });
  assert.equal(interpolate("%(url)s?x=%(pct)s", lookup), "https://prisma:8083/api?x=100%");
  assert.equal(interpolate("no references", lookup), "no references");
});

test("a lone %, a broken or missing reference, a loop and an expansion bomb are errors", () => {
  assert.throws(() => interpolate("50% off", from({})), /"%" must be followed by "%" or "\("/);
  assert.throws(() => interpolate("%(name", from({})), /bad reference/);
  assert.throws(() => interpolate("%(nope)s", from({})), /names no key/);
  assert.throws(() => interpolate("%(a)s", from({ a: "%(b)s", b: "%(a)s" })), /nest deeper than 10 levels/);
  const bomb: Record<string, string> = { k0: "x".repeat(1000) };
  for (let i = 1; i <= 9; i++) bomb[`k${i}`] = `%(k${i - 1})s%(k${i - 1})s`;
  assert.throws(() => interpolate("%(k9)s", from(bomb)), /expands past 65536 characters/);
});

test("booleans read as configparser's getboolean; empty is the fallback; anything else is undefined", () => {
  for (const yes of ["1", "yes", "true", "on", "ON", " True "])
    assert.equal(parseIniBoolean(yes, false), true, yes);
  for (const no of ["0", "no", "false", "off", "Off"]) assert.equal(parseIniBoolean(no, true), false, no);
  assert.equal(parseIniBoolean("", true), true);
  assert.equal(parseIniBoolean(undefined, false), false);
  assert.equal(parseIniBoolean("enabled", false), undefined);
});
