import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { corpusPath, skipWithoutCorpus } from "../../../test/support/corpus.js";
import { GO_MODINFO_SENTINEL, goBuildInfoElf } from "../../../test/support/go-binary.js";
import {
  goPackages,
  isPseudoVersion,
  ldflagsVersion,
  readGoBuildInfo,
  stdlibVersion,
} from "./go-buildinfo.js";

const ELF = "pkgdb/lang/go/trivy/main-version-via-ldflags.elf";
const MOD =
  "path\texample.com/app\nmod\texample.com/app\tv1.2.3\th1:abc=\ndep\tgolang.org/x/text\tv0.3.6\th1:def=\ndep\tgithub.com/old/mod\tv1.0.0\n=>\tgithub.com/new/mod\tv1.1.0\th1:ghi=\nbuild\tGOOS=linux\n";

/** Build info in the Go ≥ 1.18 layout: header, then varint-prefixed version and module strings. */
function inlineBlob(version: string, mod: string): Buffer {
  const header = Buffer.alloc(32);
  Buffer.from("\xff Go buildinf:", "latin1").copy(header);
  header[14] = 8;
  header[15] = 2;
  const modBytes = Buffer.concat([GO_MODINFO_SENTINEL, Buffer.from(mod), GO_MODINFO_SENTINEL]);
  const varint = (n: number) => {
    const out: number[] = [];
    while (n >= 0x80) {
      out.push((n & 0x7f) | 0x80);
      n >>>= 7;
    }
    out.push(n);
    return Buffer.from(out);
  };
  return Buffer.concat([
    header,
    varint(version.length),
    Buffer.from(version),
    varint(modBytes.length),
    modBytes,
  ]);
}

describe("Go build info", () => {
  // Expected values: SOURCES.md's pkgdb/lang go row (trivy golang/binary TestParse, -ldflags case)
  test("trivy's ELF: github.com/aquasecurity/test v1.0.0 from -ldflags, and stdlib v1.22.1", {
    skip: skipWithoutCorpus(ELF),
  }, () => {
    const info = readGoBuildInfo(readFileSync(corpusPath(ELF)));
    assert.ok(info, "build info found");
    assert.equal(info.goVersion, "go1.22.1");
    assert.equal(info.main?.version, "(devel)");
    const packages = goPackages(info, "/usr/local/bin/test");
    assert.deepEqual(
      packages.map((p) => [p.name, p.version, p.purl]),
      [
        ["github.com/aquasecurity/test", "v1.0.0", "pkg:golang/github.com/aquasecurity/test@v1.0.0"],
        ["stdlib", "v1.22.1", "pkg:golang/stdlib@v1.22.1"],
      ],
    );
    assert.ok(packages.every((p) => p.type === "go" && p.path === "/usr/local/bin/test"));
    assert.deepEqual(
      info.settings.find(([k]) => k === "-ldflags"),
      ["-ldflags", "-w -X main.version=v1.0.0"],
    );
  });

  test("the Go ≥ 1.18 inline layout, found by scanning a file that is not ELF", () => {
    const blob = inlineBlob("go1.21.0", MOD);
    const info = readGoBuildInfo(Buffer.concat([Buffer.alloc(4096, 0x90), blob, Buffer.alloc(100)]));
    assert.ok(info);
    assert.deepEqual(
      goPackages(info, "/app").map((p) => `${p.name} ${p.version}`),
      ["example.com/app v1.2.3", "golang.org/x/text v0.3.6", "github.com/new/mod v1.1.0", "stdlib v1.21.0"],
    );
    assert.equal(info.deps[1]?.replace?.path, "github.com/new/mod");
  });

  test("the pre-1.18 pointer layout, resolved through the ELF load segment", () => {
    const info = readGoBuildInfo(goBuildInfoElf("go1.16.5", MOD));
    assert.equal(info?.goVersion, "go1.16.5");
    assert.equal(info?.main?.path, "example.com/app");
    assert.equal(info?.deps.length, 2);
  });

  test("no build info, a misaligned or truncated magic: undefined, never a throw", () => {
    assert.equal(readGoBuildInfo(Buffer.from("plain text file")), undefined);
    const blob = inlineBlob("go1.21.0", MOD);
    assert.equal(readGoBuildInfo(Buffer.concat([Buffer.alloc(3), blob])), undefined);
    assert.equal(readGoBuildInfo(blob.subarray(0, 40)), undefined);
    const huge = Buffer.from(blob);
    huge.writeUInt8(0xff, 32); // a length varint that never ends
    huge.fill(0xff, 33, 40);
    assert.equal(readGoBuildInfo(huge), undefined);
  });

  test("ldflags versions as trivy picks them", () => {
    assert.equal(ldflagsVersion("github.com/a/b", "-s -w -X main.version=1.2.3"), "1.2.3");
    assert.equal(
      ldflagsVersion("github.com/a/b", "-X 'github.com/a/b/cmd/b.Version=v2.0.0' -X main.version=v1.0.0"),
      "v2.0.0",
    );
    assert.equal(ldflagsVersion("github.com/a/b", "-X main.version=v1.0.0 -X common.Version=v1.0.1"), "");
    assert.equal(ldflagsVersion("github.com/a/b", "-X=main.version=v3.0.0"), "v3.0.0");
    assert.equal(ldflagsVersion("github.com/a/b", "-X main.version=dev"), "");
    assert.equal(ldflagsVersion("github.com/a/b", undefined), "");
  });

  test("pseudo-versions and the stdlib version", () => {
    assert.ok(isPseudoVersion("v0.0.0-20240426060020-9640d75c1384"));
    assert.ok(!isPseudoVersion("v1.0.0"));
    assert.equal(stdlibVersion("go1.22.1"), "v1.22.1");
    assert.equal(stdlibVersion("go1.22.1 X:boringcrypto"), "v1.22.1");
    assert.equal(stdlibVersion("go1.20.3-X:nocoverageredesign"), "v1.20.3");
  });
});
