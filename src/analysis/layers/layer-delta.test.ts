import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { after, describe, it } from "node:test";
import { TAR_END, type TarEntrySpec, tarEntry } from "../../../test/support/tar-builder.js";
import { defaultLayerOptions } from "./analyse-layers.js";
import { type LayerDeltaOptions, normaliseEntryPath, readLayerDelta } from "./layer-delta.js";
import { secretMatcher } from "./secret-search.js";

const work = mkdtempSync(join(tmpdir(), "cip-delta-"));
after(() => rmSync(work, { recursive: true, force: true }));

/** A tar entry with its mode rewritten (the builder writes 0644), checksum recomputed. */
function withMode(spec: TarEntrySpec, mode: number): Buffer {
  const bytes = Buffer.from(tarEntry(spec));
  bytes.write(`${mode.toString(8).padStart(7, "0")}\0`, 100, 8, "latin1");
  bytes.fill(" ", 148, 156);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += bytes[i] as number;
  bytes.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, 8, "latin1");
  return bytes;
}

function options(over: Partial<LayerDeltaOptions> = {}): LayerDeltaOptions {
  return { ...defaultLayerOptions(), secrets: secretMatcher(), ...over };
}

async function delta(entries: Buffer[], over: Partial<LayerDeltaOptions> = {}) {
  return readLayerDelta("sha256:l", Readable.from([Buffer.concat([...entries, TAR_END])]), options(over));
}

describe("normaliseEntryPath", () => {
  it("roots paths and refuses those climbing out", () => {
    assert.equal(normaliseEntryPath("./etc//passwd"), "/etc/passwd");
    assert.equal(normaliseEntryPath("/usr/./lib/../bin/"), "/usr/bin");
    assert.equal(normaliseEntryPath("a/../../b"), undefined);
  });
});

describe("readLayerDelta", () => {
  it("reads language packages from npm, Python, gem and jar files as they pass", async () => {
    const jarDir = join(work, "jar");
    mkdirSync(join(jarDir, "META-INF/maven/com.acme/widget"), { recursive: true });
    writeFileSync(
      join(jarDir, "META-INF/maven/com.acme/widget/pom.properties"),
      "groupId=com.acme\nartifactId=widget\nversion=3.1.4\n",
    );
    execFileSync("zip", ["-q", "-r", join(work, "widget.jar"), "."], { cwd: jarDir });
    const result = await delta([
      tarEntry({
        path: "app/node_modules/left-pad/package.json",
        content: '{"name":"left-pad","version":"1.3.0","license":"WTFPL"}',
      }),
      tarEntry({ path: "app/package.json", content: '{"name":"not-installed","version":"0.0.1"}' }),
      tarEntry({
        path: "usr/lib/python3/site-packages/requests-2.31.0.dist-info/METADATA",
        content: "Metadata-Version: 2.1\nName: requests\nVersion: 2.31.0\n",
      }),
      tarEntry({
        path: "var/lib/gems/3.1.0/specifications/rake-13.0.6.gemspec",
        content: 's.name = "rake"\ns.version = "13.0.6"\n',
      }),
      tarEntry({ path: "opt/widget.jar", content: readFileSync(join(work, "widget.jar")) }),
    ]);
    const found = [...delta_packages(result)];
    assert.deepEqual(found.sort(), [
      "/app/node_modules/left-pad/package.json npm left-pad 1.3.0",
      "/opt/widget.jar java widget 3.1.4",
      "/usr/lib/python3/site-packages/requests-2.31.0.dist-info/METADATA python requests 2.31.0",
      "/var/lib/gems/3.1.0/specifications/rake-13.0.6.gemspec gem rake 13.0.6",
    ]);
  });

  const cbt = "/usr/bin/cbt";
  const goMissing = !existsSync(cbt) || !existsSync("/usr/bin/go") ? "needs /usr/bin/cbt and go" : false;
  it("reads a Go binary's modules as `go version -m` lists them", { skip: goMissing }, async () => {
    const expected = new Set<string>();
    let last = "";
    for (const line of execFileSync("go", ["version", "-m", cbt], { encoding: "utf8" }).split("\n")) {
      const [, kind, path, version] = line.split("\t");
      if (kind === "dep") {
        last = `${path}@${version}`;
        expected.add(last);
      }
      if (kind === "=>") {
        expected.delete(last);
        expected.add(`${path}@${version}`);
      }
    }
    const result = await delta([withMode({ path: "usr/bin/cbt", content: readFileSync(cbt) }, 0o755)]);
    const names = new Set((result.packages.get("/usr/bin/cbt") ?? []).map((p) => `${p.name}@${p.version}`));
    for (const dep of expected) assert.ok(names.has(dep), `missing ${dep}`);
    assert.ok([...names].some((n) => n.startsWith("stdlib@v1.")));
  });

  it("keeps no file over its limit and reports it, and searches no binary file for secrets", async () => {
    const status = "Package: a\nStatus: install ok installed\nVersion: 1.0\n\n".repeat(100);
    const result = await delta(
      [
        tarEntry({ path: "var/lib/dpkg/status", content: status }),
        tarEntry({
          path: "bin/blob",
          content: Buffer.concat([
            Buffer.from([0, 1, 2]),
            Buffer.from("\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n"),
          ]),
        }),
        tarEntry({ path: "etc/app.conf", content: "aws_access_key_id = AKIAIOSFODNN7EXAMPLE\n" }),
      ],
      { maxDatabaseBytes: 1000 },
    );
    assert.equal(result.databases.size, 0);
    assert.match(
      result.problems[0] as string,
      /\/var\/lib\/dpkg\/status is 5400 bytes, over the 1000-byte limit/,
    );
    assert.deepEqual([...result.secrets.keys()], ["/etc/app.conf"]);
  });

  it("hashes files when asked", async () => {
    const result = await delta([tarEntry({ path: "f", content: "second!" })], { sha256: true });
    // printf 'second!' | sha256sum
    assert.equal(
      result.entries.get("/f")?.checksums?.sha256,
      "d8470465f9e7614921a043dd05deb31e1f8926c516afc00432359aa2ebb07d30",
    );
  });
});

function* delta_packages(result: Awaited<ReturnType<typeof delta>>): Generator<string> {
  for (const [path, packages] of result.packages) {
    for (const p of packages) yield `${path} ${p.type} ${p.name} ${p.version}`;
  }
}
