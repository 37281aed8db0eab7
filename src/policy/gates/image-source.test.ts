import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { factsFor, fireTrigger, paramProblems } from "../../../test/support/gates.js";
import type { ImageRef } from "../../model/index.js";
import { imageSourceGate } from "./image-source.js";

const DIGEST = "sha256:0000000000000000000000000000000000000000000000000000000000000001";

const image = (ref: ImageRef) => factsFor({ ref });
const run = (trigger: string, params: Record<string, string>, ref: ImageRef) =>
  fireTrigger(imageSourceGate, trigger, params, image(ref)).map((h) => h.message);

describe("image_source/registry_not_allowed", () => {
  const allowed = { registries: "ghcr.io, *.corp" };
  const cases: [string, string[]][] = [
    ["ghcr.io", []],
    ["GHCR.IO", []],
    ["registry.corp", []],
    ["a.b.corp", []],
    ["corp", ["Image registry corp is not in the allowed registries: ghcr.io, *.corp"]],
    [
      "evil.example.com",
      ["Image registry evil.example.com is not in the allowed registries: ghcr.io, *.corp"],
    ],
    ["docker.io", ["Image registry docker.io is not in the allowed registries: ghcr.io, *.corp"]],
  ];
  for (const [registry, expect] of cases) {
    test(`${registry}: ${expect.length ? "fires" : "passes"}`, () => {
      assert.deepEqual(
        run("registry_not_allowed", allowed, { registry, repository: "team/app", tag: "1" }),
        expect,
      );
    });
  }

  test("ports are part of the registry", () => {
    const params = { registries: "localhost:*" };
    assert.deepEqual(
      run("registry_not_allowed", params, { registry: "localhost:5000", repository: "app", tag: "1" }),
      [],
    );
    assert.equal(
      run("registry_not_allowed", params, { registry: "localhost", repository: "app", tag: "1" }).length,
      1,
    );
  });

  test("the hit has the md5 trigger id of gate + trigger + message", () => {
    const [hit] = fireTrigger(
      imageSourceGate,
      "registry_not_allowed",
      allowed,
      image({ registry: "evil.example.com", repository: "x", tag: "1" }),
    );
    assert.equal(hit?.triggerId, "8fe3fe7cc1d6b03af45f19e5571eb7d3");
  });

  test("requires registries", () => {
    assert.match(
      paramProblems(imageSourceGate, "registry_not_allowed", {})[0] ?? "",
      /"registries" is missing/,
    );
    assert.match(
      paramProblems(imageSourceGate, "registry_not_allowed", { registries: " " })[0] ?? "",
      /"registries"/,
    );
  });
});

describe("image_source/registry_denied", () => {
  const denied = { registries: "*.example.com,docker.io" };
  const cases: [string, string[]][] = [
    ["ghcr.io", []],
    ["example.com", []],
    ["evil.example.com", ["Image registry evil.example.com is in the denied registries: *.example.com"]],
    ["Docker.IO", ["Image registry Docker.IO is in the denied registries: docker.io"]],
  ];
  for (const [registry, expect] of cases) {
    test(`${registry}: ${expect.length ? "fires" : "passes"}`, () => {
      assert.deepEqual(run("registry_denied", denied, { registry, repository: "app", tag: "1" }), expect);
    });
  }

  test("names every denied pattern that matches", () => {
    assert.deepEqual(
      run(
        "registry_denied",
        { registries: "*.com, evil.*" },
        { registry: "evil.example.com", repository: "a", tag: "1" },
      ),
      ["Image registry evil.example.com is in the denied registries: *.com, evil.*"],
    );
  });

  test("requires registries", () => {
    assert.match(paramProblems(imageSourceGate, "registry_denied", {})[0] ?? "", /"registries" is missing/);
  });

  test("accepts a regexp: pattern and rejects one that does not compile", () => {
    const params = { registries: "regexp:(evil|bad)\\.example\\.com" };
    assert.equal(
      run("registry_denied", params, { registry: "bad.example.com", repository: "a", tag: "1" }).length,
      1,
    );
    assert.match(
      paramProblems(imageSourceGate, "registry_denied", { registries: "ghcr.io,regexp:(evil" })[0] ?? "",
      /invalid pattern "regexp:\(evil"/,
    );
  });
});

describe("image_source/tag_latest", () => {
  const cases: [string, ImageRef, string[]][] = [
    [
      "latest",
      { registry: "docker.io", repository: "library/nginx", tag: "latest" },
      ["Image reference docker.io/library/nginx:latest uses the tag latest and is not pinned by a digest"],
    ],
    [
      "latest pinned by digest",
      { registry: "docker.io", repository: "library/nginx", tag: "latest", digest: DIGEST },
      [],
    ],
    ["another tag", { registry: "docker.io", repository: "library/nginx", tag: "1.25" }, []],
    ["tags are case-sensitive", { registry: "docker.io", repository: "library/nginx", tag: "Latest" }, []],
    ["digest only", { registry: "docker.io", repository: "library/nginx", digest: DIGEST }, []],
    [
      "neither tag nor digest",
      { registry: "docker.io", repository: "library/nginx" },
      ["Image reference docker.io/library/nginx has no tag and no digest, which means latest"],
    ],
  ];
  for (const [name, ref, expect] of cases) {
    test(`${name}: ${expect.length ? "fires" : "passes"}`, () => {
      assert.deepEqual(run("tag_latest", {}, ref), expect);
    });
  }

  test("an untagged image read from a file is named after it, not referenced by latest", () => {
    const ref = { registry: "localhost", repository: "app" };
    for (const source of ["docker-archive", "oci-layout"]) {
      const facts = factsFor({ ref, provenance: [{ source, location: "/tmp/app.tar" }] });
      assert.deepEqual(fireTrigger(imageSourceGate, "tag_latest", {}, facts), [], source);
    }
    // A file's image tagged latest still fires, and an untagged name from elsewhere still means latest.
    const tagged = factsFor({
      ref: { ...ref, tag: "latest" },
      provenance: [{ source: "docker-archive", location: "/tmp/app.tar" }],
    });
    assert.equal(fireTrigger(imageSourceGate, "tag_latest", {}, tagged).length, 1);
    const named = factsFor({ ref, provenance: [{ source: "registry", location: "https://localhost" }] });
    assert.equal(fireTrigger(imageSourceGate, "tag_latest", {}, named).length, 1);
  });

  test("the hit has the md5 trigger id of gate + trigger + message", () => {
    const [hit] = fireTrigger(
      imageSourceGate,
      "tag_latest",
      {},
      image({ registry: "docker.io", repository: "library/nginx", tag: "latest" }),
    );
    assert.equal(hit?.triggerId, "06e0b5b5d0454f9114a49c074137013a");
  });
});

describe("image_source/digest_required", () => {
  test("fires for a reference without a digest", () => {
    assert.deepEqual(run("digest_required", {}, { registry: "ghcr.io", repository: "org/app", tag: "2.1" }), [
      "Image reference ghcr.io/org/app:2.1 is not pinned by a digest",
    ]);
  });
  test("passes for a digest, with or without a tag", () => {
    assert.deepEqual(
      run("digest_required", {}, { registry: "ghcr.io", repository: "org/app", digest: DIGEST }),
      [],
    );
    assert.deepEqual(
      run("digest_required", {}, { registry: "ghcr.io", repository: "org/app", tag: "2.1", digest: DIGEST }),
      [],
    );
  });
  test("only the reference counts, not a digest resolved from the registry", () => {
    const facts = factsFor({
      ref: { registry: "ghcr.io", repository: "org/app", tag: "2.1" },
      digest: DIGEST,
    });
    assert.equal(fireTrigger(imageSourceGate, "digest_required", {}, facts).length, 1);
  });
});

describe("image_source/repository_name", () => {
  const cases: [Record<string, string>, string, string[]][] = [
    [{ pattern: "(team-a|team-b)/.+" }, "team-a/api", []],
    [
      { pattern: "(team-a|team-b)/.+" },
      "team-c/api",
      ["Image repository team-c/api does not match the pattern (team-a|team-b)/.+"],
    ],
    // The pattern must match the whole path, not a prefix.
    [{ pattern: "team-a" }, "team-a/api", ["Image repository team-a/api does not match the pattern team-a"]],
    [{ pattern: "(?i)TEAM-A/.*", check: "no_match" }, "team-a/api", []],
    [
      { pattern: ".*/tmp-.*", check: "match" },
      "team-a/tmp-test",
      ["Image repository team-a/tmp-test matches the pattern .*/tmp-.*"],
    ],
    [{ pattern: ".*/tmp-.*", check: "match" }, "team-a/api", []],
  ];
  for (const [params, repository, expect] of cases) {
    test(`${JSON.stringify(params)} on ${repository}`, () => {
      assert.deepEqual(run("repository_name", params, { registry: "ghcr.io", repository, tag: "1" }), expect);
    });
  }

  test("rejects a missing or invalid pattern and an unknown check", () => {
    assert.match(paramProblems(imageSourceGate, "repository_name", {})[0] ?? "", /"pattern" is missing/);
    assert.match(
      paramProblems(imageSourceGate, "repository_name", { pattern: "team-(" })[0] ?? "",
      /"pattern"/,
    );
    assert.match(
      paramProblems(imageSourceGate, "repository_name", { pattern: ".*", check: "equals" })[0] ?? "",
      /"check"/,
    );
  });
});

describe("image_source on an image known only by its digest", () => {
  const digestOnly = { registry: "", repository: "", digest: DIGEST };

  test("registry_not_allowed fires, saying no registry is named, instead of printing a blank one", () => {
    assert.deepEqual(run("registry_not_allowed", { registries: "ghcr.io" }, digestOnly), [
      `Image @${DIGEST} names no registry (only its digest is known), so it is not in the allowed registries: ghcr.io`,
    ]);
  });

  test("repository_name fires for no_match and stays silent for match", () => {
    assert.deepEqual(run("repository_name", { pattern: "team/.+" }, digestOnly), [
      `Image @${DIGEST} names no repository (only its digest is known), so it cannot match the pattern team/.+`,
    ]);
    assert.deepEqual(run("repository_name", { pattern: ".*", check: "match" }, digestOnly), []);
  });

  test("registry_denied fires only for patterns that match any registry; tag_latest does not fire", () => {
    assert.deepEqual(run("registry_denied", { registries: "docker.io" }, digestOnly), []);
    assert.deepEqual(run("registry_denied", { registries: "*" }, digestOnly), [
      `Image @${DIGEST} names no registry (only its digest is known), and the denied registries * match any registry`,
    ]);
    assert.deepEqual(run("tag_latest", {}, digestOnly), []);
  });
});
