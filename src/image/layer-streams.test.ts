import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { gzipSync } from "node:zlib";
import { sha256, tarArchive } from "../../test/support/tar-builder.js";
import { dockerArchiveLayers, type LayerStream, ociLayoutLayers } from "./layer-streams.js";

async function bytesOf(stream: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}

describe("dockerArchiveLayers", () => {
  it("hands out each layer as it passes and the manifest order at the end", async () => {
    const dir = await mkdtemp(join(tmpdir(), "cip-layer-streams-"));
    try {
      const first = tarArchive([{ path: "a.txt", content: "a" }]);
      const second = gzipSync(tarArchive([{ path: "b.txt", content: "b".repeat(100_000) }]));
      const archive = tarArchive([
        { path: "22/layer.tar", content: second },
        { path: "cfg.json", content: "{}" },
        { path: "11/layer.tar", content: first },
        {
          path: "manifest.json",
          content: JSON.stringify([
            { Config: "cfg.json", RepoTags: ["x:1"], Layers: ["11/layer.tar", "22/layer.tar"] },
          ]),
        },
      ]);
      const file = join(dir, "image.tar.gz");
      await writeFile(file, gzipSync(archive));
      const source = dockerArchiveLayers(file);
      const seen: Record<string, number> = {};
      for await (const layer of source.layers)
        seen[layer.digest] = (await bytesOf(await layer.open())).length;
      assert.deepEqual(seen, { "22/layer.tar": second.length, "11/layer.tar": first.length });
      assert.deepEqual(source.order(), ["11/layer.tar", "22/layer.tar"]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("refuses an archive over its entry limit", async () => {
    const dir = await mkdtemp(join(tmpdir(), "cip-layer-streams-"));
    try {
      const file = join(dir, "many.tar");
      await writeFile(
        file,
        tarArchive(Array.from({ length: 30 }, (_, i) => ({ path: `f${i}`, content: "" }))),
      );
      const source = dockerArchiveLayers(file, { limits: { maxEntries: 10 } });
      await assert.rejects(
        async () => {
          for await (const _ of source.layers) void _;
        },
        { code: "CIP_DECOMPRESSION_LIMIT" },
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("ociLayoutLayers", () => {
  it("checks each blob against its digest, even when the reader stops at the tar's end", async () => {
    const dir = await mkdtemp(join(tmpdir(), "cip-layout-"));
    try {
      await mkdir(join(dir, "blobs", "sha256"), { recursive: true });
      const layer = gzipSync(tarArchive([{ path: "a.txt", content: "a" }]));
      const digest = `sha256:${sha256(layer)}`;
      await writeFile(join(dir, "blobs", "sha256", sha256(layer)), layer);
      const [good] = ociLayoutLayers(dir, [{ digest, size: layer.length }]);
      assert.equal((await bytesOf(await (good as LayerStream).open())).length, layer.length);
      // Same name, other bytes: a tampered blob
      await writeFile(join(dir, "blobs", "sha256", sha256(layer)), Buffer.concat([layer, Buffer.from("x")]));
      const [bad] = ociLayoutLayers(dir, [{ digest }]);
      await assert.rejects(
        async () => {
          for await (const _ of await (bad as LayerStream).open()) break;
        },
        { code: "CIP_IMAGE_INVALID", message: /Cannot trust layer sha256:[0-9a-f]+: its digest is/ },
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("refuses a digest that would leave the blobs directory", () => {
    assert.throws(
      () => ociLayoutLayers("/tmp", [{ digest: "sha256:../../etc/passwd" }]),
      /escape the blobs directory/,
    );
  });
});
