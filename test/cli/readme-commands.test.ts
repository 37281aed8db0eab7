import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { REPO_ROOT } from "../support/corpus.js";
import { runCli } from "../support/run-cli.js";

const README = readFileSync(join(REPO_ROOT, "README.md"), "utf8");

/** The arguments after `cipolice` of a README command line such as `npm ci && npx cipolice check …   # …`. */
function cipoliceArgs(line: string): string[] {
  const command = line.replace(/#.*$/, "").split("npx cipolice")[1] ?? "";
  return command.trim().split(/\s+/);
}

test("the README's first command prints what the README says it ends with, and exits as it says", () => {
  const block = /```sh\n([\s\S]*?)```/.exec(README)?.[1] ?? "";
  const main = block.split("\n").find((line) => line.includes("npx cipolice check"));
  assert.ok(main, "the README opens with a cipolice check command");
  const claim = /ends with\n`([^`]+)` \(exit (\d)\)/.exec(README);
  assert.ok(claim, "the README says how the first command ends");
  const run = runCli(cipoliceArgs(main));
  assert.equal(String(run.status), claim[2], run.stderr);
  const lines = run.stdout.trimEnd().split("\n");
  assert.equal(lines[lines.length - 1], claim[1]);
});

test("the README's failing example exits as the README says", () => {
  const claim = /`npx cipolice (check [^`]+)` shows a failing image \(exit (\d)\)/.exec(README);
  assert.ok(claim, "the README names a failing example");
  const run = runCli((claim[1] as string).split(/\s+/));
  assert.equal(String(run.status), claim[2], run.stderr);
  assert.match(run.stdout, /^FAIL final action STOP/m);
});
