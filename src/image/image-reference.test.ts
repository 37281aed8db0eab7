import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { CipError, digestOnlyRef, type ImageRef, isDigestOnly } from "../model/index.js";
import { familiarName, formatImageReference, isImageDigest, parseImageReference } from "./image-reference.js";

interface Cases {
  valid: { input: string; note?: string; expected: ImageRef; canonical: string; familiar: string }[];
  invalid: { input: string; note?: string; error: string }[];
}

const cases: Cases = JSON.parse(
  readFileSync(new URL("../../test/cases/image-references.json", import.meta.url), "utf8"),
) as Cases;

const label = (input: string) => (input.length > 80 ? `${input.slice(0, 77)}...` : input) || "(empty)";

describe("parseImageReference accepts what the Docker CLI accepts", () => {
  for (const c of cases.valid) {
    test(`${label(c.input)}${c.note ? ` (${c.note})` : ""}`, () => {
      const ref = parseImageReference(c.input);
      assert.deepEqual(ref, c.expected);
      assert.equal(formatImageReference(ref), c.canonical);
      assert.equal(familiarName(ref), c.familiar);
      // Both printed forms read back as the same reference.
      assert.deepEqual(parseImageReference(c.canonical), c.expected);
      assert.deepEqual(parseImageReference(c.familiar), c.expected);
    });
  }
});

describe("parseImageReference rejects what the Docker CLI rejects, saying why", () => {
  for (const c of cases.invalid) {
    test(`${label(c.input)}${c.note ? ` (${c.note})` : ""}`, () => {
      assert.throws(
        () => parseImageReference(c.input),
        (error: unknown) => {
          assert.ok(error instanceof CipError);
          assert.equal(error.code, "CIP_IMAGE_REF_INVALID");
          assert.ok(
            error.message.startsWith(`Cannot parse image reference ${JSON.stringify(c.input)}: `),
            `message: ${error.message}`,
          );
          assert.ok(error.message.includes(c.error), `expected "${c.error}" in: ${error.message}`);
          assert.ok(error.hint, "a hint says what to do");
          return true;
        },
      );
    });
  }
});

describe("formatImageReference and familiarName", () => {
  test("print a Docker Hub reference built without the library/ prefix canonically", () => {
    const ref: ImageRef = { registry: "docker.io", repository: "nginx", tag: "1.27" };
    assert.equal(formatImageReference(ref), "docker.io/library/nginx:1.27");
    assert.equal(familiarName(ref), "nginx:1.27");
  });

  test("print the legacy index.docker.io host as docker.io", () => {
    const ref: ImageRef = { registry: "index.docker.io", repository: "library/debian", tag: "12" };
    assert.equal(formatImageReference(ref), "docker.io/library/debian:12");
    assert.equal(familiarName(ref), "debian:12");
  });

  test("print a reference with neither tag nor digest as the bare name", () => {
    assert.equal(formatImageReference({ registry: "ghcr.io", repository: "owner/app" }), "ghcr.io/owner/app");
    assert.equal(familiarName({ registry: "docker.io", repository: "library/redis" }), "redis");
  });

  test("print an image known only by its digest as @digest, never as a bare / or Docker Hub", () => {
    const digest = `sha256:${"a".repeat(64)}`;
    const ref = digestOnlyRef(digest);
    assert.equal(isDigestOnly(ref), true);
    assert.equal(formatImageReference(ref), `@${digest}`);
    assert.equal(familiarName(ref), `@${digest}`);
    // The printed form is not a reference the Docker CLI reads: parsing it says why.
    assert.throws(() => parseImageReference(`@${digest}`), { code: "CIP_IMAGE_REF_INVALID" });
  });
});

describe("isImageDigest", () => {
  test("accepts the digests a reference may pin, refuses others", () => {
    assert.equal(isImageDigest(`sha256:${"0".repeat(64)}`), true);
    assert.equal(isImageDigest(`sha512:${"0".repeat(128)}`), true);
    for (const bad of ["", "sha256:1", `sha256:${"A".repeat(64)}`, `md5:${"0".repeat(32)}`, "0".repeat(64)]) {
      assert.equal(isImageDigest(bad), false, bad);
    }
  });
});
