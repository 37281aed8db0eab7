import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import type { DecisionV1 } from "../../src/model/index.js";
import { corpusPath, skipWithoutCorpus } from "../support/corpus.js";
import { runCli } from "../support/run-cli.js";

const V25 = "images/docker-save/ggcr_hello-world-v25.tar";
const V24 = "images/docker-save/containers-image_almostempty.tar";
const scratch = mkdtempSync(join(tmpdir(), "cip-untagged-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** The default bundle's decision for `cipolice check docker-archive:FILE`, and the raw output. */
function check(file: string): { decision: DecisionV1; stdout: string } {
  const run = runCli(["check", `docker-archive:${file}`, "--format", "json"]);
  // The default bundle stops on other rules (no vulnerability data, root user): exit 1, not 2.
  assert.notEqual(run.status, 2, run.stderr);
  return { decision: JSON.parse(run.stdout) as DecisionV1, stdout: run.stdout };
}

/** A Docker ≤24 archive with its RepoTags removed, as `docker save IMAGE_ID` writes it. */
function untaggedV24(): string {
  const dir = join(scratch, "v24");
  mkdirSync(dir, { recursive: true });
  execFileSync("tar", ["-xf", corpusPath(V24), "-C", dir]);
  const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as { RepoTags: unknown }[];
  for (const item of manifest) item.RepoTags = null;
  writeFileSync(join(dir, "manifest.json"), JSON.stringify(manifest));
  rmSync(join(dir, "repositories"));
  const file = join(scratch, "almost-empty.tar");
  execFileSync("tar", ["-cf", file, "-C", dir, "."]);
  return file;
}

describe("an untagged docker-archive is not a latest reference", {
  skip: skipWithoutCorpus(V25, V24),
}, () => {
  test("Docker 25 archive without RepoTags: named after the file, tag_latest does not fire", () => {
    const { decision, stdout } = check(corpusPath(V25));
    assert.equal(decision.image.ref, "localhost/ggcr-hello-world-v25");
    assert.ok(decision.results.length > 0, "the default bundle evaluated the image");
    assert.ok(!stdout.includes("tag_latest"), stdout);
  });

  test("Docker ≤24 archive without RepoTags (no manifest digest at all): tag_latest does not fire", () => {
    const { decision, stdout } = check(untaggedV24());
    assert.equal(decision.image.ref, "localhost/almost-empty");
    assert.equal(decision.image.digest, undefined);
    assert.ok(!stdout.includes("tag_latest"), stdout);
  });

  test("the same archive tagged emptyimage:latest still fires tag_latest", () => {
    const { decision } = check(corpusPath(V24));
    const hit = decision.results.find((r) => r.trigger === "tag_latest");
    assert.match(hit?.message ?? "", /docker\.io\/library\/emptyimage:latest uses the tag latest/);
  });
});
