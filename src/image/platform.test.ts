import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { corpusPath, skipWithoutCorpus } from "../../test/support/corpus.js";
import { isCipError } from "../model/index.js";
import { classifyManifest, type IndexEntry } from "./manifest.js";
import { defaultPlatform, formatPlatform, parsePlatform, selectPlatform } from "./platform.js";

const entry = (n: number, os: string, architecture: string, variant?: string): IndexEntry => ({
  mediaType: "application/vnd.oci.image.manifest.v1+json",
  digest: `sha256:${String(n).repeat(64).slice(0, 64)}`,
  size: 100,
  platform: variant === undefined ? { os, architecture } : { os, architecture, variant },
});

describe("parsePlatform", () => {
  test("os/arch and os/arch/variant", () => {
    assert.deepEqual(parsePlatform("linux/amd64"), { os: "linux", architecture: "amd64" });
    assert.deepEqual(parsePlatform("linux/arm64/v8"), { os: "linux", architecture: "arm64", variant: "v8" });
    assert.deepEqual(parsePlatform("Linux/ARM/7"), { os: "linux", architecture: "arm", variant: "v7" });
  });
  test("other tools' architecture names", () => {
    assert.deepEqual(parsePlatform("linux/x86_64"), { os: "linux", architecture: "amd64" });
    assert.deepEqual(parsePlatform("linux/aarch64"), { os: "linux", architecture: "arm64" });
    assert.deepEqual(parsePlatform("linux/armhf"), { os: "linux", architecture: "arm", variant: "v7" });
  });
  test("malformed platforms are refused with the expected form", () => {
    for (const bad of ["linux", "linux/", "a/b/c/d", "linux/amd 64", ""]) {
      assert.throws(
        () => parsePlatform(bad),
        (e: Error) =>
          isCipError(e) && e.code === "CIP_USAGE" && /expected os\/architecture\[\/variant\]/.test(e.message),
        bad,
      );
    }
  });
  test("format round-trips", () => {
    assert.equal(formatPlatform(parsePlatform("linux/arm64/v8")), "linux/arm64/v8");
    assert.equal(formatPlatform({ os: "linux", architecture: "amd64" }), "linux/amd64");
  });
});

describe("defaultPlatform", () => {
  test("maps Node names to OCI names", () => {
    assert.deepEqual(defaultPlatform("linux", "x64"), { os: "linux", architecture: "amd64" });
    assert.deepEqual(defaultPlatform("linux", "arm64"), {
      os: "linux",
      architecture: "arm64",
      variant: "v8",
    });
    assert.deepEqual(defaultPlatform("darwin", "arm64"), {
      os: "linux",
      architecture: "arm64",
      variant: "v8",
    });
    assert.deepEqual(defaultPlatform("win32", "x64"), { os: "windows", architecture: "amd64" });
    assert.deepEqual(defaultPlatform("linux", "arm", "6"), {
      os: "linux",
      architecture: "arm",
      variant: "v6",
    });
    assert.deepEqual(defaultPlatform("linux", "ia32"), { os: "linux", architecture: "386" });
    assert.deepEqual(defaultPlatform("linux", "s390x"), { os: "linux", architecture: "s390x" });
  });
  test("this machine has a platform", () => {
    const p = defaultPlatform();
    assert.ok(p.os.length > 0 && p.architecture.length > 0);
    assert.notEqual(p.architecture, "x64");
  });
});

describe("selectPlatform", () => {
  const index = {
    manifests: [
      entry(1, "linux", "amd64"),
      entry(2, "linux", "arm", "v6"),
      entry(3, "linux", "arm", "v7"),
      entry(4, "linux", "arm64", "v8"),
      entry(5, "unknown", "unknown"),
    ],
  };
  test("exact match", () => {
    assert.equal(selectPlatform(index, parsePlatform("linux/arm/v6")).digest, index.manifests[1]?.digest);
    assert.equal(selectPlatform(index, parsePlatform("linux/amd64")).digest, index.manifests[0]?.digest);
  });
  test("arm64 without variant finds arm64/v8, and arm64/v8 finds an arm64 entry without variant", () => {
    assert.equal(selectPlatform(index, parsePlatform("linux/arm64")).digest, index.manifests[3]?.digest);
    const plain = { manifests: [entry(1, "linux", "amd64"), entry(2, "linux", "arm64")] };
    assert.equal(selectPlatform(plain, parsePlatform("linux/arm64/v8")).digest, plain.manifests[1]?.digest);
  });
  test("arm without variant prefers v7", () => {
    assert.equal(selectPlatform(index, parsePlatform("linux/arm")).digest, index.manifests[2]?.digest);
  });
  test("attestation entries are never chosen", () => {
    assert.throws(() => selectPlatform(index, { os: "unknown", architecture: "unknown" }));
  });
  test("no match lists what is available (without attestations)", () => {
    assert.throws(
      () => selectPlatform(index, parsePlatform("linux/s390x"), "registry.test/app:1"),
      (e: Error) =>
        isCipError(e) &&
        e.message ===
          "Cannot choose a platform: linux/s390x is not in the index, which has linux/amd64, linux/arm/v6, linux/arm/v7, linux/arm64/v8 (registry.test/app:1)",
    );
  });
  test("a wanted variant that is absent is not silently replaced", () => {
    assert.throws(
      () => selectPlatform(index, parsePlatform("linux/arm/v5")),
      /linux\/arm\/v5 is not in the index/,
    );
  });
  test("an index with one entry without platform gives that entry", () => {
    const one = { manifests: [{ ...entry(1, "x", "y"), platform: undefined }] };
    assert.equal(selectPlatform(one, parsePlatform("linux/amd64")).digest, one.manifests[0]?.digest);
  });
  const LIST = "images/manifests/anchore_nginx_manifest_list.json";
  test("the nginx manifest list from the corpus", { skip: skipWithoutCorpus(LIST) }, () => {
    const m = classifyManifest(JSON.parse(readFileSync(corpusPath(LIST), "utf8")));
    assert.ok(m.kind === "index");
    if (m.kind !== "index") return;
    assert.equal(selectPlatform(m, parsePlatform("linux/amd64")).digest, m.manifests[0]?.digest);
    const arm64 = selectPlatform(m, defaultPlatform("linux", "arm64"));
    assert.equal(arm64.platform?.architecture, "arm64");
  });
});
