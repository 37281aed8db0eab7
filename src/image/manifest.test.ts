import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, test } from "node:test";
import { corpusPath, NO_CORPUS } from "../../test/support/corpus.js";
import { isCipError } from "../model/index.js";
import { classifyManifest, MEDIA_TYPES, parseManifest } from "./manifest.js";

const ROOT = "images/manifests";

/** Expected outcome per corpus file: a kind (and format), or the error code and a part of the message. */
const EXPECTED: Record<string, string> = {
  "anchore-engine-functional/alpine@sha256_e9cec9aec697d8b9d450edd32860ecd363f2f3174c8338beb5f809422d182c63.json":
    "schema1/docker-v2s1",
  "anchore-engine-functional/busybox@sha256_6e6d13055ed81b7144afaad15150fc137d4f639482beb311aaa097bc57e3cb80.json":
    "image/docker-v2s2",
  "anchore-engine-functional/centos@sha256_85313b812ad747dd19cf18078795b576cc4ae9cd2ca2ccccd7b5c12722b2effd.json":
    "image/docker-v2s2",
  "anchore-engine-functional/test_images@sha256_0be667e0698fb204d2a6eaf42be8bf15db7edaf256c07e40caecbbcdbf6aad52.json":
    "image/docker-v2s2",
  "anchore-engine-functional/test_images@sha256_1d0df8e380b947e9f76a1082cc550c3634dbbcfeb78e4c4874eeb149f377326d.json":
    "image/docker-v2s2",
  "anchore-engine-functional/test_images@sha256_65e79fb7397ed96bd84656a664ac9978057930d90b2d5fde5e92a58adbee657c.json":
    "image/docker-v2s2",
  "anchore-engine-functional/test_images@sha256_8d0e40d8e013bb0cda3d279b5021c473885c079e94010fd2208235d56982486f.json":
    "image/docker-v2s2",
  "anchore-engine-functional/test_images@sha256_905a2bf5f3adf8ba8f1d4391cfb4a3e6bd671e0b2ec2f488071679a5f578c7d7.json":
    "image/docker-v2s2",
  "anchore-engine-functional/test_images@sha256_96d136c9cbaf22d73010e3e79e748e7772143fd9a584f8898d2f122cc5da1206.json":
    "image/docker-v2s2",
  "anchore-engine-functional/test_images@sha256_9f453a37ea62976dd0f6b8ca4da2010cc01c3988f2e8c290044576d936bae710.json":
    "image/docker-v2s2",
  "anchore-engine-functional/test_images@sha256_bf25131f6f6ba5ca531b2075424bfb25c36cc01f8e83cc3c759c404870a64e38.json":
    "image/docker-v2s2",
  "anchore-engine-functional/test_images@sha256_bfbc9520743a4601da82c24958e194d55e45b8cab7c5b466f6ac81c90308749f.json":
    "image/docker-v2s2",
  "anchore-engine-functional/test_images@sha256_cd74be1a65a7c7f07aa9952f622097a6452012fea741fbdade0e763edaa55ba0.json":
    "image/docker-v2s2",
  "anchore-engine-functional/test_images@sha256_d7efe8ef45def7a7aa6571de3cc5857281b1d7dc5477e7e0cbff6ccb2d5f5f8c.json":
    "image/docker-v2s2",
  "anchore_nginx_image_config.json": "CIP_IMAGE_INVALID: image config, not a manifest",
  "anchore_nginx_manifest.docker-v2s2.json": "image/docker-v2s2",
  "anchore_nginx_manifest_list.json": "index/docker-list",
  "anchore_nginx_skopeo_inspect.json": "CIP_IMAGE_INVALID: `skopeo inspect` output",
  "containers-image/image-fixtures_oci1-config-extra-fields.json":
    "CIP_IMAGE_INVALID: image config, not a manifest",
  "containers-image/image-fixtures_oci1-config.json": "CIP_IMAGE_INVALID: image config, not a manifest",
  "containers-image/image-fixtures_schema1.json": "schema1/docker-v2s1",
  "containers-image/image-fixtures_schema2-config.json": "CIP_IMAGE_INVALID: image config, not a manifest",
  "containers-image/image-fixtures_schema2.json": "image/docker-v2s2",
  "containers-image/non-json.manifest.json": "CIP_PARSE: not JSON",
  "containers-image/oci1.index.everything.json": "index/oci-index",
  "containers-image/oci1.index.zstd-selection.json": "index/oci-index",
  "containers-image/oci1index.json": "index/oci-index",
  "containers-image/ocilist-variants.json": "index/oci-index",
  "containers-image/ociv1.artifact.json": "artifact/oci",
  "containers-image/ociv1.encrypted.manifest.json": "image/oci",
  "containers-image/ociv1.image.index.json": "index/oci-index",
  "containers-image/ociv1.invalid.mediatype.manifest.json": "image/oci",
  "containers-image/ociv1.manifest.json": "image/oci",
  "containers-image/ociv1.nondistributable.manifest.json": "image/oci",
  "containers-image/ociv1.uncompressed.manifest.json": "image/oci",
  "containers-image/ociv1.zstd.manifest.json": "image/oci",
  "containers-image/ociv1nomime.manifest.json": "image/oci",
  "containers-image/schema2list-variants.json": "index/docker-list",
  "containers-image/schema2list.json": "index/docker-list",
  "containers-image/unknown-version.manifest.json": "CIP_IMAGE_INVALID: schemaVersion 99999 is not supported",
  "containers-image/v2list.everything.json": "index/docker-list",
  "containers-image/v2list.manifest.json": "index/docker-list",
  "containers-image/v2s1-invalid-signatures.manifest.json": "CIP_IMAGE_INVALID: fsLayers is empty",
  "containers-image/v2s1-unsigned.manifest.json": "schema1/docker-v2s1",
  "containers-image/v2s1.manifest.json": "schema1/docker-v2s1",
  "containers-image/v2s2.manifest.json": "image/docker-v2s2",
  "containers-image/v2s2.nondistributable.manifest.json": "image/docker-v2s2",
  "containers-image/v2s2nomime.manifest.json": "image/docker-v2s2",
  "oci-image-spec/config_1.image_config.json": "CIP_IMAGE_INVALID: image config, not a manifest",
  "oci-image-spec/descriptor_1.descriptor.json": "CIP_IMAGE_INVALID: content descriptor, not a manifest",
  "oci-image-spec/descriptor_2.descriptor.json": "CIP_IMAGE_INVALID: content descriptor, not a manifest",
  "oci-image-spec/descriptor_3.descriptor.json": "CIP_IMAGE_INVALID: content descriptor, not a manifest",
  "oci-image-spec/image-index_1.image_index.json": "index/oci-index",
  "oci-image-spec/image-index_2.image_index.json": "index/oci-index",
  "oci-image-spec/image-layout_1.layout_header.json": "CIP_IMAGE_INVALID: oci-layout file",
  "oci-image-spec/image-layout_2.image_index.json": "index/oci-index",
  "oci-image-spec/manifest_1.image_manifest.json": "image/oci",
  "oci-image-spec/manifest_2.descriptor.json": "CIP_IMAGE_INVALID: content descriptor, not a manifest",
  "oci-image-spec/schema/config-schema.json": "CIP_IMAGE_INVALID: JSON Schema",
  "oci-image-spec/schema/content-descriptor.json": "CIP_IMAGE_INVALID: JSON Schema",
  "oci-image-spec/schema/defs-descriptor.json": "CIP_IMAGE_INVALID: JSON Schema",
  "oci-image-spec/schema/defs.json": "CIP_IMAGE_INVALID: not a manifest or index",
  "oci-image-spec/schema/image-index-schema.json": "CIP_IMAGE_INVALID: JSON Schema",
  "oci-image-spec/schema/image-layout-schema.json": "CIP_IMAGE_INVALID: JSON Schema",
  "oci-image-spec/schema/image-manifest-schema.json": "CIP_IMAGE_INVALID: JSON Schema",
  "opa-contrib_image_enforcer_docker_manifests.json": "CIP_IMAGE_INVALID: not a manifest or index",
  "trivy_docker-save-manifest.json": "image/docker-v2s2",
  "trivy_oci-index-multi-blob-56f658ee.json": "index/oci-index",
  "trivy_oci-index-multi.json": "index/oci-index",
};

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

function outcome(bytes: Buffer, where: string): string {
  try {
    const m = parseManifest(bytes, undefined, where);
    return `${m.kind}/${m.format}`;
  } catch (error) {
    assert.ok(isCipError(error), `${where}: expected a CipError, got ${String(error)}`);
    assert.match(error.message, /^Cannot read the image manifest: .+ \(.+\)$/);
    assert.ok(error.message.includes(where), `${where}: the message names the file`);
    return `${error.code}: ${error.message}`;
  }
}

describe("every corpus manifest is classified or rejected clearly", { skip: NO_CORPUS }, () => {
  const files = NO_CORPUS ? [] : walk(corpusPath(ROOT)).map((p) => relative(corpusPath(ROOT), p));

  test("the table covers every file", () => {
    assert.deepEqual([...files].sort(), Object.keys(EXPECTED).sort());
  });

  for (const file of files) {
    test(file, () => {
      const got = outcome(readFileSync(corpusPath(join(ROOT, file))), file);
      const want = EXPECTED[file] ?? "(no expectation)";
      if (want.startsWith("CIP_")) {
        const [code, part] = want.split(": ", 2) as [string, string];
        assert.ok(got.startsWith(`${code}: `), `${file}: got ${got}`);
        assert.ok(got.includes(part), `${file}: ${got} should say ${part}`);
      } else {
        assert.equal(got, want);
      }
    });
  }
});

function corpus(file: string) {
  return parseManifest(readFileSync(corpusPath(join(ROOT, file))), undefined, file);
}

describe("what a classified manifest says", { skip: NO_CORPUS }, () => {
  test("Docker v2 schema 2: config and layers, base first", () => {
    const m = corpus("anchore_nginx_manifest.docker-v2s2.json");
    assert.equal(m.kind, "image");
    if (m.kind !== "image") return;
    assert.equal(m.config.digest, "sha256:daee903b4e436178418e41d8dc223b73632144847e5fe81d061296e667f16ef2");
    assert.equal(m.layers.length, 5);
    assert.equal(m.encrypted, false);
    assert.deepEqual(m.unknownLayerTypes, []);
  });

  test("manifest list entries keep their platform and variant", () => {
    const m = corpus("anchore_nginx_manifest_list.json");
    assert.equal(m.kind, "index");
    if (m.kind !== "index") return;
    assert.equal(m.manifests.length, 8);
    assert.deepEqual(m.manifests[1]?.platform, { os: "linux", architecture: "arm", variant: "v5" });
  });

  test("schema 1: layers from fsLayers base first, config from history[0]", () => {
    const m = corpus("containers-image/image-fixtures_schema1.json");
    assert.equal(m.kind, "schema1");
    if (m.kind !== "schema1") return;
    assert.equal(m.signed, true);
    assert.equal(m.mediaType, MEDIA_TYPES.dockerSchema1Signed);
    assert.equal(m.name, "rhosp12/openstack-nova-api");
    assert.equal(m.config.architecture, "amd64");
    assert.ok(m.layers.length > 0);
    assert.equal(m.v1History.length, readHistoryLength("containers-image/image-fixtures_schema1.json"));
  });

  test("schema 1 unsigned is read too, and throwaway layers are left out", () => {
    const m = corpus("containers-image/v2s1-unsigned.manifest.json");
    assert.equal(m.kind, "schema1");
    if (m.kind !== "schema1") return;
    assert.equal(m.signed, false);
    assert.equal(m.mediaType, MEDIA_TYPES.dockerSchema1);
  });

  test("encrypted layers: still an image, flagged encrypted", () => {
    const m = corpus("containers-image/ociv1.encrypted.manifest.json");
    assert.ok(m.kind === "image" && m.encrypted);
  });

  test("unknown layer media types: still an image, listed", () => {
    const m = corpus("containers-image/ociv1.invalid.mediatype.manifest.json");
    assert.ok(m.kind === "image");
    if (m.kind !== "image") return;
    assert.deepEqual(m.unknownLayerTypes, ["application/vnd.oci.image.layer.v1.tar+unknown"]);
  });

  test("an artifact says its type", () => {
    const m = corpus("containers-image/ociv1.artifact.json");
    assert.ok(m.kind === "artifact");
    if (m.kind !== "artifact") return;
    assert.equal(m.artifactType, "application/vnd.oci.custom.artifact.config.v1+json");
  });
});

function readHistoryLength(file: string): number {
  const doc = JSON.parse(readFileSync(corpusPath(join(ROOT, file)), "utf8")) as { history: unknown[] };
  return doc.history.length;
}

const DIGEST_A = `sha256:${"a".repeat(64)}`;
const ociManifest = {
  schemaVersion: 2,
  mediaType: MEDIA_TYPES.ociManifest,
  config: { mediaType: MEDIA_TYPES.ociConfig, digest: DIGEST_A, size: 10 },
  layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: DIGEST_A, size: 5 }],
};

describe("classifyManifest on documents written here", () => {
  test("the served media type counts when the document has none; charset parameters are ignored", () => {
    const { mediaType: _, ...bare } = ociManifest;
    const m = classifyManifest(bare, `${MEDIA_TYPES.ociManifest}; charset=utf-8`);
    assert.equal(m.kind, "image");
    assert.equal(m.mediaType, MEDIA_TYPES.ociManifest);
  });

  test("a mismatch between the served and declared media type is refused", () => {
    assert.throws(
      () => classifyManifest(ociManifest, MEDIA_TYPES.dockerManifest, "registry.test/app:1"),
      (e: Error) =>
        isCipError(e) &&
        e.code === "CIP_IMAGE_INVALID" &&
        e.message ===
          `Cannot read the image manifest: served as ${MEDIA_TYPES.dockerManifest} but the document says mediaType ${MEDIA_TYPES.ociManifest} (registry.test/app:1)`,
    );
  });

  test("from a descriptor, the document's own media type wins and a non-manifest type is ignored", () => {
    // As layouts in the wild have it: a Docker manifest described as OCI, a manifest described as a descriptor.
    const docker = { ...ociManifest, mediaType: MEDIA_TYPES.dockerManifest };
    const described = classifyManifest(docker, MEDIA_TYPES.ociManifest, "layout, blob x", "descriptor");
    assert.equal(described.mediaType, MEDIA_TYPES.dockerManifest);
    const { mediaType: _, ...bare } = ociManifest;
    const generic = classifyManifest(bare, "application/vnd.oci.descriptor.v1+json", "x", "descriptor");
    assert.equal(generic.kind, "image");
    // Without a type of its own, a document takes the descriptor's.
    const list = classifyManifest(
      { schemaVersion: 2, manifests: [] },
      MEDIA_TYPES.dockerManifestList,
      "x",
      "descriptor",
    );
    assert.equal(list.format, "docker-list");
    // The same non-manifest type from a registry is refused.
    assert.throws(
      () => classifyManifest(bare, "application/vnd.oci.descriptor.v1+json"),
      /media type application\/vnd\.oci\.descriptor\.v1\+json is not a manifest or index/,
    );
  });

  test("generic content types (application/json) do not override the shape", () => {
    assert.equal(classifyManifest(ociManifest, "application/json").kind, "image");
  });

  test("an unknown manifest media type is refused, naming it", () => {
    assert.throws(
      () => classifyManifest({ ...ociManifest, mediaType: "application/vnd.example.thing+json" }),
      /media type application\/vnd\.example\.thing\+json is not a manifest or index/,
    );
  });

  test("an invalid media type is refused", () => {
    assert.throws(() => classifyManifest({ ...ociManifest, mediaType: "not a type" }), /is not a media type/);
    assert.throws(() => classifyManifest(ociManifest, "bogus"), /"bogus" is not a media type/);
  });

  test("schemaVersion other than 1 and 2 is refused", () => {
    assert.throws(
      () => classifyManifest({ ...ociManifest, schemaVersion: 3 }),
      /schemaVersion 3 is not supported/,
    );
  });

  test("a layer without a valid digest is refused, naming the layer", () => {
    const bad = {
      ...ociManifest,
      layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar", digest: "x", size: 1 }],
    };
    assert.throws(() => classifyManifest(bad), /layers\[0\]\.digest "x" is not a digest/);
  });

  test("artifactType makes an OCI manifest an artifact even with an image config type", () => {
    const m = classifyManifest({ ...ociManifest, artifactType: "application/vnd.example.sbom.v1" });
    assert.equal(m.kind, "artifact");
  });

  test("not an object", () => {
    assert.throws(() => classifyManifest([1, 2]), /expected a JSON object, found an array/);
    assert.throws(() => classifyManifest(null), /found null/);
  });
});
