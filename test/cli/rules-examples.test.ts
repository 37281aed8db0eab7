import assert from "node:assert/strict";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it, type TestContext } from "node:test";
import { NO_PYTHON } from "../fixtures/rules-actions/action-fixtures.js";
import { REPO_ROOT } from "../support/corpus.js";
import { type CliRun, runCliAsync } from "../support/run-cli.js";

// Issue 11, Must show: CIPolicE's example rules files (test/fixtures/rules), loaded and run for real through
// `cipolice rules test`, as a user would run them, with the action files they call written beside them.

const FIXTURES = join(REPO_ROOT, "test/fixtures/rules");
const EXAMPLE_HOOK = "http://localhost:9999/webhook";

// CIPolicE-style action module: each function appends one line to a file beside it, so the test sees
// what ran with what. echo records its arguments as a JSON list to show how the line was split and filled.
const CONTAINERACTIONS_PY = `import json, os

HERE = os.path.dirname(os.path.abspath(__file__))

def _append(name, line):
    with open(os.path.join(HERE, name), "a", encoding="utf-8") as out:
        out.write(line + "\\n")

def mark(image):
    _append("marked.log", image)
    return True

def notify(image):
    print("notify maintainer of", image)
    _append("notified.log", image)

def echo(*params):
    print(*params)
    _append("echoed.log", json.dumps(list(params)))
    return True
`;

// The executable action: appends its one argument (the image) to a file beside it.
const LABEL_SH = `#!/bin/sh
printf '%s\\n' "$1" >> "$(dirname "$0")/labelled.log"
`;

/** One request the web hook receiver got. */
interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A real HTTP receiver for the web hook action on 127.0.0.1, closed after the test. */
async function startReceiver(t: TestContext): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      received.push({
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
      });
      res.writeHead(200, { "content-type": "text/plain" }).end("received\n");
    });
  });
  // Port 0: the OS picks a free port; the example's 9999 may be taken on this machine
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/webhook`, received };
}

/**
 * A temp folder holding the three example rules files as shipped (clair.rules's web hook pointed at
 * `hookUrl`), containeractions.py and label.sh; removed after the test.
 */
function exampleFolder(t: TestContext, hookUrl: string): string {
  const dir = mkdtempSync(join(tmpdir(), "cipolice-rules-examples-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const name of ["cipolice-example.rules", "meta.rules"]) {
    writeFileSync(join(dir, name), readFileSync(join(FIXTURES, name)));
  }
  const clair = readFileSync(join(FIXTURES, "clair.rules"), "utf8");
  // The rewrite must really happen, or the web hook would go to whatever listens on 9999
  assert.ok(clair.includes(EXAMPLE_HOOK), `clair.rules no longer holds ${EXAMPLE_HOOK}`);
  writeFileSync(join(dir, "clair.rules"), clair.replace(EXAMPLE_HOOK, hookUrl));
  writeFileSync(join(dir, "containeractions.py"), CONTAINERACTIONS_PY);
  writeFileSync(join(dir, "label.sh"), LABEL_SH);
  chmodSync(join(dir, "label.sh"), 0o755);
  return dir;
}

/** The lines an action appended to a file in the folder; none when it never ran. */
function lines(dir: string, name: string): string[] {
  const path = join(dir, name);
  return existsSync(path) ? readFileSync(path, "utf8").split("\n").slice(0, -1) : [];
}

/** `cipolice rules test` in a child process, not blocking this one (it serves the web hook receiver). */
function rulesTest(rules: string, message: unknown, ...flags: string[]): Promise<CliRun> {
  return runCliAsync(["rules", "test", "--rules", rules, "--message", JSON.stringify(message), ...flags]);
}

function show(run: CliRun): string {
  return `exit ${run.status}\nstdout:\n${run.stdout}\nstderr:\n${run.stderr}`;
}

/** stdout with each action's duration blanked, so lines can be compared whole. */
function stdoutLines(run: CliRun): string[] {
  return run.stdout
    .replace(/\(\d+ ms\)/g, "(N ms)")
    .split("\n")
    .slice(0, -1);
}

describe("CIPolicE's example rules files, run for real by `cipolice rules test`", () => {
  it("cipolice-example.rules: the first two rules run mark and notify with the image, the third does not match", async (t) => {
    if (NO_PYTHON) return t.skip(NO_PYTHON);
    const { url } = await startReceiver(t);
    const dir = exampleFolder(t, url);
    const rules = join(dir, "cipolice-example.rules");
    const run = await rulesTest(
      rules,
      { cve: "CVE-2020-7050", clairresult: -1, image: "nginx:latest", compromised: true },
      "--allow-unknown-actions",
    );
    assert.equal(run.status, 0, show(run));
    assert.deepEqual(lines(dir, "marked.log"), ["nginx:latest"]);
    assert.deepEqual(lines(dir, "notified.log"), ["nginx:latest"]);
    assert.deepEqual(
      stdoutLines(run),
      [
        `ok        ${rules}:2: containeractions.py:mark (N ms) [returned True]`,
        `ok        ${rules}:4: containeractions.py:notify (N ms) [returned None]`,
      ],
      show(run),
    );
    // something_special (an unknown action, loaded by the flag) would have been recorded failed had it run
    assert.doesNotMatch(run.stdout, /something_special/);
  });

  it("clair.rules with level 3: the second rule's actions in order up to break; level > 7 never evaluated", async (t) => {
    if (NO_PYTHON) return t.skip(NO_PYTHON);
    const { url, received } = await startReceiver(t);
    const dir = exampleFolder(t, url);
    const rules = join(dir, "clair.rules");
    const message = { image: "nginx:latest", level: 3 };
    const run = await rulesTest(rules, message, "--allow-unknown-actions", "--timeout", "20");
    // blockimage is an unknown action: loaded by the flag, recorded failed, and the run exits 1
    assert.equal(run.status, 1, show(run));
    // One line per action, in file order, then the break; the web hook line ends with the receiver's answer
    assert.deepEqual(
      stdoutLines(run),
      [
        `failed    ${rules}:5: blockimage (N ms) unknown action blockimage (loaded with --allow-unknown-actions)`,
        `ok        ${rules}:6: containeractions.py:mark (N ms) [returned True]`,
        `ok        ${rules}:7: ./label.sh (N ms)`,
        `ok        ${rules}:8: ${url} (N ms) received`,
        `break at ${rules}:9: later rules were not evaluated`,
      ],
      show(run),
    );
    assert.doesNotMatch(run.stdout, /shouldnotbereached|notify_maintainer/);

    assert.deepEqual(lines(dir, "marked.log"), ["nginx:latest"]);
    assert.deepEqual(lines(dir, "labelled.log"), ["nginx:latest"]);
    assert.equal(received.length, 1, JSON.stringify(received));
    const [post] = received;
    assert.equal(post?.method, "POST");
    assert.equal(post?.url, "/webhook");
    assert.match(String(post?.headers["content-type"]), /^application\/json/);
    assert.deepEqual(JSON.parse(post?.body ?? "null"), { message });
  });

  it("clair.rules without --allow-unknown-actions: refused at load time naming lines 2, 5 and 11; nothing runs", async (t) => {
    const { url, received } = await startReceiver(t);
    const dir = exampleFolder(t, url);
    const rules = join(dir, "clair.rules");
    const run = await rulesTest(rules, { image: "nginx:latest", level: 3 });
    assert.equal(run.status, 2, show(run));
    assert.match(run.stderr, /clair\.rules:2:2: unknown action "notify_maintainer"/, show(run));
    assert.match(run.stderr, /clair\.rules:5:2: unknown action "blockimage"/, show(run));
    assert.match(run.stderr, /clair\.rules:11:2: unknown action "shouldnotbereached"/, show(run));
    assert.equal(run.stdout, "", show(run));
    for (const name of ["marked.log", "notified.log", "labelled.log", "echoed.log"]) {
      assert.equal(existsSync(join(dir, name)), false, `${name} was written`);
    }
    assert.equal(received.length, 0, JSON.stringify(received));
  });

  it("meta.rules: echo gets the line's words with {size-mb} filled; with labels the second rule's echo runs", async (t) => {
    if (NO_PYTHON) return t.skip(NO_PYTHON);
    const { url } = await startReceiver(t);
    const dir = exampleFolder(t, url);
    const rules = join(dir, "meta.rules");

    const unlabelled = await rulesTest(rules, { image: "nginx:latest", "size-mb": 120, labels: [] });
    assert.equal(unlabelled.status, 0, show(unlabelled));
    assert.deepEqual(
      lines(dir, "echoed.log").map((l) => JSON.parse(l)),
      ["Not good, you should use labels. Especially for images being 120 MB in size.".split(" ")],
    );
    assert.deepEqual(
      stdoutLines(unlabelled),
      [
        `ok        ${rules}:2: containeractions.py:echo Not good, you should use labels. Especially for images being {size-mb} MB in size. (N ms) [returned True]`,
      ],
      show(unlabelled),
    );

    rmSync(join(dir, "echoed.log"));
    const labelled = await rulesTest(rules, { image: "nginx:latest", "size-mb": 120, labels: ["a"] });
    assert.equal(labelled.status, 0, show(labelled));
    assert.deepEqual(
      lines(dir, "echoed.log").map((l) => JSON.parse(l)),
      [["Great,", "somebody", "uses", "labels."]],
    );
    assert.match(labelled.stdout, /^ok\s+\S+meta\.rules:4: containeractions\.py:echo Great,/m);
    assert.doesNotMatch(labelled.stdout, /meta\.rules:2:/);
  });
});
