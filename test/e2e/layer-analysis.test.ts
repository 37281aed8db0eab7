import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { chmod, mkdir, mkdtemp, rm, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { Readable } from "node:stream";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import {
  analyseLayers,
  type LayerAnalysis,
  type LayerSource,
} from "../../src/analysis/layers/analyse-layers.js";
import { parseImageReference } from "../../src/image/image-reference.js";
import { dockerArchiveLayers, ociLayoutLayers, registryLayers } from "../../src/image/layer-streams.js";
import { readOciLayout } from "../../src/image/oci-layout.js";
import { RegistryClient } from "../../src/image/registry/registry-client.js";
import { corpusPath, skipWithoutCorpus } from "../support/corpus.js";
import { TAR_END, tarArchive, tarEntry, tarHeader } from "../support/tar-builder.js";
import { imageToolsMissing, pushImage } from "./support/images.js";
import { registryToolsMissing, startRegistry } from "./support/registry-harness.js";

const run = promisify(execFile);

const DPKG_FIRST = `Package: base-files
Status: install ok installed
Architecture: amd64
Version: 12.4+deb12u5

Package: libc6
Status: install ok installed
Architecture: amd64
Source: glibc
Version: 2.36-9+deb12u4
`;
const DPKG_SECOND = `${DPKG_FIRST}
Package: curl
Status: install ok installed
Architecture: amd64
Version: 7.88.1-10+deb12u5
`;
const APK =
  "P:musl\nV:1.2.4-r2\nA:x86_64\no:musl\nL:MIT\n\nP:busybox\nV:1.36.1-r5\nA:x86_64\nL:GPL-2.0-only\n";
const AWS = "[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n";

/** Writes files into an unpacked umoci bundle's rootfs. */
async function writeRootfs(rootfs: string, files: Record<string, string>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(rootfs, path)), { recursive: true });
    await writeFile(join(rootfs, path), content);
  }
}

/**
 * A three-layer OCI layout built with umoci: a base with release, dpkg and apk databases, passwd, a SUID
 * binary and an AWS key; a second layer deleting a file (umoci writes the whiteout) and adding curl to
 * dpkg; a third, added raw, making /opt/app opaque.
 */
async function buildLayeredImage(dir: string): Promise<string> {
  const layout = join(dir, "oci");
  const image = `${layout}:t`;
  const bundle = join(dir, "bundle");
  const rootfs = join(bundle, "rootfs");
  await run("umoci", ["init", "--layout", layout]);
  await run("umoci", ["new", "--image", image]);
  await run("umoci", ["unpack", "--rootless", "--image", image, bundle]);
  await writeRootfs(rootfs, {
    "etc/os-release": 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n',
    "etc/passwd":
      "root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
    "var/lib/dpkg/status": DPKG_FIRST,
    "lib/apk/db/installed": APK,
    "usr/bin/sudo": "#!/bin/sh\nexit 0\n",
    "tmp/gone.txt": "to be deleted\n",
    "opt/app/old.txt": "hidden by the opaque dir\n",
    "opt/app/sub/deep.txt": "hidden too\n",
    "root/.aws/credentials": AWS,
  });
  await chmod(join(rootfs, "usr/bin/sudo"), 0o4755);
  await run("umoci", ["repack", "--image", image, bundle]);
  // A repack diffs against the image the bundle was unpacked from: unpack the new one for the next layer
  const second = join(dir, "bundle2");
  await run("umoci", ["unpack", "--rootless", "--image", image, second]);
  await unlink(join(second, "rootfs", "tmp/gone.txt"));
  await writeRootfs(join(second, "rootfs"), { "var/lib/dpkg/status": DPKG_SECOND });
  await run("umoci", ["repack", "--image", image, second]);
  const opaque = join(dir, "opaque.tar");
  await writeFile(
    opaque,
    tarArchive([
      { path: "opt/app/", type: "dir" },
      { path: "opt/app/.wh..wh..opq" },
      { path: "opt/app/new.txt", content: "after the opaque dir\n" },
    ]),
  );
  await run("umoci", ["raw", "add-layer", "--image", image, opaque]);
  return layout;
}

/** What both the layout and its docker-archive copy must show. */
function assertFinalView(analysis: LayerAnalysis, layers: string[]): void {
  const paths = new Set(analysis.files.map((f) => f.path));
  assert.ok(!paths.has("/tmp/gone.txt"), "the whited-out file is gone");
  assert.ok(paths.has("/tmp"), "its directory stays");
  assert.ok(
    !paths.has("/opt/app/old.txt") && !paths.has("/opt/app/sub/deep.txt"),
    "the opaque dir hides lower files",
  );
  assert.ok(paths.has("/opt/app/new.txt"));
  assert.ok(![...paths].some((p) => p.includes(".wh.")), "no whiteout surfaces");
  const sudo = analysis.files.find((f) => f.path === "/usr/bin/sudo");
  assert.equal((sudo?.mode ?? 0) & 0o7777, 0o4755, "the SUID bit is kept");
  assert.deepEqual(analysis.distro, { name: "debian", version: "12" });
  assert.match(analysis.passwd ?? "", /^root:x:0:0:/);
  assert.deepEqual(analysis.secrets, [
    { regexName: "AWS_ACCESS_KEY", path: "/root/.aws/credentials", line: 2 },
  ]);
  const byName = Object.fromEntries(
    analysis.packages.map((p) => [`${p.type}/${p.name}`, [p.version, p.layer]]),
  );
  assert.deepEqual(byName, {
    "dpkg/base-files": ["12.4+deb12u5", layers[0]],
    "dpkg/libc6": ["2.36-9+deb12u4", layers[0]],
    "dpkg/curl": ["7.88.1-10+deb12u5", layers[1]],
    "apk/musl": ["1.2.4-r2", layers[0]],
    "apk/busybox": ["1.36.1-r5", layers[0]],
  });
}

const missingTools = imageToolsMissing();

describe("layer analysis of images built by umoci and skopeo", { skip: missingTools }, () => {
  let dir: string;
  let layout: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "cip-layers-"));
    layout = await buildLayeredImage(dir);
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  test("an OCI layout: the final view after whiteouts and an opaque dir, packages dated by layer", async () => {
    const image = await readOciLayout(layout, { tag: "t" });
    assert.equal(image.layers.length, 3);
    const analysis = await analyseLayers(ociLayoutLayers(layout, image.layers));
    assertFinalView(
      analysis,
      image.layers.map((l) => l.digest),
    );
    assert.equal(analysis.stats.layers, 3);
  });

  test("the same image from a real registry, each layer a streamed, verified blob GET", {
    skip: registryToolsMissing("anonymous"),
  }, async () => {
    const registry = await startRegistry("anonymous");
    const client = new RegistryClient({ insecureRegistries: [registry.host] });
    try {
      await pushImage({ layoutDir: layout, tag: "t" }, registry, "team/layers:1");
      const image = await client.resolveImage(parseImageReference(`${registry.host}/team/layers:1`));
      const target = { registry: registry.host, repository: "team/layers" };
      const streamer = { streamBlob: (digest: string) => client.streamBlob(target, digest, 1024 ** 3) };
      const analysis = await analyseLayers(registryLayers(streamer, image.layers));
      assertFinalView(
        analysis,
        image.layers.map((l) => l.digest),
      );
    } finally {
      client.close();
      await registry.stop();
    }
  });

  test("the same image as a docker-archive, layers taken from the outer tar as they pass", async () => {
    const archive = join(dir, "image.tar");
    await run("skopeo", [
      "--insecure-policy",
      "copy",
      "--quiet",
      `oci:${layout}:t`,
      `docker-archive:${archive}:layers/test:1`,
    ]);
    const source = dockerArchiveLayers(archive);
    const analysis = await analyseLayers(source.layers, { order: () => source.order() });
    assertFinalView(analysis, source.order());
  });
});

describe("layer analysis of corpus docker-save archives", () => {
  const whiteout = "images/docker-save/ggcr_whiteout_image.tar";
  test("go-containerregistry's whiteout image: foo.txt is gone, bar.txt stays", {
    skip: skipWithoutCorpus(whiteout),
  }, async () => {
    // The assertion of go-containerregistry's TestExtractWhiteout (pkg/v1/mutate/mutate_test.go)
    const source = dockerArchiveLayers(corpusPath(whiteout));
    const analysis = await analyseLayers(source.layers, { order: () => source.order() });
    const paths = analysis.files.map((f) => f.path);
    assert.ok(!paths.some((p) => p.includes("foo")), `no foo in ${paths.join(", ")}`);
    assert.ok(paths.includes("/bar.txt"));
  });
  const archives = [
    "ggcr_hello-world-v25.tar",
    "ggcr_test_image_1.tar",
    "ggcr_test_bundle.tar",
    "ggcr_test_link.tar",
    "containers-image_almostempty.tar",
  ].map((name) => `images/docker-save/${name}`);
  test("every well-formed corpus docker-save archive is analysed, Docker 25's blobs layout too", {
    skip: skipWithoutCorpus(...archives),
  }, async () => {
    for (const archive of archives) {
      const source = dockerArchiveLayers(corpusPath(archive));
      const analysis = await analyseLayers(source.layers, { order: () => source.order() });
      assert.equal(analysis.stats.layers, source.order().length, archive);
    }
  });
  const linked = "images/docker-save/ggcr_test_link.tar";
  test("a layer reached through an archive symlink is analysed in its manifest place", {
    skip: skipWithoutCorpus(linked),
  }, async () => {
    // manifest.json names b159…/layer.tar, a symlink to ../6e77…/layer.tar, then 3fe1…/layer.tar
    const source = dockerArchiveLayers(corpusPath(linked), { tag: "bazel/v1/tarball:test_image_3" });
    const analysis = await analyseLayers(source.layers, { order: () => source.order() });
    assert.deepEqual(source.order(), [
      "6e77476643c3155b1e9ae07dd5a4c8288bdb6590c131c222b7a3f277dec1e266/layer.tar",
      "3fe17a762ab6ad87de78c88326e1667b3e6a8924a0eb92a34a2bfeb40f49824d/layer.tar",
    ]);
    assert.equal(analysis.stats.layers, 2);
  });
  const negatives = ["ggcr_no_manifest.tar", "ggcr_null_manifest.tar"].map((n) => `images/docker-save/${n}`);
  test("the corpus's malformed archives (no manifest.json, a null one) are refused", {
    skip: skipWithoutCorpus(...negatives),
  }, async () => {
    for (const archive of negatives) {
      const source = dockerArchiveLayers(corpusPath(archive));
      await assert.rejects(analyseLayers(source.layers, { order: () => source.order() }), {
        code: "CIP_IMAGE_INVALID",
      });
    }
  });
  // The corpus holds no docker-archive or layout with a dpkg or apk database (hello-world and ggcr's tiny
  // test images), and no SBOM of one, so no package list is compared here.
});

describe("hostile layers", () => {
  test("a 2 GiB gzip bomb stops at the decompression limit within seconds and bounded memory", async () => {
    // One header declaring a 2 GiB file, then 32 gzip members of 64 MiB of zeros each (gunzip reads them as one)
    const zeros = gzipSync(Buffer.alloc(64 * 1024 * 1024), { level: 1 });
    const header = gzipSync(tarHeader({ path: "zeros.bin", size: 2 * 1024 ** 3 }));
    const members = [header, ...Array.from({ length: 32 }, () => zeros)];
    const bomb: LayerSource = { digest: "sha256:bomb", open: async () => Readable.from(members) };
    const base = process.memoryUsage().rss;
    let peak = base;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 20);
    const started = Date.now();
    try {
      await assert.rejects(
        analyseLayers([bomb], { maxLayerBytes: 256 * 1024 * 1024 }),
        (error: Error & { code?: string }) => {
          assert.equal(error.code, "CIP_DECOMPRESSION_LIMIT");
          assert.match(error.message, /decompressed size limit/);
          return true;
        },
      );
    } finally {
      clearInterval(sampler);
    }
    const seconds = (Date.now() - started) / 1000;
    const grownMiB = (peak - base) / 1024 / 1024;
    console.log(
      `# bomb: stopped after ${seconds.toFixed(2)} s; RSS grew ${grownMiB.toFixed(0)} MiB (from ${(base / 1048576).toFixed(0)} MiB)`,
    );
    assert.ok(seconds < 10, `took ${seconds} s`);
    assert.ok(grownMiB < 200, `RSS grew ${grownMiB} MiB`);
    // The same bomb against the image-wide limit, split over two layers
    // The image-wide limit: two valid layers of 64 MiB each (a file whose zeros end in the end marker)
    const full = gzipSync(tarHeader({ path: "zeros.bin", size: 64 * 1024 * 1024 - 1024 }));
    const one: LayerSource = { digest: "sha256:one", open: async () => Readable.from([full, zeros]) };
    const two: LayerSource = { digest: "sha256:two", open: async () => Readable.from([full, zeros]) };
    assert.equal((await analyseLayers([one])).files[0]?.size, 64 * 1024 * 1024 - 1024);
    await assert.rejects(analyseLayers([one, two], { maxImageBytes: 100 * 1024 * 1024 }), /for all layers/);
  });

  test("100,000 tiny files in one layer are analysed in bounded time, and refused over the entry limit", async () => {
    const entries: Buffer[] = [];
    for (let i = 0; i < 100_000; i++) entries.push(tarEntry({ path: `d${i % 100}/f${i}`, content: "x" }));
    const tar = gzipSync(Buffer.concat([...entries, TAR_END]), { level: 1 });
    const layer: LayerSource = { digest: "sha256:many", open: async () => Readable.from([tar]) };
    const started = Date.now();
    const analysis = await analyseLayers([layer]);
    const seconds = (Date.now() - started) / 1000;
    console.log(`# 100,000 files: analysed in ${seconds.toFixed(2)} s`);
    assert.equal(analysis.files.filter((f) => f.type === "file").length, 100_000);
    assert.ok(seconds < 20, `took ${seconds} s`);
    await assert.rejects(analyseLayers([layer], { maxLayerEntries: 50_000 }), {
      code: "CIP_DECOMPRESSION_LIMIT",
    });
  });

  test("../ paths are dropped, an absolute symlink out is data, a hard link to nothing is a problem", async () => {
    const tar = tarArchive([
      { path: "../../../etc/cron.d/evil", content: "* * * * * root sh\n" },
      { path: "ok/../../../escape", content: "x" },
      { path: "etc/shadow-link", type: "symlink", linkpath: "/etc/shadow" },
      { path: "etc/hard", type: "hardlink", linkpath: "nowhere/at/all" },
      { path: "etc/kept", content: "fine\n" },
    ]);
    const analysis = await analyseLayers([
      { digest: "sha256:hostile", open: async () => Readable.from([tar]) },
    ]);
    assert.deepEqual(
      analysis.files.map((f) => [f.path, f.type, f.linkTarget]),
      [
        ["/etc/hard", "hardlink", "/nowhere/at/all"],
        ["/etc/kept", "file", undefined],
        ["/etc/shadow-link", "symlink", "/etc/shadow"],
      ],
    );
    assert.equal(analysis.problems.filter((p) => /climbs out of the root/.test(p)).length, 2);
    assert.ok(analysis.problems.some((p) => /hard link \/etc\/hard points to \/nowhere\/at\/all/.test(p)));
  });
});
