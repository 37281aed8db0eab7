import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { isCipError } from "../model/index.js";
import { readApkInstalled } from "./apk-installed.js";
import { readDpkgMd5sums, readDpkgStatus } from "./dpkg-status.js";
import { readGoBuildInfo } from "./lang/go-buildinfo.js";
import { readJavaManifest, readPomProperties } from "./lang/java-archive-meta.js";
import { readNpmPackageJson } from "./lang/npm-package-json.js";
import { readPythonMetadata } from "./lang/python-metadata.js";
import { readGemspec } from "./lang/ruby-gemspec.js";
import { identifyRelease } from "./os-release.js";

/** Every reader over one file's bytes, as the layer walker will call them. */
const READERS: [string, (input: Buffer | string) => unknown][] = [
  ["dpkg status", (b) => readDpkgStatus(b)],
  ["dpkg md5sums", (b) => readDpkgMd5sums(b, "/x.md5sums")],
  ["apk installed", (b) => readApkInstalled(b)],
  [
    "os-release",
    (b) => identifyRelease({ "/etc/os-release": b, "/etc/redhat-release": b, "/etc/debian_version": b }),
  ],
  ["package.json", (b) => readNpmPackageJson(b, "/node_modules/x/package.json")],
  ["METADATA", (b) => readPythonMetadata(b, "/x.dist-info/METADATA")],
  ["gemspec", (b) => readGemspec(b, "/specifications/x.gemspec")],
  ["MANIFEST.MF", (b) => readJavaManifest(b, "/META-INF/MANIFEST.MF")],
  ["pom.properties", (b) => readPomProperties(b, "/pom.properties")],
  ["Go binary", (b) => readGoBuildInfo(Buffer.from(b))],
];

/** Deterministic noise, so a failure can be reproduced. */
function noise(size: number, seed: number): Buffer {
  const out = Buffer.alloc(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/** Runs a reader: it may answer or refuse with a CipError, nothing else, and within `ms`. */
function survives(
  name: string,
  read: (input: Buffer | string) => unknown,
  input: Buffer | string,
  ms: number,
): void {
  const started = performance.now();
  try {
    read(input);
  } catch (error) {
    assert.ok(isCipError(error), `${name} threw a non-CipError: ${(error as Error).stack}`);
  }
  const took = performance.now() - started;
  assert.ok(took < ms, `${name} took ${Math.round(took)} ms`);
}

describe("readers on hostile input", () => {
  test("random bytes: an answer or a CipError, quickly", () => {
    for (const [name, read] of READERS) {
      for (let seed = 1; seed <= 3; seed++) survives(name, read, noise(256 * 1024, seed), 2000);
    }
  });

  test("one 4 MB line of blanks after a field start: no quadratic backtracking", () => {
    const line = (start: string) => `${start}${" ".repeat(4 * 1024 * 1024 - 100)}x\n`;
    for (const [name, read] of READERS) {
      for (const start of ["s.name = a", "Name: a", "P:a", "groupId=a", "ID=a", "a\\"]) {
        survives(name, read, line(start), 3000);
      }
    }
  });

  test("many continuation lines", () => {
    const properties = `groupId=a\\\n${"b\\\n".repeat(200_000)}c\n`;
    assert.equal(readPomProperties(properties, "/p").groupId?.length, 200_002);
    const manifest = `Manifest-Version: 1.0\nX: a\n${" b\n".repeat(200_000)}`;
    assert.equal(readJavaManifest(manifest, "/m").main.get("X")?.length, 200_001);
  });

  test("a package.json nested a million deep is a parse error or no package", () => {
    survives(
      "package.json",
      (b) => readNpmPackageJson(b, "/node_modules/x/package.json"),
      "[".repeat(1_000_000),
      3000,
    );
  });

  test("files over their limit are refused before parsing", () => {
    const big = Buffer.alloc(5 * 1024 * 1024, 0x41);
    const limited = ["dpkg md5sums", "package.json", "METADATA", "gemspec", "MANIFEST.MF", "pom.properties"];
    for (const [name, read] of READERS.filter(([n]) => limited.includes(n))) {
      assert.throws(
        () => read(big),
        (e: Error) => isCipError(e) && e.code === "CIP_INPUT_TOO_LARGE",
        name,
      );
    }
    // A release file is read up to 4 MiB, as syft reads it, rather than refused
    assert.equal(
      identifyRelease({ "/etc/os-release": `ID=alpine\n${"#".repeat(5 * 1024 * 1024)}` })?.id,
      "alpine",
    );
    assert.throws(
      () => readApkInstalled(big, { maxBytes: 1024 }),
      (e: Error) => isCipError(e) && e.code === "CIP_INPUT_TOO_LARGE",
    );
  });
});
