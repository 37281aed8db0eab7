import assert from "node:assert/strict";
import { test } from "node:test";
import { factsFor, fireTrigger } from "../../../test/support/gates.js";
import type { ImageFacts } from "../../model/index.js";
import { imageConfigGate } from "./image-config.js";

const dockerfile = (...users: string[]): ImageFacts["dockerfile"] => ({
  mode: "guessed",
  instructions: [
    { directive: "FROM", value: "debian:12" },
    ...users.map((value) => ({ directive: "USER", value })),
  ],
});

const run = (facts: Partial<ImageFacts>, params: Record<string, string> = {}) =>
  fireTrigger(imageConfigGate, "runs_as_root", params, factsFor(facts)).map((h) => h.message);

test("the config decides when known: empty, root and uid 0 (with or without a group) run as root", () => {
  assert.deepEqual(run({ config: {} }), ["Image runs as root: its config sets no User"]);
  assert.deepEqual(run({ config: { user: "root" } }), ['Image runs as root: its config User is "root"']);
  assert.deepEqual(run({ config: { user: "0:0" } }), ['Image runs as root: its config User is "0:0"']);
  assert.deepEqual(run({ config: { user: "10001" } }), []);
  assert.deepEqual(run({ config: { user: "app:app" } }), []);
});

test("a history USER that contradicts a root config is named, and the config still decides", () => {
  assert.deepEqual(run({ config: { user: "root" }, dockerfile: dockerfile("app") }), [
    'Image runs as root: its config User is "root"; the Dockerfile\'s last USER "app" says otherwise, but the config is what runs',
  ]);
  assert.deepEqual(run({ config: { user: "app" }, dockerfile: dockerfile("root") }), []);
});

test("without a config the Dockerfile's last USER decides; with neither nothing is known and nothing fires", () => {
  assert.deepEqual(run({ dockerfile: dockerfile() }), [
    "Image runs as root: its Dockerfile has no USER instruction",
  ]);
  assert.deepEqual(run({ dockerfile: dockerfile("app", "root") }), [
    'Image runs as root: its Dockerfile\'s last USER is "root"',
  ]);
  assert.deepEqual(run({ dockerfile: dockerfile("root", "app") }), []);
  assert.deepEqual(run({}), []);
});

test("users names more root accounts", () => {
  assert.deepEqual(run({ config: { user: "toor" } }, { users: "root,toor" }), [
    'Image runs as root: its config User is "toor"',
  ]);
  assert.deepEqual(run({ config: { user: "toor" } }), []);
});
