import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { runCli } from "../support/run-cli.js";
import { AUTH, exampleBundleFor, serveConfig, TEST_TOKEN, trivyReport } from "./support/serve-fixtures.js";
import { type RunningServe, startServe } from "./support/serve-harness.js";

// No registry is asked: the image is pinned and the example bundle reads only its name and its reports
const REGISTRY = "127.0.0.1:5999";
const DIGEST = `sha256:${"c".repeat(64)}`;
const IMAGE = `${REGISTRY}/web/app@${DIGEST}`;

let serve: RunningServe;
const scratch = mkdtempSync(join(tmpdir(), "cipolice-push-"));

before(async () => {
  const bundle = await exampleBundleFor(REGISTRY);
  serve = await startServe({ config: serveConfig(bundle.path, { store: { type: "sqlite" } }) });
});
after(async () => {
  await serve?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

async function evaluate(): Promise<{ outcome: string; reason?: string }> {
  const answer = await serve.request("POST", "/v1/evaluate", { image: IMAGE, namespace: "prod" }, AUTH);
  assert.equal(answer.status, 200, answer.text);
  return answer.json as { outcome: string; reason?: string };
}

test("check --push stores CI's report under the image digest, and the server decides with it at once", async () => {
  assert.equal((await evaluate()).outcome, "unknown", "no scan data before the push");
  const report = join(scratch, "trivy.json");
  writeFileSync(report, JSON.stringify(trivyReport(`${REGISTRY}/web/app:1.0`, DIGEST, "CVE-2099-4242")));
  const withoutToken = runCli([
    "check",
    IMAGE,
    "--report",
    report,
    "--namespace",
    "prod",
    "--push",
    serve.url,
  ]);
  assert.equal(withoutToken.status, 2);
  assert.match(withoutToken.stderr, /the server answered 401 .*hint: Give the server's push token/s);
  assert.equal((await evaluate()).outcome, "unknown", "a refused push stores nothing");

  const tokenFile = join(scratch, "token");
  writeFileSync(tokenFile, `${TEST_TOKEN}\n`);
  const pushed = runCli([
    "check",
    IMAGE,
    "--report",
    report,
    "--namespace",
    "prod",
    "--push",
    serve.url,
    "--push-token-file",
    tokenFile,
  ]);
  assert.equal(pushed.status, 1, "the check itself fails on the critical CVE in prod");
  assert.match(pushed.stderr, /pushed 1 document to http:\/\/127\.0\.0\.1:\d+/);
  const decided = (await evaluate()) as { outcome: string; decision?: { results: { message: string }[] } };
  assert.equal(decided.outcome, "fail");
  assert.ok(decided.decision?.results.some((r) => r.message.includes("CVE-2099-4242")));

  // The next scan of the same file replaces it; CIPOLICE_PUSH_TOKEN works as the token file does
  writeFileSync(report, JSON.stringify(trivyReport(`${REGISTRY}/web/app:1.0`, DIGEST)));
  const rescanned = runCli(["check", IMAGE, "--report", report, "--namespace", "prod", "--push", serve.url], {
    env: { CIPOLICE_PUSH_TOKEN: TEST_TOKEN },
  });
  assert.equal(rescanned.status, 0, rescanned.stderr);
  assert.equal((await evaluate()).outcome, "pass");
});
