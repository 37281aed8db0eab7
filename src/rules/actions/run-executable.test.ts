import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import {
  action,
  processAlive,
  RECORDING_SCRIPT,
  recorded,
  recordingBuiltins,
  tempDir,
  waitGone,
  writeExecutable,
} from "../../../test/fixtures/rules-actions/action-fixtures.js";
import { runActions } from "../run-actions.js";

const { builtins } = recordingBuiltins();

test("an executable gets the image as argv[1], the message on stdin and in CIPOLICE_* variables", async (t) => {
  const dir = tempDir(t);
  writeExecutable(dir, "label.sh", RECORDING_SCRIPT);
  const message = {
    image: "nginx:latest",
    cve: "CVE-2020-7050",
    "size-mb": 42,
    compromised: true,
    labels: [],
  };
  const [outcome] = await runActions([action("executable", "./label.sh")], message, {
    baseDir: dir,
    env: { RECORD_DIR: dir },
    builtins,
  });
  assert.equal(outcome?.status, "ok", outcome?.error);
  assert.match(outcome?.output ?? "", /recorded 1 arguments/);
  assert.equal(recorded(dir, "argc"), "1");
  assert.equal(recorded(dir, "arg1"), "nginx:latest");
  assert.deepEqual(JSON.parse(recorded(dir, "stdin") ?? ""), message);
  assert.deepEqual(JSON.parse(recorded(dir, "env-message") ?? ""), message);
  assert.equal(recorded(dir, "env-cve"), "CVE-2020-7050");
});

test("written arguments follow the image, one argv entry each, placeholders filled inside them", async (t) => {
  const dir = tempDir(t);
  writeExecutable(dir, "tag.sh", RECORDING_SCRIPT);
  const notices: string[] = [];
  const [outcome] = await runActions(
    [action("executable", "tag.sh", { args: ["--size={size-mb} MB", "{missing}", "{{literal}}"] })],
    { image: "alpine:3", "size-mb": 7 },
    { baseDir: dir, env: { RECORD_DIR: dir }, builtins, onNotice: (text) => notices.push(text) },
  );
  assert.equal(outcome?.status, "ok", outcome?.error);
  assert.equal(recorded(dir, "argc"), "4");
  assert.deepEqual(
    [1, 2, 3, 4].map((n) => recorded(dir, `arg${n}`)),
    ["alpine:3", "--size=7 MB", "{missing}", "{literal}"],
  );
  assert.equal(notices.length, 1);
  assert.match(notices[0] ?? "", /\{missing\} is not in the message/);
});

test("the environment does not leak the server's own variables", async (t) => {
  const dir = tempDir(t);
  writeExecutable(dir, "env.sh", '#!/bin/sh\nenv > "$RECORD_DIR/env"\n');
  process.env.CIPOLICE_TEST_SECRET = "do-not-pass";
  t.after(() => delete process.env.CIPOLICE_TEST_SECRET);
  const [outcome] = await runActions(
    [action("executable", "./env.sh")],
    { image: "x" },
    {
      baseDir: dir,
      env: { RECORD_DIR: dir },
      builtins,
    },
  );
  assert.equal(outcome?.status, "ok", outcome?.error);
  const env = recorded(dir, "env") ?? "";
  assert.match(env, /^PATH=/m);
  assert.match(env, /^CIPOLICE_IMAGE=x$/m);
  assert.doesNotMatch(env, /do-not-pass/);
});

test("a non-zero exit, a missing file and a file without execute permission are failed, with why", async (t) => {
  const dir = tempDir(t);
  writeExecutable(dir, "fail.sh", "#!/bin/sh\necho 'Syntax: fail.sh <image>' >&2\nexit 3\n");
  writeExecutable(dir, "plain.sh", "#!/bin/sh\nexit 0\n");
  const { chmodSync } = await import("node:fs");
  chmodSync(join(dir, "plain.sh"), 0o644);
  const outcomes = await runActions(
    [
      action("executable", "./fail.sh"),
      action("executable", "./absent.sh"),
      action("executable", "./plain.sh"),
    ],
    { image: "x" },
    { baseDir: dir, builtins },
  );
  assert.deepEqual(
    outcomes.map((o) => o.status),
    ["failed", "failed", "failed"],
  );
  assert.equal(outcomes[0]?.error, "./fail.sh exited with code 3");
  assert.match(outcomes[0]?.output ?? "", /Syntax: fail.sh/);
  assert.match(outcomes[1]?.error ?? "", /Cannot run \.\/absent\.sh: no such file/);
  assert.match(outcomes[2]?.error ?? "", /not executable/);
});

test("an executable that hangs is timed out and its whole process group is gone", async (t) => {
  const dir = tempDir(t);
  // The script ignores SIGTERM, so only the SIGKILL that follows ends it; its child sleeps on
  writeExecutable(
    dir,
    "hang.sh",
    '#!/bin/sh\ntrap "" TERM\nsleep 300 &\necho $! > "$RECORD_DIR/child.pid"\necho $$ > "$RECORD_DIR/self.pid"\nwhile :; do sleep 1; done\n',
  );
  const started = Date.now();
  const [outcome] = await runActions(
    [action("executable", "./hang.sh")],
    { image: "x" },
    {
      baseDir: dir,
      timeoutMs: 500,
      env: { RECORD_DIR: dir },
      builtins,
    },
  );
  const elapsed = Date.now() - started;
  assert.equal(outcome?.status, "timed_out");
  assert.match(outcome?.error ?? "", /did not finish within 500 ms; its process group was killed/);
  // 500 ms budget + 1 s between SIGTERM and SIGKILL + pipe grace
  assert.ok(elapsed < 2_500, `took ${elapsed} ms`);
  const pids = ["child.pid", "self.pid"].map((f) => Number(readFileSync(join(dir, f), "utf8")));
  assert.deepEqual(await waitGone(pids, 2_000), [], "the script and its child are gone");
  assert.equal(pids.some(processAlive), false);
});

test("an executable printing 10 MB keeps 64 KiB of it and says how much it dropped", async (t) => {
  const dir = tempDir(t);
  writeExecutable(dir, "loud.sh", "#!/bin/sh\nhead -c 10485760 /dev/zero | tr '\\0' 'x'\n");
  const [outcome] = await runActions(
    [action("executable", "./loud.sh")],
    { image: "x" },
    { baseDir: dir, builtins },
  );
  assert.equal(outcome?.status, "ok", outcome?.error);
  const output = outcome?.output ?? "";
  assert.ok(Buffer.byteLength(output) <= 64 * 1024, `output is ${Buffer.byteLength(output)} bytes`);
  assert.match(output, /^x{60000}/);
  assert.match(output, /\[\d+ more bytes of output not kept\]$/);
  const dropped = Number(/\[(\d+) more bytes/.exec(output)?.[1]);
  assert.equal(dropped + output.indexOf("\n["), 10 * 1024 * 1024);
});
