import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { runCli } from "../support/run-cli.js";

const scratch = mkdtempSync(join(tmpdir(), "cipolice-serve-cli-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

test("a configuration file with mistakes is refused before serving, each problem with its path", () => {
  const config = join(scratch, "bad.yaml");
  writeFileSync(
    config,
    "listen: nowhere\nadmission:\n  deadlineMs: 50\n  failModes:\n    - { namespaces: [dev], mode: sometimes }\nstore: { type: mysql }\n",
  );
  const run = runCli(["serve", "--config", config, "--data-dir", join(scratch, "data")]);
  assert.equal(run.status, 2);
  assert.match(run.stderr, /CIP_CONFIG_INVALID: Cannot load the server configuration: \d+ problems/);
  assert.match(run.stderr, /listen: must be host:port/);
  assert.match(run.stderr, /admission\.deadlineMs: must be at least 100/);
  assert.match(run.stderr, /admission\.failModes\[0\]\.mode: expected one of/);
  assert.match(run.stderr, /store\.type/);
});

test("plain HTTP on an address other than loopback is refused unless asked for", () => {
  const run = runCli(["serve", "--listen", "0.0.0.0:0", "--data-dir", join(scratch, "data")]);
  assert.equal(run.status, 2);
  assert.match(run.stderr, /CIP_USAGE/);
  assert.match(run.stderr, /--allow-insecure-http|allowInsecureHttp|TLS/);
});

test("--tls-cert without --tls-key is refused with what to give", () => {
  const run = runCli(["serve", "--tls-cert", "c.pem", "--data-dir", join(scratch, "data")]);
  assert.equal(run.status, 2);
  assert.match(run.stderr, /Cannot serve HTTPS: give both --tls-cert and --tls-key/);
});

test("a policy bundle that does not validate stops the start with its problems", () => {
  const bundle = join(scratch, "broken.yaml");
  writeFileSync(
    bundle,
    "id: x\nversion: '1_0'\npolicies: [{ id: p, rules: [{ gate: nope, trigger: x, action: STOP }] }]\nmappings: []\n",
  );
  const run = runCli(["serve", "--policy", bundle, "--data-dir", join(scratch, "data")]);
  assert.equal(run.status, 2);
  assert.match(run.stderr, /CIP_BUNDLE_INVALID: Cannot use policy bundle .*broken\.yaml/);
});

test("a rules file that does not load stops the start, naming each problem's file, line and column", () => {
  const rules = join(scratch, "broken.rules");
  writeFileSync(rules, 'level >= 3 and\n\tlog high\ncve != ""\n\tnotify_maintainer\n');
  const run = runCli(["serve", "--rules", rules, "--data-dir", join(scratch, "data")]);
  assert.equal(run.status, 2, run.stderr);
  assert.match(run.stderr, /broken\.rules:1:15: expected a value/);
  assert.match(run.stderr, /broken\.rules:4:2: unknown action "notify_maintainer"/);
  assert.doesNotMatch(run.stderr, /listening/);
});

test("consume without a broker is refused with what to give", () => {
  const run = runCli(["consume", "--data-dir", join(scratch, "data")]);
  assert.equal(run.status, 2);
  assert.match(run.stderr, /Cannot consume events: no broker is named/);
});

test("publish refuses what is not a JSON object before connecting", () => {
  const run = runCli(["publish", "--amqp", "amqp://127.0.0.1:1", "[1, 2]"]);
  assert.equal(run.status, 2);
  assert.match(run.stderr, /Cannot publish: the argument is not a JSON object/);
});

test("explain refuses --push, which it would ignore", () => {
  const run = runCli(["explain", "--facts", "examples/webapp.facts.json", "--push", "http://127.0.0.1:1"]);
  assert.equal(run.status, 2);
  assert.match(run.stderr, /Cannot use --push with explain/);
});

test("--push says what failed: no digest known, or no server at the URL", () => {
  const facts = join(scratch, "no-digest.facts.json");
  writeFileSync(facts, JSON.stringify({ ref: { registry: "ghcr.io", repository: "team/app", tag: "1" } }));
  const noDigest = runCli(["check", "--facts", facts, "--push", "http://127.0.0.1:1"]);
  assert.equal(noDigest.status, 2);
  assert.match(noDigest.stderr, /Cannot push the reports: the image's digest is not known/);
  const noServer = runCli(["check", "--facts", "examples/webapp.facts.json", "--push", "http://127.0.0.1:1"]);
  assert.equal(noServer.status, 2);
  assert.match(noServer.stdout, /PASS final action WARN/, "the check itself is printed before the push");
  assert.match(
    noServer.stderr,
    /Cannot push examples\/webapp\.facts\.json to http:\/\/127\.0\.0\.1:1: connect ECONNREFUSED/,
  );
});
