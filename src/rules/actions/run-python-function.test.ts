import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import {
  action,
  NO_PYTHON,
  RECORDING_SCRIPT,
  recorded,
  recordingBuiltins,
  tempDir,
  writeExecutable,
} from "../../../test/fixtures/rules-actions/action-fixtures.js";
import { runActions } from "../run-actions.js";

const { builtins } = recordingBuiltins();

// Functions shaped like CIPolicE's containeractions.py: take the image, or the action line's own words
const CONTAINERACTIONS = `import os, subprocess

def mark(imagename):
    return subprocess.call(["./label.sh", imagename])

def notify(imagename):
    print("NOTIFY maintainer of", imagename)
    return False

def echo(*params):
    print(*params)
    return True

def explode(imagename):
    raise ValueError("cannot label " + imagename)

def slow(imagename):
    import time
    time.sleep(60)
`;

test("CIPolicE-style Python functions run with the image, or with the written arguments instead", {
  skip: NO_PYTHON,
}, async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, "containeractions.py"), CONTAINERACTIONS);
  writeExecutable(dir, "label.sh", RECORDING_SCRIPT);
  const words = "Not good, you should use labels. Especially for images being {size-mb} MB in size.".split(
    " ",
  );
  const outcomes = await runActions(
    [
      action("python-function", "containeractions.py", { func: "mark" }),
      action("python-function", "containeractions.py", { func: "notify" }),
      action("python-function", "containeractions.py", { func: "echo", args: words }),
    ],
    { image: "nginx:latest", "size-mb": 42, labels: [] },
    { baseDir: dir, env: { RECORD_DIR: dir }, builtins },
  );
  assert.deepEqual(
    outcomes.map((o) => o.status),
    ["ok", "ok", "ok"],
    JSON.stringify(outcomes),
  );
  // mark ran ./label.sh from the rules folder with the image
  assert.equal(recorded(dir, "arg1"), "nginx:latest");
  assert.match(outcomes[0]?.output ?? "", /\[returned 0\]/);
  assert.match(outcomes[1]?.output ?? "", /NOTIFY maintainer of nginx:latest\n\[returned False\]/);
  assert.match(
    outcomes[2]?.output ?? "",
    /^Not good, you should use labels\. Especially for images being 42 MB in size\.\n/,
  );
});

test("a Python function that raises is failed with the traceback's last line", {
  skip: NO_PYTHON,
}, async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, "containeractions.py"), CONTAINERACTIONS);
  writeFileSync(join(dir, "broken.py"), "def f(:\n");
  const outcomes = await runActions(
    [
      action("python-function", "containeractions.py", { func: "explode" }),
      action("python-function", "containeractions.py", { func: "absent" }),
      action("python-function", "broken.py", { func: "f" }),
      action("python-function", "nowhere.py", { func: "f" }),
    ],
    { image: "nginx:latest" },
    { baseDir: dir, builtins },
  );
  assert.deepEqual(
    outcomes.map((o) => o.status),
    ["failed", "failed", "failed", "failed"],
  );
  assert.equal(outcomes[0]?.error, "ValueError: cannot label nginx:latest");
  assert.match(outcomes[0]?.output ?? "", /Traceback \(most recent call last\)/);
  assert.equal(outcomes[1]?.error, "AttributeError: module containeractions has no function absent");
  assert.match(outcomes[2]?.error ?? "", /^SyntaxError/);
  assert.match(outcomes[3]?.error ?? "", /^FileNotFoundError/);
});

test("a Python function that hangs is timed out", { skip: NO_PYTHON }, async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, "containeractions.py"), CONTAINERACTIONS);
  const [outcome] = await runActions(
    [action("python-function", "containeractions.py", { func: "slow" })],
    { image: "x" },
    { baseDir: dir, timeoutMs: 400, builtins },
  );
  assert.equal(outcome?.status, "timed_out");
  assert.ok((outcome?.durationMs ?? 0) < 2_000, `${outcome?.durationMs} ms`);
});
