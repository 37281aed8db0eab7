import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { action, recordingBuiltins, tempDir } from "../../../test/fixtures/rules-actions/action-fixtures.js";
import { runActions } from "../run-actions.js";
import { closeJsActionWorkers } from "./run-js-function.js";

const { builtins } = recordingBuiltins();
after(closeJsActionWorkers);

const MODULE = `
let calls = 0;
export function notify(message, ...args) {
  calls += 1;
  console.log("notify", message.image, args.join("|"));
  return { calls, args };
}
export async function later(message) {
  await new Promise((resolve) => setTimeout(resolve, 20));
  return message.level * 2;
}
export function boom() { throw new TypeError("no maintainer for " + "image"); }
export async function rejects() { throw new Error("registry said no"); }
export function forever() { return new Promise(() => {}); }
export function spin() { for (;;) {} }
`;

function moduleDir(t: Parameters<typeof tempDir>[0]): string {
  const dir = tempDir(t);
  writeFileSync(join(dir, "actions.mjs"), MODULE);
  return dir;
}

test("a module function gets the message and the filled arguments; its module is imported once", async (t) => {
  const dir = moduleDir(t);
  const notify = action("js-function", "actions.mjs", { func: "notify", args: ["to", "{image}", "{level}"] });
  const outcomes = await runActions(
    [notify, notify, action("js-function", "./actions.mjs", { func: "later" })],
    { image: "nginx:latest", level: 3 },
    {
      baseDir: dir,
      builtins,
    },
  );
  assert.deepEqual(
    outcomes.map((o) => o.status),
    ["ok", "ok", "ok"],
  );
  assert.equal(
    outcomes[0]?.output,
    'notify nginx:latest to|nginx:latest|3\n[returned {"calls":1,"args":["to","nginx:latest","3"]}]',
  );
  // The module's state survived between the two calls: one import, one worker
  assert.match(outcomes[1]?.output ?? "", /"calls":2/);
  assert.match(outcomes[2]?.output ?? "", /\[returned 6\]/);
});

test("a function that throws or rejects is failed with its error", async (t) => {
  const dir = moduleDir(t);
  const outcomes = await runActions(
    [
      action("js-function", "actions.mjs", { func: "boom" }),
      action("js-function", "actions.mjs", { func: "rejects" }),
      action("js-function", "actions.mjs", { func: "absent" }),
      action("js-function", "missing.mjs", { func: "x" }),
    ],
    { image: "x" },
    { baseDir: dir, builtins },
  );
  assert.deepEqual(
    outcomes.map((o) => o.status),
    ["failed", "failed", "failed", "failed"],
  );
  assert.equal(outcomes[0]?.error, "TypeError: no maintainer for image");
  assert.equal(outcomes[1]?.error, "Error: registry said no");
  assert.equal(outcomes[2]?.error, "Error: the module exports no function absent");
  assert.match(outcomes[3]?.error ?? "", /Cannot find module|ERR_MODULE_NOT_FOUND|missing\.mjs/);
});

test("a function that never settles or never yields is timed out, and the module works again after", async (t) => {
  const dir = moduleDir(t);
  const started = Date.now();
  const outcomes = await runActions(
    [
      action("js-function", "actions.mjs", { func: "forever" }),
      action("js-function", "actions.mjs", { func: "spin" }),
      action("js-function", "actions.mjs", { func: "notify" }),
    ],
    { image: "x" },
    { baseDir: dir, timeoutMs: 300, builtins },
  );
  const elapsed = Date.now() - started;
  assert.deepEqual(
    outcomes.map((o) => o.status),
    ["timed_out", "timed_out", "ok"],
  );
  assert.match(outcomes[1]?.error ?? "", /did not settle within 300 ms; its worker was terminated/);
  for (const outcome of outcomes.slice(0, 2)) assert.ok(outcome.durationMs < 800, `${outcome.durationMs} ms`);
  // A fresh worker: the module's counter starts again
  assert.match(outcomes[2]?.output ?? "", /"calls":1/);
  assert.ok(elapsed < 3_000, `took ${elapsed} ms`);
});
