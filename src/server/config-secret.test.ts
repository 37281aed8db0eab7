import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { readConfiguredSecret } from "./config-secret.js";

describe("readConfiguredSecret", () => {
  const dir = mkdtempSync(join(tmpdir(), "cipolice-secret-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("reads inline, environment and file sources; a file's final newline is dropped", () => {
    writeFileSync(join(dir, "s"), "from-file\n");
    assert.equal(readConfiguredSecret({ inline: "x" }, "the secret", "f"), "x");
    assert.equal(readConfiguredSecret({ env: "S" }, "the secret", "f", { S: "from-env" }), "from-env");
    assert.equal(readConfiguredSecret({ file: join(dir, "s") }, "the secret", "f"), "from-file");
    assert.equal(readConfiguredSecret({}, "the secret", "f"), undefined);
  });

  it("refuses a named source that is empty or unreadable, naming the field: nothing is silently switched off", () => {
    assert.throws(
      () =>
        readConfiguredSecret({ env: "UNSET_SECRET" }, "the web hook signing secret", "events.webhooks", {}),
      {
        code: "CIP_CONFIG_INVALID",
        message:
          "Cannot use the web hook signing secret: environment variable UNSET_SECRET is empty (events.webhooks)",
      },
    );
    assert.throws(
      () => readConfiguredSecret({ file: join(dir, "missing") }, "the broker URL", "events.amqp"),
      {
        code: "CIP_CONFIG_INVALID",
        message: /^Cannot read the broker URL: .*ENOENT.* \(events\.amqp\)$/,
      },
    );
  });
});
