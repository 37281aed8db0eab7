import assert from "node:assert/strict";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { runCli } from "../support/run-cli.js";

const FIXTURES = "test/fixtures/rules";
const scratch = mkdtempSync(join(tmpdir(), "cipolice-rules-cli-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

describe("cipolice rules validate", () => {
  it("exit 0 for a valid file, with what it holds", () => {
    const run = runCli(["rules", "validate", `${FIXTURES}/meta.rules`]);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /^test\/fixtures\/rules\/meta\.rules: valid \(2 rules, 2 actions\)\n/);
    // CIPolicE's action module is not shipped: validation says so, and the file still loads.
    assert.match(run.stdout, /warning: .*meta\.rules:2:2: containeractions\.py does not exist \(yet\)/);
  });

  it("exit 1 for CIPolicE's examples, naming the unknown action's file, line and column", () => {
    const run = runCli([
      "rules",
      "validate",
      `${FIXTURES}/clair.rules`,
      `${FIXTURES}/cipolice-example.rules`,
    ]);
    assert.equal(run.status, 1, run.stderr);
    assert.match(
      run.stdout,
      /clair\.rules: invalid: Cannot load rules file .*: 3 problems; nothing of it was loaded/,
    );
    assert.match(run.stdout, /- test\/fixtures\/rules\/clair\.rules:2:2: unknown action "notify_maintainer"/);
    assert.match(run.stdout, /- test\/fixtures\/rules\/clair\.rules:5:2: unknown action "blockimage"/);
    assert.match(
      run.stdout,
      /- test\/fixtures\/rules\/clair\.rules:11:2: unknown action "shouldnotbereached"/,
    );
    assert.match(
      run.stdout,
      /- test\/fixtures\/rules\/cipolice-example\.rules:6:2: unknown action "something_special"/,
    );
  });

  it("--allow-unknown-actions loads them, with a warning each", () => {
    const run = runCli(["rules", "validate", "--allow-unknown-actions", `${FIXTURES}/clair.rules`]);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /clair\.rules: valid \(3 rules, 7 actions\)/);
    assert.match(
      run.stdout,
      /warning: .*clair\.rules:11:2: unknown action "shouldnotbereached" will fail each time it runs/,
    );
  });

  it("lists every problem of a broken file with its line and column", () => {
    const file = join(scratch, "broken.rules");
    writeFileSync(file, 'level >= 3 and\n\tlog x\ncve == "x\n\tbreak now\n');
    const run = runCli(["rules", "validate", file]);
    assert.equal(run.status, 1);
    assert.match(run.stdout, /2 problems|3 problems/);
    assert.match(run.stdout, /broken\.rules:1:15: expected a value, found the end of the condition/);
    assert.match(run.stdout, /broken\.rules:3:8: the string starting here is not closed/);
    assert.match(run.stdout, /broken\.rules:4:8: `break` takes no arguments/);
  });

  it("exit 2 for a file that cannot be read", () => {
    const run = runCli(["rules", "validate", join(scratch, "absent.rules"), `${FIXTURES}/meta.rules`]);
    assert.equal(run.status, 2);
    assert.match(run.stdout, /absent\.rules: unreadable/);
    assert.match(run.stdout, /meta\.rules: valid/);
  });
});

describe("cipolice rules test", () => {
  it("--dry-run lists clair.rules's second rule up to break, with file:line", () => {
    const run = runCli([
      "rules",
      "test",
      "--rules",
      `${FIXTURES}/clair.rules`,
      "--message",
      '{"image":"nginx:latest","level":3}',
      "--dry-run",
      "--allow-unknown-actions",
    ]);
    assert.equal(run.status, 0, run.stderr);
    assert.equal(
      run.stdout,
      [
        `would run ${FIXTURES}/clair.rules:5: blockimage`,
        `would run ${FIXTURES}/clair.rules:6: containeractions.py:mark`,
        `would run ${FIXTURES}/clair.rules:7: ./label.sh`,
        `would run ${FIXTURES}/clair.rules:8: http://localhost:9999/webhook`,
        `break at ${FIXTURES}/clair.rules:9: later rules are not evaluated`,
        "",
      ].join("\n"),
    );
  });

  it("--dry-run on cipolice-example.rules: the first two rules, read from a message file", () => {
    const message = join(scratch, "message.json");
    writeFileSync(
      message,
      '{"cve":"CVE-2020-7050","clairresult":-1,"image":"nginx:latest","compromised":true}',
    );
    const run = runCli([
      "rules",
      "test",
      "--rules",
      `${FIXTURES}/cipolice-example.rules`,
      "--message",
      `@${message}`,
      "--dry-run",
      "--allow-unknown-actions",
    ]);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /would run .*cipolice-example\.rules:2: containeractions\.py:mark\n/);
    assert.match(run.stdout, /would run .*cipolice-example\.rules:4: containeractions\.py:notify\n/);
    assert.doesNotMatch(run.stdout, /something_special/);
  });

  it("says why a condition could not decide, on stderr", () => {
    const run = runCli([
      "rules",
      "test",
      "--rules",
      `${FIXTURES}/meta.rules`,
      "--message",
      '{"image":"x"}',
      "--dry-run",
    ]);
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout, "no action would run\n");
    assert.match(run.stderr, /notice: .*meta\.rules:1:1: labels is not in the message/);
  });

  it("refuses unknown actions unless allowed, and a message that is not a JSON object (exit 2)", () => {
    const refused = runCli([
      "rules",
      "test",
      "--rules",
      `${FIXTURES}/clair.rules`,
      "--message",
      '{"level":3}',
      "--dry-run",
    ]);
    assert.equal(refused.status, 2);
    assert.match(refused.stderr, /clair\.rules:11:2: unknown action "shouldnotbereached"/);
    const notObject = runCli([
      "rules",
      "test",
      "--rules",
      `${FIXTURES}/meta.rules`,
      "--message",
      "[1]",
      "--dry-run",
    ]);
    assert.equal(notObject.status, 2);
    assert.match(notObject.stderr, /not a JSON object/);
    const notJson = runCli([
      "rules",
      "test",
      "--rules",
      `${FIXTURES}/meta.rules`,
      "--message",
      "{level",
      "--dry-run",
    ]);
    assert.equal(notJson.status, 2);
    assert.match(notJson.stderr, /Cannot parse the --message text as JSON/);
  });

  it("without --dry-run runs the actions for real, message text as data only, and stops at break", () => {
    const dir = mkdtempSync(join(scratch, "real-"));
    const script = join(dir, "mark.sh");
    writeFileSync(script, '#!/bin/sh\nprintf "%s" "$1" > "$(dirname "$0")/marked"\n');
    chmodSync(script, 0o755);
    const rules = join(dir, "real.rules");
    writeFileSync(
      rules,
      'image =~~ "nginx"\n\tlog seen {image}\n\t./mark.sh\n\tbreak\nlevel > 0\n\tlog never\n',
    );
    const image = "nginx:latest$(touch pwned)`touch pwned2`";
    const run = runCli(["rules", "test", "--rules", rules, "--message", JSON.stringify({ image, level: 1 })]);
    assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, /log: seen nginx:latest\$\(touch pwned\)`touch pwned2`/);
    assert.match(run.stdout, /^ok\s+.*real\.rules:3: \.\/mark\.sh/m);
    assert.match(run.stdout, /break at .*real\.rules:4/);
    assert.doesNotMatch(run.stdout, /never/);
    assert.equal(readFileSync(join(dir, "marked"), "utf8"), image);
    assert.equal(existsSync(join(dir, "pwned")), false);
    assert.equal(existsSync(join(dir, "pwned2")), false);
  });

  it("without --dry-run an unknown action fails and the exit code is 1", () => {
    const run = runCli([
      "rules",
      "test",
      "--rules",
      `${FIXTURES}/cipolice-example.rules`,
      "--message",
      '{"cve":"CVE-1920-9183","image":"x"}',
      "--allow-unknown-actions",
      "--timeout",
      "10",
    ]);
    assert.equal(run.status, 1, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, /^failed\s+.*cipolice-example\.rules:6: something_special/m);
  });
});
