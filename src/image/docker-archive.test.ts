import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { gzipSync } from "node:zlib";
import { corpusPath, skipWithoutCorpus } from "../../test/support/corpus.js";
import { dockerSaveEntries, type TarEntrySpec, tarArchive } from "../../test/support/tar-builder.js";
import { readDockerArchive } from "./docker-archive.js";

const DIR = "images/docker-save";
const scratch = mkdtempSync(join(tmpdir(), "cip-archive-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

const MALFORMED: Record<string, RegExp> = {
  "ggcr_no_manifest.tar": /it has no manifest\.json/,
  "ggcr_null_manifest.tar": /manifest\.json is null/,
};

/** Reads an archive entry with the real tar tool and parses it with jq, independently of the reader. */
function jq(file: string, entry: string, filter: string): unknown {
  const text = execFileSync("tar", ["-xOf", file, entry]);
  return JSON.parse(execFileSync("jq", ["-c", filter], { input: text }).toString());
}

async function rejects(promise: Promise<unknown>, code: string, pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (error: { code?: string; message: string }) => {
    assert.equal(error.code, code, error.message);
    assert.match(error.message, pattern);
    assert.match(error.message, /^Cannot /);
    return true;
  });
}

describe("readDockerArchive", { skip: skipWithoutCorpus(DIR) }, () => {
  const files = skipWithoutCorpus(DIR) ? [] : readdirSync(corpusPath(DIR)).filter((f) => f.endsWith(".tar"));

  for (const name of files) {
    const file = corpusPath(`${DIR}/${name}`);
    const malformed = MALFORMED[name];
    if (malformed) {
      it(`refuses the malformed ${name}`, async () => {
        await rejects(readDockerArchive(file), "CIP_IMAGE_INVALID", malformed);
      });
      continue;
    }
    it(`reads every image of ${name} as tar and jq see it`, async () => {
      const entries = execFileSync("tar", ["-tf", file]).toString().split("\n");
      const images = jq(file, "manifest.json", "[.[] | {Config, Layers, tags: (.RepoTags // [])}]") as {
        Config: string;
        Layers: string[];
        tags: string[];
      }[];
      for (const [i, expected] of images.entries()) {
        const image = await readDockerArchive(file, { tag: expected.tags[0] ?? `@${i}` });
        assert.equal(image.source, "docker-archive");
        assert.ok(entries.includes(expected.Config));
        assert.equal(image.layers.length, expected.Layers.length);
        const config = jq(
          file,
          expected.Config,
          "{os, architecture, cmd: .config.Cmd, diffIds: .rootfs.diff_ids}",
        ) as {
          os: string;
          architecture: string;
          cmd: unknown;
          diffIds: string[];
        };
        const got = image.config as { os: string; architecture: string; config: { Cmd?: unknown } };
        assert.equal(got.os, config.os);
        assert.equal(got.architecture, config.architecture);
        assert.deepEqual(got.config.Cmd ?? null, config.cmd);
        // Uncompressed layers: their sha256 is the config's diff id.
        assert.deepEqual(
          image.layers.map((l) => l.digest),
          config.diffIds,
        );
        const configDigest = `sha256:${execFileSync("sha256sum", {
          input: execFileSync("tar", ["-xOf", file, expected.Config]),
        })
          .toString()
          .slice(0, 64)}`;
        assert.equal(image.configDigest, configDigest);
        const tag = expected.tags[0];
        if (tag) assert.equal(image.ref.tag, /:([^/]+)$/.exec(tag)?.[1] ?? "latest");
      }
    });
  }

  it("reads a Docker 25 archive's OCI manifest and names an untagged image after the file", async () => {
    const image = await readDockerArchive(corpusPath(`${DIR}/ggcr_hello-world-v25.tar`));
    assert.equal(
      image.manifestDigest,
      "sha256:411caf340c828657e915a83ed561a79d2b8150dabad4dc079d881cbfe6f86afe",
    );
    assert.equal(image.manifestMediaType, "application/vnd.oci.image.manifest.v1+json");
    assert.deepEqual(image.ref, { registry: "localhost", repository: "ggcr-hello-world-v25" });
    assert.deepEqual(image.layers, [
      {
        digest: "sha256:12660636fe55438cc3ae7424da7ac56e845cdb52493ff9cf949c47a7f57f8b43",
        size: 10752,
        mediaType: "application/vnd.oci.image.layer.v1.tar",
      },
    ]);
  });

  it("makes a schema 2 manifest for a Docker ≤24 archive, without a manifest digest", async () => {
    const image = await readDockerArchive(corpusPath(`${DIR}/containers-image_almostempty.tar`));
    assert.deepEqual(image.ref, { registry: "docker.io", repository: "library/emptyimage", tag: "latest" });
    assert.equal(image.manifestDigest, undefined);
    assert.equal(image.manifestMediaType, "application/vnd.docker.distribution.manifest.v2+json");
    const manifest = image.manifest as { config: { digest: string }; layers: unknown[] };
    assert.equal(manifest.config.digest, image.configDigest);
    assert.equal(manifest.layers.length, 1);
  });

  it("selects by tag in a multi-image archive and lists the tags when ambiguous", async () => {
    const file = corpusPath(`${DIR}/ggcr_test_bundle.tar`);
    await rejects(readDockerArchive(file), "CIP_USAGE", /holds 2 images; tags: test_image_2; test_image_1/);
    await rejects(
      readDockerArchive(file, { tag: "nope" }),
      "CIP_USAGE",
      /no image is tagged "nope"; tags: test_image_2; test_image_1/,
    );
    const second = await readDockerArchive(file, { tag: "docker.io/library/test_image_2:latest" });
    assert.equal(
      second.configDigest,
      "sha256:930705ce23e3b6ed4c08746b6fe880089c864fbaf62482702ae3fdd66b8c7fe9",
    );
    assert.deepEqual(second.ref, {
      registry: "docker.io",
      repository: "library/test_image_2",
      tag: "latest",
    });
  });

  it("follows a layer stored as a symlink to another image's layer", async () => {
    const file = corpusPath(`${DIR}/ggcr_test_link.tar`);
    const one = await readDockerArchive(file, { tag: "bazel/v1/tarball:test_image_1" });
    const three = await readDockerArchive(file, { tag: "bazel/v1/tarball:test_image_3" });
    assert.deepEqual(three.layers[0], one.layers[0]);
  });

  it("reads a gzip-compressed copy of an archive", async () => {
    const plain = corpusPath(`${DIR}/ggcr_whiteout_image.tar`);
    const gz = join(scratch, "whiteout.tar.gz");
    writeFileSync(gz, gzipSync(readFileSync(plain)));
    const fromGzip = await readDockerArchive(gz);
    const fromTar = await readDockerArchive(plain);
    assert.deepEqual(fromGzip.layers, fromTar.layers);
    assert.equal(fromGzip.configDigest, fromTar.configDigest);
    assert.equal(fromGzip.layers.length, 3);
  });

  it("refuses entries that climb out with .. or have absolute paths", async () => {
    const work = join(scratch, "evil");
    mkdirSync(join(work, "inner"), { recursive: true });
    writeFileSync(join(work, "manifest.json"), "[]");
    writeFileSync(join(work, "evil"), "x");
    const dotdot = join(scratch, "dotdot.tar");
    // -P keeps the ../ in the entry name, as a hostile archive would.
    execFileSync("tar", ["-cPf", dotdot, "-C", join(work, "inner"), "../manifest.json", "../evil"]);
    await rejects(
      readDockerArchive(dotdot),
      "CIP_IMAGE_INVALID",
      /entry "\.\.\/manifest\.json" climbs out with "\.\."/,
    );
    const absolute = join(scratch, "absolute.tar");
    execFileSync("tar", ["-cPf", absolute, join(work, "evil")]);
    await rejects(readDockerArchive(absolute), "CIP_IMAGE_INVALID", /has an absolute path/);
  });

  it("refuses JSON entries over the size limit", async () => {
    const file = corpusPath(`${DIR}/ggcr_test_image_1.tar`);
    await rejects(
      readDockerArchive(file, { maxEntryBytes: 200 }),
      "CIP_INPUT_TOO_LARGE",
      /manifest\.json has 222 bytes, more than the 200 allowed/,
    );
    await rejects(
      readDockerArchive(file, { maxEntryBytes: 300 }),
      "CIP_INPUT_TOO_LARGE",
      /config 6e0b.*\.json has 330 bytes/,
    );
  });

  it("refuses files that are not tar archives, and missing files", async () => {
    const text = join(scratch, "not.tar");
    writeFileSync(text, "hello, this is not a tar file at all\n".repeat(40));
    await rejects(readDockerArchive(text), "CIP_IMAGE_INVALID", /not a valid tar file/);
    await rejects(readDockerArchive(join(scratch, "missing.tar")), "CIP_FILE_READ", /missing\.tar/);
  });
});

describe("readDockerArchive refuses links out of the archive", () => {
  const HOSTILE = /docker save never writes such links; the archive may be hostile/;

  /** A valid archive with `extra` entries after its own, written to the scratch directory. */
  function archive(name: string, extra: TarEntrySpec[], tag = "hostile/test:1"): string {
    const file = join(scratch, name);
    writeFileSync(file, tarArchive(dockerSaveEntries(tag, extra)));
    return file;
  }

  async function refusesLink(file: string, link: string, target: string): Promise<void> {
    await assert.rejects(
      readDockerArchive(file),
      (error: { code?: string; message: string; hint?: string }) => {
        assert.equal(error.code, "CIP_IMAGE_INVALID", error.message);
        assert.equal(
          error.message,
          `Cannot read docker archive: link ${JSON.stringify(link)} points outside the archive, to ${JSON.stringify(target)} (${file})`,
        );
        assert.match(error.hint ?? "", HOSTILE);
        return true;
      },
    );
  }

  it("reads the valid archive these cases start from", async () => {
    const image = await readDockerArchive(archive("valid.tar", []));
    assert.deepEqual(image.ref, { registry: "docker.io", repository: "hostile/test", tag: "1" });
    assert.equal(image.layers.length, 1);
  });

  // An unused link is refused too: without the guard these archives read as valid images
  it("refuses a symlink with an absolute target, even one no image entry names", async () => {
    await refusesLink(
      archive("abs.tar", [{ path: "evil", type: "symlink", linkpath: "/etc/passwd" }]),
      "evil",
      "/etc/passwd",
    );
  });

  it("refuses a symlink whose ../ climbs out of the archive", async () => {
    await refusesLink(
      archive("dotdot.tar", [{ path: "layers/evil", type: "symlink", linkpath: "../../etc/passwd" }]),
      "layers/evil",
      "../../etc/passwd",
    );
    await refusesLink(
      archive("backslash.tar", [{ path: "evil", type: "symlink", linkpath: "..\\..\\etc\\passwd" }]),
      "evil",
      "..\\..\\etc\\passwd",
    );
  });

  it("refuses a hard link to ../ and a hard link with an absolute target", async () => {
    await refusesLink(
      archive("hard.tar", [{ path: "evil", type: "hardlink", linkpath: "../manifest.json" }]),
      "evil",
      "../manifest.json",
    );
    await refusesLink(
      archive("hard-abs.tar", [{ path: "deep/evil", type: "hardlink", linkpath: "/etc/shadow" }]),
      "deep/evil",
      "/etc/shadow",
    );
  });

  it("refuses a chain of links the image's config goes through, at the hop that leaves", async () => {
    const entries = dockerSaveEntries("hostile/test:1");
    const manifest = entries.find((e) => e.path === "manifest.json");
    assert.ok(manifest);
    // manifest.json names chain/config.json -> next/hop -> ../../outside.json
    manifest.content = JSON.stringify([
      { ...(JSON.parse(String(manifest.content)) as object[])[0], Config: "chain/config.json" },
    ]);
    entries.push(
      { path: "chain/config.json", type: "symlink", linkpath: "../next/hop" },
      { path: "next/hop", type: "symlink", linkpath: "../../outside.json" },
    );
    const file = join(scratch, "chain.tar");
    writeFileSync(file, tarArchive(entries));
    await refusesLink(file, "next/hop", "../../outside.json");
  });

  it("follows links that stay inside, as skopeo writes them (<id>/layer.tar -> ../<hex>.tar)", async () => {
    const entries = dockerSaveEntries("hostile/test:1");
    const layer = entries.find((e) => e.path.endsWith("/layer.tar"));
    assert.ok(layer?.content);
    const hex = layer.path.slice(0, 64);
    entries.push({ path: `${hex}.tar`, content: layer.content });
    Object.assign(layer, { type: "symlink", linkpath: `../${hex}.tar`, content: undefined });
    const file = join(scratch, "inside.tar");
    writeFileSync(file, tarArchive(entries));
    const image = await readDockerArchive(file);
    assert.equal(image.layers[0]?.digest, `sha256:${hex}`);
  });
});

describe("readDockerArchive on hostile archives", () => {
  it("ends 40 MB of zeros, plain or gzip-compressed, at once (was 8 s and 31 s)", async () => {
    const zeros = Buffer.alloc(40_000_000);
    const plain = join(scratch, "zeros40.tar");
    writeFileSync(plain, zeros);
    const gz = join(scratch, "zeros40.tar.gz");
    writeFileSync(gz, gzipSync(zeros, { level: 9 }));
    for (const file of [plain, gz]) {
      const start = Date.now();
      await rejects(readDockerArchive(file), "CIP_IMAGE_INVALID", /not a valid (gzip-compressed )?tar file/);
      assert.ok(Date.now() - start < 1000, `${file}: ${Date.now() - start} ms`);
    }
  });

  it("reads an image followed by 100 MB of zeros without reading them", async () => {
    const file = join(scratch, "trailing.tar");
    writeFileSync(file, Buffer.concat([tarArchive(dockerSaveEntries()), Buffer.alloc(100_000_000)]));
    const start = Date.now();
    const image = await readDockerArchive(file);
    assert.equal(image.layers.length, 1);
    assert.ok(Date.now() - start < 1000, `${Date.now() - start} ms`);
  });

  it("refuses JSON entries that add up to more than the limit, and more entries than allowed", async () => {
    const json = Array.from({ length: 40 }, (_, i) => ({
      path: `junk/${i}.json`,
      content: `{"x":"${"y".repeat(1000)}"}`,
    }));
    const file = join(scratch, "json-heavy.tar");
    writeFileSync(file, tarArchive(dockerSaveEntries("hostile/test:1", json)));
    await rejects(
      readDockerArchive(file, { maxJsonBytes: 20_000 }),
      "CIP_INPUT_TOO_LARGE",
      /its JSON entries add up to more than 20\.0 kB, the input limit \(at junk\/\d+\.json\)/,
    );
    await rejects(
      readDockerArchive(file, { limits: { maxEntries: 10 } }),
      "CIP_DECOMPRESSION_LIMIT",
      /it has more than 10 entries/,
    );
    assert.equal((await readDockerArchive(file)).layers.length, 1);
  });
});
