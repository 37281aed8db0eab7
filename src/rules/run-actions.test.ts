import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import {
  action,
  NO_PYTHON,
  RECORDING_SCRIPT,
  recorded,
  recordingBuiltins,
  tempDir,
  writeExecutable,
} from "../../test/fixtures/rules-actions/action-fixtures.js";
import { closeJsActionWorkers } from "./actions/run-js-function.js";
import type { ActionOutcome } from "./rule-types.js";
import { runActions } from "./run-actions.js";

after(closeJsActionWorkers);

// Each is what a shell, a quoting slip or a path join would act on; TARGET names the sentinel folder
const HOSTILE: Record<string, string> = {
  quote: `'; rm -rf "$TARGET"; echo '`,
  substitution: "$(rm -rf $TARGET)$(touch $TARGET/pwned)",
  backticks: "`rm -rf $TARGET` `touch $TARGET/pwned`",
  newlines: "nginx:latest\nrm -rf $TARGET\n\r\n; touch $TARGET/pwned",
  traversal: "../../../../etc/passwd",
  glob: "* ?? [a-z] ~ {a,b} > $TARGET/pwned < /etc/passwd | tee $TARGET/pwned &",
  braces: "{image} {{cve}} %s %n \\x00 \\\\",
  unicode: "ñ 日本 \u202e \u{1f600} \ufeff",
  long: `${"A".repeat(50_000)}$(touch $TARGET/pwned)${"B".repeat(50_000)}`,
};

const JS_RECORDER = (file: string) => `
import { writeFileSync } from "node:fs";
export function record(message, ...args) {
  writeFileSync(${JSON.stringify(file)}, JSON.stringify({ message, args }));
  return true;
}`;

const PY_RECORDER = (file: string) => `import json
def record(*args):
    with open(${JSON.stringify(file)}, "w", encoding="utf-8") as out:
        json.dump({"args": list(args)}, out)
    return True
`;

/** A folder with a file in it that any interpretation of the hostile values would remove or add to. */
function sentinel(dir: string): string {
  const target = join(dir, "sentinel");
  mkdirSync(target);
  writeFileSync(join(target, "keep"), "untouched");
  return target;
}

function assertSentinelIntact(target: string) {
  assert.deepEqual(readdirSync(target), ["keep"], "nothing was added to or removed from the sentinel folder");
  assert.equal(readFileSync(join(target, "keep"), "utf8"), "untouched");
}

for (const [name, value] of Object.entries(HOSTILE)) {
  test(`injection (${name}): every field reaches an executable, a JS and a Python function as data only`, async (t) => {
    const dir = tempDir(t);
    const target = sentinel(dir);
    writeExecutable(dir, "label.sh", RECORDING_SCRIPT);
    writeFileSync(join(dir, "actions.mjs"), JS_RECORDER(join(dir, "js.json")));
    writeFileSync(join(dir, "containeractions.py"), PY_RECORDER(join(dir, "py.json")));
    const message = {
      image: value,
      cve: value,
      maintainer: value,
      "size-mb": value,
      nested: { path: value },
    };
    const args = ["{cve}", "pre-{image}-post", "{nested.path}", "plain"];
    const actions = [
      action("executable", "./label.sh", { args }),
      action("js-function", "actions.mjs", { func: "record", args }),
    ];
    if (!NO_PYTHON) {
      actions.push(action("python-function", "containeractions.py", { func: "record", args }));
      actions.push(action("python-function", "containeractions.py", { func: "record" }));
    }
    const outcomes = await runActions(actions, message, {
      baseDir: dir,
      env: { RECORD_DIR: dir, TARGET: target },
      builtins: recordingBuiltins().builtins,
    });
    for (const outcome of outcomes)
      assert.equal(outcome.status, "ok", `${outcome.action.text}: ${outcome.error}`);
    assertSentinelIntact(target);
    assert.equal(existsSync(join(dir, "pwned")), false);
    const filled = [value, `pre-${value}-post`, value, "plain"];
    // The executable saw the image then each argument, byte for byte, and the exact message on stdin
    assert.equal(recorded(dir, "argc"), "5");
    assert.deepEqual(
      [1, 2, 3, 4, 5].map((n) => recorded(dir, `arg${n}`)),
      [value, ...filled],
    );
    assert.deepEqual(JSON.parse(recorded(dir, "stdin") ?? ""), message);
    const fits = Buffer.byteLength(value) <= 64 * 1024;
    assert.equal(recorded(dir, "env-image"), fits ? value : undefined);
    assert.equal(recorded(dir, "env-cve"), fits ? value : undefined);
    assert.deepEqual(JSON.parse(readFileSync(join(dir, "js.json"), "utf8")), { message, args: filled });
    if (NO_PYTHON) return t.skip(`Python part skipped: ${NO_PYTHON}`);
    // Python got the filled arguments (then, with none written, the image alone), as strings
    assert.deepEqual(JSON.parse(readFileSync(join(dir, "py.json"), "utf8")), { args: [value] });
  });
}

test("injection (NUL): an executable is refused before it starts; functions get the NUL as data", async (t) => {
  const dir = tempDir(t);
  const target = sentinel(dir);
  writeExecutable(dir, "label.sh", RECORDING_SCRIPT);
  writeFileSync(join(dir, "actions.mjs"), JS_RECORDER(join(dir, "js.json")));
  writeFileSync(join(dir, "containeractions.py"), PY_RECORDER(join(dir, "py.json")));
  const value = "nginx\0; rm -rf $TARGET";
  const actions = [
    action("executable", "./label.sh"),
    action("executable", "./label.sh", { args: ["{cve}"] }),
    action("js-function", "actions.mjs", { func: "record", args: ["{cve}"] }),
  ];
  if (!NO_PYTHON)
    actions.push(action("python-function", "containeractions.py", { func: "record", args: ["{cve}"] }));
  const outcomes = await runActions(
    actions,
    { image: value, cve: value },
    {
      baseDir: dir,
      env: { RECORD_DIR: dir, TARGET: target },
      builtins: recordingBuiltins().builtins,
    },
  );
  assert.equal(outcomes[0]?.status, "failed");
  assert.match(outcomes[0]?.error ?? "", /^Cannot run \.\/label\.sh: an argument holds a NUL byte/);
  assert.equal(outcomes[1]?.status, "failed");
  assert.equal(recorded(dir, "argc"), undefined, "the executable never started");
  assert.equal(outcomes[2]?.status, "ok", outcomes[2]?.error);
  assert.deepEqual(JSON.parse(readFileSync(join(dir, "js.json"), "utf8")).args, [value]);
  assertSentinelIntact(target);
  if (NO_PYTHON) return t.skip(`Python part skipped: ${NO_PYTHON}`);
  assert.equal(outcomes[3]?.status, "ok", outcomes[3]?.error);
  assert.deepEqual(JSON.parse(readFileSync(join(dir, "py.json"), "utf8")).args, [value]);
});

test("a NUL in any other field refuses an executable too (it cannot become CIPOLICE_<FIELD>)", async (t) => {
  const dir = tempDir(t);
  writeExecutable(dir, "label.sh", RECORDING_SCRIPT);
  const [outcome] = await runActions(
    [action("executable", "./label.sh")],
    { image: "x", note: "a\0b" },
    {
      baseDir: dir,
      env: { RECORD_DIR: dir },
      builtins: recordingBuiltins().builtins,
    },
  );
  assert.equal(outcome?.status, "failed");
  assert.match(outcome?.error ?? "", /field note holds a NUL byte/);
});

test("actions run in order; a failure does not stop the next; each outcome is reported as it ends", async (t) => {
  const dir = tempDir(t);
  writeExecutable(dir, "ok.sh", "#!/bin/sh\necho ran $1\n");
  writeExecutable(dir, "fail.sh", "#!/bin/sh\nexit 1\n");
  const { builtins, calls } = recordingBuiltins();
  const reported: ActionOutcome[] = [];
  const outcomes = await runActions(
    [
      action("executable", "./fail.sh"),
      action("unknown", "something_special"),
      action("builtin", "reject"),
      action("builtin", "log", { args: ["level", "{level}", "for", "{image}"] }),
      action("builtin", "accept"),
      action("executable", "./ok.sh"),
    ],
    { image: "nginx:latest", level: 3, maintainer: "ops@example.org" },
    { baseDir: dir, builtins, onOutcome: (o) => void reported.push(o) },
  );
  assert.deepEqual(
    outcomes.map((o) => o.status),
    ["failed", "failed", "ok", "ok", "ok", "ok"],
  );
  assert.deepEqual(reported, outcomes);
  assert.equal(outcomes[1]?.error, "unknown action something_special (loaded with --allow-unknown-actions)");
  assert.equal(outcomes[5]?.output, "ran nginx:latest\n");
  assert.deepEqual(
    calls.verdicts.map((v) => `${v.verdict} ${v.image}`),
    ["reject nginx:latest", "accept nginx:latest"],
  );
  assert.deepEqual(calls.logs, ["level 3 for nginx:latest"]);
  for (const outcome of outcomes) {
    assert.ok(!Number.isNaN(Date.parse(outcome.startedAt)));
    assert.ok(outcome.durationMs >= 0);
  }
});

test("accept and reject need an image; a built-in that throws or hangs is failed or timed out", async () => {
  const outcomes = await runActions(
    [
      action("builtin", "reject"),
      action("builtin", "accept"),
      action("builtin", "log"),
      action("builtin", "teleport"),
    ],
    { level: 3 },
    {
      baseDir: ".",
      timeoutMs: 200,
      builtins: {
        accept: () => new Promise(() => {}),
        reject: () => {
          throw new Error("store is down");
        },
        log: () => {
          throw new Error("unreachable");
        },
      },
    },
  );
  assert.deepEqual(
    outcomes.map((o) => [o.status, o.error]),
    [
      ["failed", "Cannot reject an image: the message names no image"],
      ["failed", "Cannot accept an image: the message names no image"],
      ["failed", "log: unreachable"],
      ["failed", "unknown built-in action teleport"],
    ],
  );
  const [hung] = await runActions(
    [action("builtin", "accept")],
    { image: "x" },
    {
      baseDir: ".",
      timeoutMs: 200,
      builtins: { accept: () => new Promise(() => {}), reject: () => {}, log: () => {} },
    },
  );
  assert.equal(hung?.status, "timed_out");
});

test("a break that reaches the executor ends the run; what follows is recorded skipped", async (t) => {
  const dir = tempDir(t);
  writeExecutable(dir, "ok.sh", "#!/bin/sh\ntouch ran\n");
  const outcomes = await runActions(
    [
      action("builtin", "log", { args: ["before"] }),
      action("break", "break"),
      action("executable", "./ok.sh"),
    ],
    { image: "x" },
    { baseDir: dir, builtins: recordingBuiltins().builtins },
  );
  assert.deepEqual(
    outcomes.map((o) => o.status),
    ["ok", "ok", "skipped"],
  );
  assert.equal(existsSync(join(dir, "ran")), false);
});
