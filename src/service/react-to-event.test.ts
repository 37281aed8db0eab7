import assert from "node:assert/strict";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { planActions } from "../rules/evaluate-rules.js";
import { parseRulesFile } from "../rules/parse-rules-file.js";
import type { RuleSet } from "../rules/rule-types.js";
import { runActions } from "../rules/run-actions.js";
import { openSqliteStore, SQLITE_MEMORY } from "../store/sqlite-store.js";
import { EventReactor } from "./react-to-event.js";
import type { Store } from "./store-ports.js";

describe("EventReactor", () => {
  let dir: string;
  let store: Store;
  const logs: string[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "cipolice-reactor-"));
    store = await openSqliteStore(SQLITE_MEMORY);
    // An action that appends one line per run: how many times it ran is how many lines there are
    await writeFile(join(dir, "count.sh"), '#!/bin/sh\necho "$1" >> "$(dirname "$0")/runs.txt"\n');
    await chmod(join(dir, "count.sh"), 0o755);
  });
  after(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  function reactor(rulesText: string): EventReactor {
    const file = join(dir, "test.rules");
    const rules: RuleSet = parseRulesFile(rulesText, file);
    return new EventReactor({
      store,
      rules: () => rules,
      plan: planActions,
      run: (actions, message, builtins) =>
        runActions(actions, message, { baseDir: dir, builtins, timeoutMs: 10_000 }),
      log: { info: (text) => logs.push(text), warn: (text) => logs.push(text) },
      now: () => new Date(),
      assessTimeoutMs: 1_000,
    });
  }

  it("runs a message's actions once: the same message id again is a duplicate and runs nothing", async () => {
    const r = reactor("level >= 3\n\t./count.sh\n");
    const message = { image: "registry.example/app:1", level: 5 };
    const first = await r.process(message, { messageId: "m-1", source: "test" });
    assert.equal(first.state, "done");
    assert.equal(first.state === "done" && first.outcomes[0]?.status, "ok");
    assert.deepEqual(await r.process(message, { messageId: "m-1", source: "test" }), { state: "duplicate" });
    assert.equal(await readFile(join(dir, "runs.txt"), "utf8"), "registry.example/app:1\n");
    const [record] = await store.listEvents({ messageId: "m-1", limit: 1 });
    assert.equal(record?.state, "done");
    assert.deepEqual(record?.message, message);
    assert.equal(record?.outcomes[0]?.action, "./count.sh");
    assert.match(record?.outcomes[0]?.at ?? "", /test\.rules:2$/);
  });

  it("`reject` puts a verdict on the message's digest and announces a new revision of it", async () => {
    const digest = `sha256:${"ab".repeat(32)}`;
    const r = reactor('cve != ""\n\treject\n');
    const result = await r.process(
      { image: `registry.example/app@${digest}`, cve: "CVE-2024-0001" },
      { messageId: "m-2", source: "http:cipolice" },
    );
    assert.equal(result.state, "done");
    const verdict = await store.getVerdict(digest);
    assert.equal(verdict?.verdict, "reject");
    assert.equal(verdict?.reason, "cve CVE-2024-0001");
    assert.match(verdict?.setBy ?? "", /message m-2 from http:cipolice/);
    // Decision caches key on the revision: a verdict must change it
    assert.equal(await store.reportRevision(digest), 1);
  });

  it("a message no rule matches runs nothing and is still recorded as done", async () => {
    const r = reactor("level > 7\n\t./count.sh\n");
    const result = await r.process({ image: "x:1", level: 2 }, { messageId: "m-3", source: "test" });
    assert.equal(result.state === "done" && result.outcomes.length, 0);
    const [record] = await store.listEvents({ messageId: "m-3", limit: 1 });
    assert.equal(record?.state, "done");
  });

  it("a dead-lettered message keeps its reason and is never run later", async () => {
    const r = reactor("level >= 0\n\t./count.sh\n");
    await r.deadLetter({ messageId: "m-4", source: "amqp:q" }, "the body is not JSON");
    assert.deepEqual(await r.process({ level: 1 }, { messageId: "m-4", source: "amqp:q" }), {
      state: "duplicate",
    });
    const [record] = await store.listEvents({ messageId: "m-4", limit: 1 });
    assert.equal(record?.state, "dead_lettered");
    assert.equal(record?.reason, "the body is not JSON");
  });
});
