import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { describe, it } from "node:test";
import { gzipSync } from "node:zlib";
import { TAR_END, type TarEntrySpec, tarEntry } from "../../../test/support/tar-builder.js";
import { analyseLayers, type LayerSource, layerAnalysisFacts } from "./analyse-layers.js";

/** A tar entry with its mode (setuid bits too) or type flag rewritten, checksum recomputed. */
function entry(spec: TarEntrySpec, mode?: number, typeFlag?: string): Buffer {
  const bytes = Buffer.from(tarEntry(spec));
  if (mode !== undefined) bytes.write(`${mode.toString(8).padStart(7, "0")}\0`, 100, 8, "latin1");
  if (typeFlag !== undefined) bytes.write(typeFlag, 156, 1, "latin1");
  bytes.fill(" ", 148, 156);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += bytes[i] as number;
  bytes.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, 8, "latin1");
  return bytes;
}

function layer(digest: string, entries: Buffer[], gzip = true): LayerSource {
  const tar = Buffer.concat([...entries, TAR_END]);
  const bytes = gzip ? gzipSync(tar) : tar;
  return { digest, open: async () => Readable.from([bytes]) };
}

const DPKG_BASE = `Package: base-files
Status: install ok installed
Version: 12.4
Architecture: amd64

Package: libc6
Status: install ok installed
Version: 2.36-9
Architecture: amd64
`;
const DPKG_NEXT = `${DPKG_BASE}
Package: curl
Status: install ok installed
Version: 7.88.1-10
Architecture: amd64
`;

describe("analyseLayers", () => {
  it("squashes whiteouts, opaque directories and replaced files into the final view", async () => {
    const base = layer("sha256:a", [
      entry({ path: "etc/", type: "dir" }),
      entry({ path: "etc/os-release", content: 'ID=debian\nVERSION_ID="12"\n' }),
      entry({ path: "etc/passwd", content: "root:x:0:0:root:/root:/bin/bash\n" }),
      entry({ path: "var/lib/dpkg/status", content: DPKG_BASE }),
      entry({ path: "tmp/gone.txt", content: "x" }),
      entry({ path: "opt/app/", type: "dir" }),
      entry({ path: "opt/app/old.txt", content: "old" }),
      entry({ path: "opt/app/sub/deep.txt", content: "deep" }),
      entry({ path: "usr/bin/su", content: "binary" }, 0o4755),
      entry({ path: "dev/null", type: "file" }, 0o666, "3"),
    ]);
    const top = layer("sha256:b", [
      entry({ path: "tmp/.wh.gone.txt" }),
      entry({ path: "opt/app/.wh..wh..opq" }),
      entry({ path: "opt/app/new.txt", content: "new" }),
      entry({ path: "var/lib/dpkg/status", content: DPKG_NEXT }),
      entry({
        path: "root/.aws/credentials",
        content: "[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n",
      }),
    ]);
    const analysis = await analyseLayers([base, top]);
    const paths = analysis.files.map((f) => f.path);
    assert.ok(!paths.includes("/tmp/gone.txt"), "whited-out file is gone");
    assert.ok(
      !paths.includes("/opt/app/old.txt") && !paths.includes("/opt/app/sub/deep.txt"),
      "opaque dir hides",
    );
    assert.ok(paths.includes("/opt/app/new.txt") && paths.includes("/opt/app"));
    assert.equal(analysis.files.find((f) => f.path === "/usr/bin/su")?.mode, 0o104755);
    assert.equal(analysis.files.find((f) => f.path === "/dev/null")?.type, "other");
    assert.deepEqual(analysis.distro, { name: "debian", version: "12" });
    assert.equal(analysis.passwd, "root:x:0:0:root:/root:/bin/bash\n");
    const dated = Object.fromEntries(analysis.packages.map((p) => [p.name, p.layer]));
    assert.deepEqual(dated, { "base-files": "sha256:a", libc6: "sha256:a", curl: "sha256:b" });
    assert.deepEqual(analysis.secrets, [
      { regexName: "AWS_ACCESS_KEY", path: "/root/.aws/credentials", line: 2 },
    ]);
    const facts = layerAnalysisFacts(analysis);
    assert.equal(facts.provenance?.[0]?.source, "cipolice-analysis");
    assert.equal(facts.packages?.length, 3);
  });

  it("dates a package removed and installed again by the layer that installed it again", async () => {
    const first = layer("l1", [entry({ path: "var/lib/dpkg/status", content: DPKG_NEXT })]);
    const removed = layer("l2", [entry({ path: "var/lib/dpkg/status", content: DPKG_BASE })]);
    const again = layer("l3", [entry({ path: "var/lib/dpkg/status", content: DPKG_NEXT })]);
    const analysis = await analyseLayers([first, removed, again]);
    const dated = Object.fromEntries(analysis.packages.map((p) => [p.name, p.layer]));
    assert.deepEqual(dated, { "base-files": "l1", libc6: "l1", curl: "l3" });
    const deleted = layer("l4", [entry({ path: "var/lib/dpkg/.wh.status" })]);
    assert.deepEqual((await analyseLayers([first, deleted])).packages, []);
  });

  it("squashes in manifest order when layers arrive in another", async () => {
    const a = layer("one", [entry({ path: "f", content: "first" })]);
    const b = layer("two", [entry({ path: "f", content: "second!" })], false);
    const analysis = await analyseLayers([b, a], { order: ["one", "two"], sha256: true });
    const file = analysis.files.find((f) => f.path === "/f");
    assert.equal(file?.size, 7);
    // printf 'second!' | sha256sum
    assert.equal(file?.checksums?.sha256, "d8470465f9e7614921a043dd05deb31e1f8926c516afc00432359aa2ebb07d30");
  });

  it("drops entries climbing out of the root, keeps absolute symlinks as data, reports missing hard link targets", async () => {
    const hostile = layer("sha256:h", [
      entry({ path: "../../etc/evil", content: "x" }),
      entry({ path: "a/../../escape", content: "x" }),
      entry({ path: "/abs/inside", content: "ok" }),
      entry({ path: "link", type: "symlink", linkpath: "/etc/shadow" }),
      entry({ path: "up", type: "symlink", linkpath: "../../../../etc" }),
      entry({ path: "hard", type: "hardlink", linkpath: "missing/file" }),
    ]);
    const analysis = await analyseLayers([hostile]);
    const paths = analysis.files.map((f) => f.path);
    assert.deepEqual(paths, ["/abs/inside", "/hard", "/link", "/up"]);
    assert.equal(analysis.files.find((f) => f.path === "/link")?.linkTarget, "/etc/shadow");
    assert.equal(analysis.problems.filter((p) => p.includes("climbs out of the root")).length, 2);
    assert.ok(analysis.problems.some((p) => p.includes("hard link /hard points to /missing/file")));
  });

  it("refuses a zstd layer and a layer over the entry limit", async () => {
    const zstd: LayerSource = {
      digest: "z",
      open: async () => Readable.from([Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0, 0])]),
    };
    await assert.rejects(analyseLayers([zstd]), /zstd-compressed/);
    const many = layer(
      "m",
      Array.from({ length: 20 }, (_, i) => entry({ path: `f${i}`, content: "" })),
    );
    await assert.rejects(analyseLayers([many], { maxLayerEntries: 10 }), { code: "CIP_DECOMPRESSION_LIMIT" });
    const again = layer(
      "m2",
      Array.from({ length: 20 }, (_, i) => entry({ path: `g${i}`, content: "" })),
    );
    await assert.rejects(analyseLayers([many, again], { maxImageEntries: 30 }), /image entry limit/);
  });
});
