import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { CipError } from "../../model/index.js";
import { uploadLocation, withQueryParameter } from "./push-location.js";

const REQUEST = "http://127.0.0.1:5000/v2/team/app/blobs/uploads/";

describe("uploadLocation", () => {
  test("an absolute Location is used as given", () => {
    const location = "https://uploads.example/v2/team/app/blobs/uploads/abc?_state=x%3D";
    assert.equal(uploadLocation(location, REQUEST, "push"), location);
  });

  test("a relative Location resolves against the request's URL", () => {
    assert.equal(
      uploadLocation("/v2/team/app/blobs/uploads/0d1e?_state=a", REQUEST, "push"),
      "http://127.0.0.1:5000/v2/team/app/blobs/uploads/0d1e?_state=a",
    );
  });

  test("a missing Location or a non-HTTP one is refused, naming the request", () => {
    for (const location of [null, "  ", "ftp://127.0.0.1/x"]) {
      assert.throws(
        () => uploadLocation(location, REQUEST, "push blob x to r/team/app"),
        (error: CipError) =>
          error.code === "CIP_REGISTRY" &&
          error.message.startsWith("Cannot push blob x to r/team/app: ") &&
          error.message.endsWith(`(${REQUEST})`),
      );
    }
  });
});

describe("withQueryParameter", () => {
  test("adds the digest after the registry's own query, keeping its escaping byte for byte", () => {
    const state = "_state=AbC%2B%2F%3D~x*y&extra=1+2";
    assert.equal(
      withQueryParameter(`${REQUEST}u1?${state}`, "digest", "sha256:00ff"),
      `${REQUEST}u1?${state}&digest=sha256%3A00ff`,
    );
  });

  test("starts a query when there is none", () => {
    assert.equal(
      withQueryParameter(`${REQUEST}u1`, "digest", "sha256:ab"),
      `${REQUEST}u1?digest=sha256%3Aab`,
    );
    assert.equal(
      withQueryParameter(`${REQUEST}u1?`, "digest", "sha256:ab"),
      `${REQUEST}u1?digest=sha256%3Aab`,
    );
  });
});
