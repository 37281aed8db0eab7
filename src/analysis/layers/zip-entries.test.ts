import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { javaArchivePackages } from "./java-archive.js";
import { readZipEntry, zipEntries } from "./zip-entries.js";

const work = mkdtempSync(join(tmpdir(), "cip-zip-"));
after(() => rmSync(work, { recursive: true, force: true }));

/** A zip written by Info-ZIP's `zip` from the files given; `-0` stores instead of deflating. */
function zipOf(name: string, files: Record<string, string | Buffer>, store = false): Buffer {
  const dir = join(work, `${name}.d`);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  const out = join(work, name);
  execFileSync("zip", ["-q", "-r", ...(store ? ["-0"] : []), out, "."], { cwd: dir });
  return readFileSync(out);
}

const POM = "groupId=org.example\nartifactId=inner-lib\nversion=1.2.3\n";

describe("zip reader", () => {
  it("reads stored and deflated entries and the packages of a jar nested one level", () => {
    const inner = zipOf("inner.jar", { "META-INF/maven/org.example/inner-lib/pom.properties": POM }, true);
    const outer = zipOf("app.jar", {
      "META-INF/MANIFEST.MF":
        "Manifest-Version: 1.0\nImplementation-Title: app\nImplementation-Version: 4.5.6\n",
      "BOOT-INF/lib/inner.jar": inner,
      "big.txt": "z".repeat(100_000),
    });
    const names = zipEntries(outer, "app.jar").map((e) => e.name);
    assert.ok(names.includes("big.txt") && names.includes("BOOT-INF/lib/inner.jar"));
    const big = zipEntries(outer, "app.jar").find((e) => e.name === "big.txt");
    assert.equal(big?.method, 8);
    assert.equal(readZipEntry(outer, big as NonNullable<typeof big>, "app.jar", 1_000_000).length, 100_000);
    const problems: string[] = [];
    const packages = javaArchivePackages(
      outer,
      "/srv/app.jar",
      { maxNestedBytes: 1_000_000, maxEntries: 100 },
      problems,
    );
    assert.deepEqual(
      packages.map((p) => [p.name, p.version, p.path]),
      [
        ["app", "4.5.6", "/srv/app.jar"],
        ["inner-lib", "1.2.3", "/srv/app.jar:BOOT-INF/lib/inner.jar"],
      ],
    );
    assert.deepEqual(problems, []);
  });

  it("stops an entry inflating past its limit and refuses garbage", () => {
    const bomb = zipOf("bomb.zip", { "zeros.bin": Buffer.alloc(20_000_000) });
    const entry = zipEntries(bomb, "bomb.zip")[0];
    assert.ok(bomb.length < 100_000);
    assert.throws(() => readZipEntry(bomb, entry as NonNullable<typeof entry>, "bomb.zip", 1_000_000), {
      code: "CIP_DECOMPRESSION_LIMIT",
    });
    assert.throws(() => zipEntries(Buffer.from("not a zip at all"), "x"), { code: "CIP_IMAGE_INVALID" });
    const truncated = bomb.subarray(0, bomb.length - 30);
    assert.throws(() => zipEntries(truncated, "t"), { code: "CIP_IMAGE_INVALID" });
    const problems: string[] = [];
    assert.deepEqual(
      javaArchivePackages(Buffer.from("junk"), "/x.jar", { maxNestedBytes: 1, maxEntries: 1 }, problems),
      [],
    );
    assert.equal(problems.length, 1);
  });
});
