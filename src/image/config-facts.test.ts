import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { REPO_ROOT, readCorpusJson, skipWithoutCorpus } from "../../test/support/corpus.js";
import { factsFromDocument } from "../ingest/facts-document.js";
import { isCipError } from "../model/index.js";
import { factsFromImage, guessedDockerfile, instructionFromHistory } from "./config-facts.js";
import { classifyManifest, MEDIA_TYPES } from "./manifest.js";
import type { ResolvedImage } from "./resolved-image.js";

const M = "images/manifests";
const NGINX_CONFIG = `${M}/anchore_nginx_image_config.json`;
const NGINX_MANIFEST = `${M}/anchore_nginx_manifest.docker-v2s2.json`;
const NGINX_SKOPEO = `${M}/anchore_nginx_skopeo_inspect.json`;
const REF = { registry: "docker.io", repository: "library/nginx", tag: "latest" };

/** A ResolvedImage as a source would build it from a manifest and config read from the corpus. */
function resolved(manifestFile: string, config: unknown, digests: { manifest?: string } = {}): ResolvedImage {
  const document = readCorpusJson(manifestFile);
  const m = classifyManifest(document, undefined, manifestFile);
  if (m.kind !== "image" && m.kind !== "schema1") throw new Error(`${manifestFile} is ${m.kind}`);
  return {
    ref: REF,
    source: "registry",
    location: "https://registry-1.docker.io",
    manifestDigest: digests.manifest,
    manifestMediaType: m.mediaType,
    manifest: document,
    config: m.kind === "schema1" ? m.config : config,
    configDigest: m.kind === "image" ? m.config.digest : undefined,
    layers: m.layers,
  };
}

/** The facts must pass the strict facts schema: what `cipolice facts` prints is what `check --facts` reads. */
function assertValidFacts(facts: unknown, where: string): void {
  factsFromDocument(JSON.parse(JSON.stringify(facts)), where);
}

describe("nginx: config, manifest and skopeo's view of the image", {
  skip: skipWithoutCorpus(NGINX_CONFIG, NGINX_MANIFEST, NGINX_SKOPEO),
}, () => {
  const digest = "sha256:c3a1592d2b6d275bef4087573355827b200b00ffc2d9849890a4f3aa2128c4ae";
  const facts = whenPresent(() =>
    factsFromImage(resolved(NGINX_MANIFEST, readCorpusJson(NGINX_CONFIG), { manifest: digest })),
  );
  const skopeo = whenPresent(() => readCorpusJson(NGINX_SKOPEO) as Record<string, unknown>);

  test("every runtime fact of the config", () => {
    assert.deepEqual(facts.config, {
      env: [
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "NGINX_VERSION=1.19.5",
        "NJS_VERSION=0.4.4",
        "PKG_RELEASE=1~buster",
      ],
      exposedPorts: ["80/tcp"],
      labels: { maintainer: "NGINX Docker Maintainers <docker-maint@nginx.com>" },
      entrypoint: ["/docker-entrypoint.sh"],
      cmd: ["nginx", "-g", "daemon off;"],
      stopSignal: "SIGQUIT",
      created: "2020-11-25T00:30:19.011398516Z",
    });
    assert.equal(facts.digest, digest);
    assert.equal(facts.imageId, "sha256:daee903b4e436178418e41d8dc223b73632144847e5fe81d061296e667f16ef2");
    assert.equal(facts.layers?.length, 5);
    assert.equal(
      facts.size,
      facts.layers?.reduce((s, l) => s + (l.size ?? 0), 0),
    );
    assert.ok((facts.size ?? 0) > 0);
  });

  test("agrees with skopeo inspect on architecture, os, labels, layer count and environment names", () => {
    assert.equal(facts.platform?.architecture, skopeo.Architecture);
    assert.equal(facts.platform?.os, skopeo.Os);
    assert.deepEqual(facts.config?.labels, skopeo.Labels);
    assert.equal(facts.layers?.length, (skopeo.Layers as string[]).length);
    const names = (env: string[] | undefined) => (env ?? []).map((e) => e.split("=")[0]);
    assert.deepEqual(names(facts.config?.env), names(skopeo.Env as string[]));
    // The two corpus files were taken a week apart (skopeo saw nginx 1.19.4, the config is 1.19.5); values
    // other than the version agree.
    const differing = (facts.config?.env ?? []).filter((e) => !(skopeo.Env as string[]).includes(e));
    assert.deepEqual(differing, ["NGINX_VERSION=1.19.5"]);
  });

  test("the Dockerfile guessed from the history, empty layers included", () => {
    assert.equal(facts.dockerfile?.mode, "guessed");
    const lines = facts.dockerfile?.instructions.map((i) => `${i.directive} ${i.value}`.slice(0, 40)) ?? [];
    assert.deepEqual(lines, [
      "ADD file:d2abb0e4e7ac1773741f51f57d3a0b8",
      'CMD ["bash"]',
      "LABEL maintainer=NGINX Docker Maintainer",
      "ENV NGINX_VERSION=1.19.5",
      "ENV NJS_VERSION=0.4.4",
      "ENV PKG_RELEASE=1~buster",
      "RUN set -x     && addgroup --system --gi",
      "COPY file:e7e183879c35719c18aa7f73365102",
      "COPY file:08ae525f517706a57131e1efe03acb",
      "COPY file:0fd5fca330dcd6a7de297435e32af6",
      'ENTRYPOINT ["/docker-entrypoint.sh"]',
      "EXPOSE 80",
      "STOPSIGNAL SIGQUIT",
      'CMD ["nginx" "-g" "daemon off;"]',
    ]);
    assert.deepEqual(
      facts.dockerfile?.instructions.map((i) => i.line),
      Array.from({ length: 14 }, (_, i) => i + 1),
    );
  });

  test("the facts pass the strict facts schema", () => {
    assertValidFacts(facts, "nginx facts");
  });

  test("a given Dockerfile makes the mode actual", () => {
    const withFile = factsFromImage(resolved(NGINX_MANIFEST, readCorpusJson(NGINX_CONFIG)), {
      dockerfile: "FROM debian:buster-slim\nUSER nginx\nEXPOSE 80\n",
    });
    assert.deepEqual(withFile.dockerfile, {
      mode: "actual",
      instructions: [
        { directive: "FROM", value: "debian:buster-slim", line: 1 },
        { directive: "USER", value: "nginx", line: 2 },
        { directive: "EXPOSE", value: "80", line: 3 },
      ],
    });
    assertValidFacts(withFile, "nginx facts with Dockerfile");
  });
});

const OCI_CONFIG = `${M}/oci-image-spec/config_1.image_config.json`;
const OCI_MANIFEST = `${M}/oci-image-spec/manifest_1.image_manifest.json`;
test("the OCI image-spec config example", { skip: skipWithoutCorpus(OCI_CONFIG, OCI_MANIFEST) }, () => {
  const facts = factsFromImage(resolved(OCI_MANIFEST, readCorpusJson(OCI_CONFIG)));
  assert.deepEqual(facts.platform, { os: "linux", architecture: "amd64" });
  assert.deepEqual(facts.config, {
    user: "alice",
    env: [
      "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
      "FOO=oci_is_a",
      "BAR=well_written_spec",
    ],
    exposedPorts: ["8080/tcp"],
    entrypoint: ["/bin/my-app-binary"],
    cmd: ["--foreground", "--config", "/etc/my-app.d/default.cfg"],
    workdir: "/home/alice",
    labels: {
      "com.example.project.git.url": "https://example.com/project.git",
      "com.example.project.git.commit": "45a939b2999782a3f005621a8d0f29aa387e1d6b",
    },
    volumes: ["/var/job-result-data", "/var/log/my-app-logs"],
    created: "2015-10-31T22:22:56.015925234Z",
  });
  assert.deepEqual(
    facts.dockerfile?.instructions.map((i) => i.directive),
    ["ADD", "CMD", "RUN"],
  );
  assertValidFacts(facts, "OCI example facts");
});

const CI = `${M}/containers-image`;
describe("containers/image conversion fixtures", {
  skip: skipWithoutCorpus(`${CI}/image-fixtures_schema2-config.json`),
}, () => {
  for (const file of [
    "image-fixtures_schema2-config.json",
    "image-fixtures_oci1-config.json",
    "image-fixtures_oci1-config-extra-fields.json",
  ]) {
    test(file, () => {
      const config = readCorpusJson(`${CI}/${file}`);
      const facts = factsFromImage(resolved(`${CI}/image-fixtures_schema2.json`, config));
      assert.deepEqual(facts.platform, { os: "linux", architecture: "amd64" });
      assert.deepEqual(facts.config?.exposedPorts, ["80/tcp"]);
      assert.deepEqual(facts.config?.cmd, ["httpd-foreground"]);
      assert.ok(facts.config?.env?.includes("HTTPD_VERSION=2.4.23"));
      assert.equal(facts.dockerfile?.mode, "guessed");
      assert.ok(facts.dockerfile?.instructions.some((i) => i.directive === "RUN"));
      assertValidFacts(facts, file);
    });
  }

  test("schema 1: config from history[0], history from every v1Compatibility, no total size", () => {
    const facts = factsFromImage(resolved(`${CI}/image-fixtures_schema1.json`, undefined));
    assert.equal(facts.platform?.architecture, "amd64");
    assert.equal(facts.size, undefined);
    assert.ok((facts.layers?.length ?? 0) > 0);
    assert.equal(facts.imageId, undefined);
    assert.equal(facts.dockerfile?.mode, "guessed");
    assert.ok((facts.dockerfile?.instructions.length ?? 0) > 0);
    assertValidFacts(facts, "schema 1 facts");
  });
});

describe("history → Dockerfile (test/cases/history-dockerfile.json)", () => {
  const table = JSON.parse(readFileSync(`${REPO_ROOT}/test/cases/history-dockerfile.json`, "utf8")) as {
    cases: { name: string; createdBy: string; expected: { directive: string; value: string } | null }[];
  };
  for (const c of table.cases) {
    test(c.name, () => {
      assert.deepEqual(instructionFromHistory(c.createdBy) ?? null, c.expected);
    });
  }

  test("no recognisable entry gives mode unknown", () => {
    assert.deepEqual(guessedDockerfile([{ created_by: "Imported from -" }, {}]), {
      mode: "unknown",
      instructions: [],
    });
  });
});

test("a config that is not an object is refused, saying where", () => {
  const image: ResolvedImage = {
    ref: REF,
    source: "oci-layout",
    location: "/tmp/layout",
    manifestMediaType: MEDIA_TYPES.ociManifest,
    manifest: {},
    config: [1],
    configDigest: "sha256:abc",
    layers: [],
  };
  assert.throws(
    () => factsFromImage(image),
    (e: Error) =>
      isCipError(e) &&
      e.code === "CIP_IMAGE_INVALID" &&
      e.message === "Cannot read the image config: expected a JSON object (/tmp/layout sha256:abc)",
  );
});

test("healthcheck keeps nanoseconds as given; null fields are left out", () => {
  const image: ResolvedImage = {
    ref: REF,
    source: "docker-archive",
    location: "app.tar",
    manifestMediaType: MEDIA_TYPES.dockerManifest,
    manifest: {},
    config: {
      architecture: "arm64",
      variant: "v8",
      os: "linux",
      created: "not a date",
      config: {
        Env: null,
        Cmd: null,
        Labels: null,
        User: "",
        Healthcheck: {
          Test: ["CMD-SHELL", "curl -f http://localhost/"],
          Interval: 30000000000,
          Timeout: 3000000000,
          Retries: 3,
        },
      },
    },
    layers: [
      { digest: "sha256:1", size: 10 },
      { digest: "sha256:2", size: 32 },
    ],
  };
  const facts = factsFromImage(image);
  assert.deepEqual(facts.platform, { os: "linux", architecture: "arm64", variant: "v8" });
  assert.deepEqual(facts.config, {
    healthcheck: {
      test: ["CMD-SHELL", "curl -f http://localhost/"],
      interval: 30000000000,
      timeout: 3000000000,
      retries: 3,
    },
  });
  assert.equal(facts.size, 42);
  assert.deepEqual(facts.provenance, [{ source: "docker-archive", location: "app.tar" }]);
  assertValidFacts(facts, "healthcheck facts");
});

/** Runs setup only when the corpus is present (describe bodies run even when skipped). */
function whenPresent<T>(make: () => T): T {
  try {
    return make();
  } catch {
    return undefined as T;
  }
}
