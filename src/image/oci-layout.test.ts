import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { corpusPath, skipWithoutCorpus } from "../../test/support/corpus.js";
import { readOciLayout } from "./oci-layout.js";

const TRIVY = "images/oci-layout/trivy_test_image_tag.oci";
const GGCR = "images/oci-layout/ggcr_test_index";
const scratch = mkdtempSync(join(tmpdir(), "cip-oci-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** A writable copy of a corpus layout. */
function copyLayout(relative: string, name: string): string {
  const dir = join(scratch, name);
  cpSync(corpusPath(relative), dir, { recursive: true });
  chmodSync(dir, 0o755);
  for (const sub of ["blobs", "blobs/sha256"]) chmodSync(join(dir, sub), 0o755);
  return dir;
}

async function rejects(promise: Promise<unknown>, code: string, pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (error: { code?: string; message: string }) => {
    assert.equal(error.code, code, error.message);
    assert.match(error.message, pattern);
    assert.match(error.message, /^Cannot /);
    return true;
  });
}

describe("readOciLayout", { skip: skipWithoutCorpus(TRIVY, GGCR) }, () => {
  it("reads the only image of a layout, its config and layers", async () => {
    const image = await readOciLayout(corpusPath(TRIVY));
    assert.equal(image.source, "oci-layout");
    assert.deepEqual(image.ref, { registry: "localhost", repository: "trivy-test-image-tag", tag: "0.0.1" });
    assert.equal(
      image.manifestDigest,
      "sha256:afb744871f99e0ff8e6f253244836ed34c5d805fdb096d3a205ffaf5e9073cab",
    );
    assert.equal(image.manifestMediaType, "application/vnd.oci.image.manifest.v1+json");
    assert.equal(
      image.configDigest,
      "sha256:b23a8f6569ae9ae331226205fa72f480ce5310707d0bc97e611f83fbbbde4604",
    );
    const config = image.config as { config: { Cmd: string[] }; architecture: string };
    assert.deepEqual(config.config.Cmd, ["/hello"]);
    assert.equal(config.architecture, "amd64");
    assert.deepEqual(image.layers, [
      {
        digest: "sha256:cdd16bd695eda2819e7637648f573c2ca64896c4f7bff9732ac9db734ca3bc2c",
        size: 2610,
        mediaType: "application/vnd.oci.image.layer.v1.tar+gzip",
      },
    ]);
  });

  it("picks a manifest by tag, following nested indexes and manifest lists", async () => {
    const dir = corpusPath(GGCR);
    const one = await readOciLayout(dir, { tag: "1" });
    assert.equal(one.indexDigest, undefined);
    assert.equal(one.configDigest, "sha256:6e0b05049ed9c17d02e1a55e80d6599dbfcce7f4f4b022e3c673e685789c470e");
    // "2" is described with a generic descriptor media type: the blob itself says it is a manifest.
    const two = await readOciLayout(dir, { tag: "2" });
    assert.equal(two.configDigest, "sha256:930705ce23e3b6ed4c08746b6fe880089c864fbaf62482702ae3fdd66b8c7fe9");
    assert.equal(two.layers.length, 1);
    const nested = await readOciLayout(dir, { tag: "3" });
    assert.equal(
      nested.indexDigest,
      "sha256:05f95b26ed10668b7183c1e2da98610e91372fa9f510046d4ce5812addad86b5",
    );
    assert.equal(nested.manifestDigest, one.manifestDigest);
    assert.equal(nested.ref.tag, "3");
    const list = await readOciLayout(dir, { tag: "4" });
    assert.equal(list.indexDigest, "sha256:2b29a2b8dea3af91ea7d0154be1da0c92d55ddd098540930fc8d3db7de377fdb");
    assert.equal(list.manifestDigest, one.manifestDigest);
  });

  it("lists the tags when none or an unknown one is given for several images", async () => {
    const dir = corpusPath(GGCR);
    await rejects(readOciLayout(dir), "CIP_USAGE", /lists 4 images; tags: "1", "2", "3", "4"/);
    await rejects(
      readOciLayout(dir, { tag: "9" }),
      "CIP_USAGE",
      /no manifest is tagged "9"; tags: "1", "2", "3", "4"/,
    );
  });

  it("refuses a blob whose content does not match its digest", async () => {
    const dir = copyLayout(TRIVY, "tampered");
    const config = join(dir, "blobs/sha256/b23a8f6569ae9ae331226205fa72f480ce5310707d0bc97e611f83fbbbde4604");
    chmodSync(config, 0o644);
    // Same size, one byte changed.
    writeFileSync(config, readFileSync(config, "utf8").replace("amd64", "arm64"));
    await rejects(readOciLayout(dir), "CIP_IMAGE_INVALID", /config blob sha256:b23a8f.* hashes to sha256:/);
  });

  it("refuses a blob whose size differs from its descriptor", async () => {
    const dir = copyLayout(TRIVY, "resized");
    const index = join(dir, "index.json");
    chmodSync(index, 0o644);
    writeFileSync(index, readFileSync(index, "utf8").replace('"size": 345', '"size": 346'));
    await rejects(readOciLayout(dir), "CIP_IMAGE_INVALID", /has 345 bytes where its descriptor says 346/);
  });

  it("refuses digests that would escape the blobs directory", async () => {
    const dir = copyLayout(TRIVY, "escape");
    const index = join(dir, "index.json");
    chmodSync(index, 0o644);
    writeFileSync(
      index,
      JSON.stringify({
        schemaVersion: 2,
        manifests: [
          {
            mediaType: "application/vnd.oci.image.manifest.v1+json",
            digest: "sha256/../../../oci-layout",
            size: 31,
          },
        ],
      }),
    );
    await rejects(readOciLayout(dir), "CIP_IMAGE_INVALID", /would escape the blobs directory/);
  });

  it("refuses an artifact or a schema 1 manifest, saying which and where", async () => {
    const dir = copyLayout(TRIVY, "not-an-image");
    const config = "sha256:b23a8f6569ae9ae331226205fa72f480ce5310707d0bc97e611f83fbbbde4604";
    const artifact = {
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      artifactType: "application/vnd.example.sbom.v1",
      config: { mediaType: "application/vnd.oci.empty.v1+json", digest: config, size: 2 },
      layers: [],
    };
    const schema1 = {
      schemaVersion: 1,
      name: "app",
      tag: "1",
      fsLayers: [{ blobSum: config }],
      history: [{ v1Compatibility: "{}" }],
    };
    const index = join(dir, "index.json");
    chmodSync(index, 0o644);
    for (const [doc, pattern] of [
      [artifact, /it is an artifact of type application\/vnd\.example\.sbom\.v1, not an image/],
      [schema1, /it is a Docker schema 1 manifest/],
    ] as const) {
      const bytes = Buffer.from(JSON.stringify(doc));
      const digest = `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
      writeFileSync(join(dir, "blobs", "sha256", digest.slice(7)), bytes);
      writeFileSync(index, JSON.stringify({ schemaVersion: 2, manifests: [{ digest, size: bytes.length }] }));
      await rejects(readOciLayout(dir), "CIP_IMAGE_INVALID", pattern);
      await rejects(readOciLayout(dir), "CIP_IMAGE_INVALID", new RegExp(`\\(${dir}, blob ${digest}\\)$`));
    }
  });

  it("refuses a directory that is not an OCI layout", async () => {
    await rejects(readOciLayout(scratch), "CIP_FILE_READ", /has no readable oci-layout file/);
    const dir = copyLayout(TRIVY, "version");
    chmodSync(join(dir, "oci-layout"), 0o644);
    writeFileSync(join(dir, "oci-layout"), '{"imageLayoutVersion":"2.0.0"}');
    await rejects(readOciLayout(dir), "CIP_IMAGE_INVALID", /imageLayoutVersion "2.0.0" is not 1.x/);
  });

  it("chooses the platform of a multi-platform index", async () => {
    const dir = copyLayout(TRIVY, "multi");
    const index = join(dir, "index.json");
    chmodSync(index, 0o644);
    const manifest = { mediaType: "application/vnd.oci.image.manifest.v1+json", size: 345 };
    writeFileSync(
      index,
      JSON.stringify({
        schemaVersion: 2,
        manifests: [
          {
            ...manifest,
            digest: "sha256:afb744871f99e0ff8e6f253244836ed34c5d805fdb096d3a205ffaf5e9073cab",
            platform: { os: "linux", architecture: "amd64" },
          },
          {
            ...manifest,
            digest: `sha256:${"0".repeat(64)}`,
            platform: { os: "linux", architecture: "arm64" },
          },
        ],
      }),
    );
    const image = await readOciLayout(dir, { platform: { os: "linux", architecture: "amd64" } });
    assert.equal(
      image.manifestDigest,
      "sha256:afb744871f99e0ff8e6f253244836ed34c5d805fdb096d3a205ffaf5e9073cab",
    );
    await rejects(
      readOciLayout(dir, { platform: { os: "windows", architecture: "amd64" } }),
      "CIP_USAGE",
      /windows\/amd64 is not in the index, which has linux\/amd64, linux\/arm64/,
    );
    await rejects(
      readOciLayout(dir, { platform: { os: "linux", architecture: "arm64" } }),
      "CIP_FILE_READ",
      /is missing/,
    );
  });

  it("refuses index.json linked to /dev/zero, or a FIFO, at once, as not a regular file", async () => {
    const dir = copyLayout(TRIVY, "device");
    rmSync(join(dir, "index.json"));
    symlinkSync("/dev/zero", join(dir, "index.json"));
    const start = Date.now();
    await rejects(
      readOciLayout(dir),
      "CIP_FILE_READ",
      /the layout's index\.json: it is a character device, not a regular file \(.*device\/index\.json\)$/,
    );
    rmSync(join(dir, "index.json"));
    // Nothing ever writes to this FIFO: opening it for reading must not wait for a writer
    execFileSync("mkfifo", [join(dir, "index.json")]);
    await rejects(readOciLayout(dir), "CIP_FILE_READ", /it is a pipe \(FIFO\), not a regular file/);
    assert.ok(Date.now() - start < 2000, `${Date.now() - start} ms`);
  });

  it("refuses a blob that is a FIFO, and an index.json over the JSON limit", async () => {
    const dir = copyLayout(TRIVY, "fifo-blob");
    const config = join(dir, "blobs/sha256/b23a8f6569ae9ae331226205fa72f480ce5310707d0bc97e611f83fbbbde4604");
    rmSync(config);
    execFileSync("mkfifo", [config]);
    await rejects(readOciLayout(dir), "CIP_FILE_READ", /config blob sha256:b23a8f.*: it is a pipe \(FIFO\)/);
    await rejects(
      readOciLayout(corpusPath(TRIVY), { maxJsonBytes: 100 }),
      "CIP_INPUT_TOO_LARGE",
      /the layout's index\.json: it is 369 bytes, over the 100 bytes image JSON limit/,
    );
  });
});
