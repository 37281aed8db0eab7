import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import { describe, test } from "node:test";
import { corpusPath, readCorpusJson } from "../../../test/support/corpus.js";
import { isCipError } from "../../model/index.js";
import {
  ADMISSION_API_VERSIONS,
  type AdmissionApiVersion,
  admissionResponse,
  type ImageUse,
  INSPECTED_RESOURCES,
  imageUsesByReference,
  parseAdmissionReview,
} from "./admission-review.js";
import {
  charCount,
  MAX_STATUS_MESSAGE_CHARS,
  MAX_WARNING_CHARS,
  MAX_WARNINGS_TOTAL_CHARS,
} from "./answer-text.js";

type Json = Record<string, unknown>;

const REQUESTS = "k8s/admission-request";
const REVIEWS = "k8s/admissionreview";
const OBJECTS = "k8s/objects";

/** The JSON files of a corpus folder, or undefined (and the test skipped, visibly) when it is absent. */
function corpusFiles(folder: string): string[] | undefined {
  const dir = corpusPath(folder);
  return existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith(".json"))
        .sort()
    : undefined;
}

/** Wraps the `.request` part of an AdmissionReview in its envelope. */
function review(request: unknown, apiVersion: AdmissionApiVersion = "admission.k8s.io/v1"): Json {
  return { apiVersion, kind: "AdmissionReview", request };
}

/**
 * The test's own oracle, independent of the parser's per-kind paths: every `image` of every entry of any
 * `containers`, `initContainers` or `ephemeralContainers` list, and every `volumes[].image.reference`,
 * anywhere in the object except its status.
 */
function imagesByWalking(value: unknown, path = ""): { image: string; field: string }[] {
  const found: { image: string; field: string }[] = [];
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      found.push(...imagesByWalking(item, `${path}[${i}]`));
    });
    return found;
  }
  if (typeof value !== "object" || value === null) return found;
  for (const [key, child] of Object.entries(value)) {
    const here = path === "" ? key : `${path}.${key}`;
    if (path === "" && key === "status") continue;
    if (["containers", "initContainers", "ephemeralContainers"].includes(key) && Array.isArray(child)) {
      child.forEach((c, i) => {
        if (typeof c?.image === "string") found.push({ image: c.image, field: `${here}[${i}].image` });
      });
      continue;
    }
    if (key === "volumes" && Array.isArray(child)) {
      child.forEach((v, i) => {
        const reference = v?.image?.reference;
        if (typeof reference === "string")
          found.push({ image: reference, field: `${here}[${i}].image.reference` });
      });
      continue;
    }
    found.push(...imagesByWalking(child, here));
  }
  return found;
}

/** Sorted `field=image` lines, to compare uses regardless of the order lists are read in. */
function usesOf(images: readonly { image: string; field: string }[]): string[] {
  return images.map((u) => `${u.field}=${u.image}`).sort();
}

/** What each kubewarden request holds (from SOURCES.md and the files): kind and its one image. */
const EXPECTED_REQUESTS: Record<string, { kind: string; image: string }> = {
  "kubewarden_trusted-repos_cronjob_creation.json": {
    kind: "CronJob",
    image: "ghcr.io/kubewarden/test-verify-image-signatures:signed",
  },
  "kubewarden_trusted-repos_daemonset_creation.json": {
    kind: "DaemonSet",
    image: "ghcr.io/kubewarden/test-verify-image-signatures:signed",
  },
  "kubewarden_trusted-repos_deployment_creation.json": {
    kind: "Deployment",
    image: "ghcr.io/kubewarden/test-verify-image-signatures:signed",
  },
  "kubewarden_trusted-repos_job_creation.json": {
    kind: "Job",
    image: "ghcr.io/kubewarden/test-verify-image-signatures:signed",
  },
  "kubewarden_trusted-repos_pod_creation.json": { kind: "Pod", image: "nginx:1.0.0" },
  "kubewarden_trusted-repos_pod_creation_implicit_latest.json": { kind: "Pod", image: "nginx" },
  "kubewarden_trusted-repos_pod_creation_latest.json": { kind: "Pod", image: "nginx:latest" },
  "kubewarden_trusted-repos_replicaset_creation.json": {
    kind: "ReplicaSet",
    image: "ghcr.io/kubewarden/test-verify-image-signatures:signed",
  },
  "kubewarden_trusted-repos_replicationcontroller_creation.json": {
    kind: "ReplicationController",
    image: "ghcr.io/kubewarden/test-verify-image-signatures:signed",
  },
  "kubewarden_trusted-repos_statefulset_creation.json": {
    kind: "StatefulSet",
    image: "ghcr.io/kubewarden/test-verify-image-signatures:signed",
  },
  "kubewarden_verify-image-signatures_cronjob_creation_unsigned.json": {
    kind: "CronJob",
    image: "ghcr.io/kubewarden/test-verify-image-signatures:unsigned",
  },
  "kubewarden_verify-image-signatures_deployment_creation_unsigned.json": {
    kind: "Deployment",
    image: "ghcr.io/kubewarden/test-verify-image-signatures:unsigned",
  },
};

describe("corpus: admission requests (the .request part), wrapped in an AdmissionReview", () => {
  const files = corpusFiles(REQUESTS);

  test("every file gives the images a walk of its object finds, in v1 and v1beta1", (t) => {
    if (files === undefined) return t.skip(`corpus folder ${REQUESTS} not found`);
    assert.ok(files.length >= 12, `expected at least 12 requests, found ${files.length}`);
    for (const file of files) {
      const request = readCorpusJson(`${REQUESTS}/${file}`) as Json;
      for (const apiVersion of ADMISSION_API_VERSIONS) {
        const parsed = parseAdmissionReview(review(request, apiVersion));
        assert.equal(parsed.apiVersion, apiVersion, file);
        assert.equal(parsed.uid, request.uid, file);
        assert.equal(parsed.operation, request.operation, file);
        assert.deepEqual(parsed.kind, request.kind, file);
        assert.equal(parsed.inspected, true, file);
        assert.deepEqual(usesOf(parsed.images), usesOf(imagesByWalking(request.object)), file);
        const answer = admissionResponse(parsed, { allowed: false, message: "denied" });
        assert.equal(answer.apiVersion, apiVersion, file);
        assert.equal(answer.response.uid, request.uid, file);
      }
    }
  });

  test("each file's kind, name, container and image as the file says", (t) => {
    if (files === undefined) return t.skip(`corpus folder ${REQUESTS} not found`);
    for (const [file, expected] of Object.entries(EXPECTED_REQUESTS)) {
      assert.ok(files.includes(file), `${file} is missing from the corpus`);
      const parsed = parseAdmissionReview(review(readCorpusJson(`${REQUESTS}/${file}`)));
      assert.equal(parsed.kind.kind, expected.kind, file);
      assert.equal(parsed.name, "nginx", file);
      assert.equal(parsed.namespace, "", file);
      assert.equal(parsed.username, "alice", file);
      assert.equal(parsed.images.length, 1, file);
      assert.deepEqual(parsed.references, [expected.image], file);
      const [use] = parsed.images;
      assert.equal(use?.source, "container", file);
      assert.equal(
        use?.container,
        expected.image.startsWith("nginx") ? "nginx" : "test-verify-image-signatures",
      );
    }
    const cronJob = parseAdmissionReview(
      review(readCorpusJson(`${REQUESTS}/kubewarden_trusted-repos_cronjob_creation.json`)),
    );
    assert.equal(cronJob.images[0]?.field, "spec.jobTemplate.spec.template.spec.containers[0].image");
  });
});

describe("corpus: full AdmissionReviews", () => {
  const files = corpusFiles(REVIEWS);

  test("every review parses; its uid comes back in an answer of its own apiVersion", (t) => {
    if (files === undefined) return t.skip(`corpus folder ${REVIEWS} not found`);
    assert.ok(files.length >= 3, `expected at least 3 reviews, found ${files.length}`);
    for (const file of files) {
      const body = readCorpusJson(`${REVIEWS}/${file}`) as Json;
      const request = body.request as Json;
      const parsed = parseAdmissionReview(body);
      assert.equal(parsed.apiVersion, body.apiVersion, file);
      assert.equal(parsed.uid, request.uid, file);
      assert.deepEqual(usesOf(parsed.images), usesOf(imagesByWalking(request.object)), file);
      const answer = JSON.parse(JSON.stringify(admissionResponse(parsed, { allowed: true })));
      assert.deepEqual(answer, {
        apiVersion: body.apiVersion,
        kind: "AdmissionReview",
        response: { uid: request.uid, allowed: true },
      });
    }
  });

  test("the Pod captured from a cluster: one image, its container, name and namespace", (t) => {
    const file = `${REVIEWS}/kubewarden-policy-server_pod_sleep_100ms.json`;
    if (!existsSync(corpusPath(file))) return t.skip(`corpus file ${file} not found`);
    const parsed = parseAdmissionReview(readCorpusJson(file));
    assert.deepEqual(parsed, {
      apiVersion: "admission.k8s.io/v1",
      uid: "1299d386-525b-4032-98ae-1949f69f9cfc",
      operation: "CREATE",
      kind: { group: "", version: "v1", kind: "Pod" },
      resource: { group: "", version: "v1", resource: "pods" },
      name: "nginx",
      namespace: "default",
      dryRun: false,
      username: "kubernetes-admin",
      images: [
        {
          image: "alpine",
          container: "sleeping-sidecar",
          field: "spec.containers[0].image",
          source: "container",
        },
      ],
      references: ["alpine"],
      // The captured Pod's one annotation has a number for its value, which Kubernetes would not send
      annotationsIgnored: "request.object.metadata.annotations: ignored 1 whose value is not a string",
      inspected: true,
    });
  });

  for (const version of ["v1", "v1beta1"] as const) {
    test(`the fuzzed ${version} round-trip review: an unknown kind, not inspected, answered in ${version}`, (t) => {
      const file = `${REVIEWS}/k8s-api-roundtrip_admission.k8s.io.${version}.AdmissionReview.json`;
      if (!existsSync(corpusPath(file))) return t.skip(`corpus file ${file} not found`);
      const body = readCorpusJson(file) as Json;
      const parsed = parseAdmissionReview(body);
      assert.equal(parsed.apiVersion, `admission.k8s.io/${version}`);
      assert.equal(parsed.uid, "uidValue");
      assert.equal(parsed.operation, "operationValue");
      assert.deepEqual(parsed.kind, { group: "groupValue", version: "versionValue", kind: "kindValue" });
      assert.equal(parsed.subResource, "subResourceValue");
      assert.equal(parsed.name, "nameValue");
      assert.equal(parsed.namespace, "namespaceValue");
      assert.equal(parsed.dryRun, true);
      assert.equal(parsed.inspected, false);
      assert.deepEqual(parsed.images, []);
      assert.match(parsed.skipped ?? "", /subResourceValue/);

      // Every field of our answer is one the API's own fixture has, with the same JSON type.
      const answer = admissionResponse(parsed, {
        allowed: false,
        code: 403,
        message: "image nginx:latest is denied",
        warnings: ["a warning"],
        auditAnnotations: { decision: "d-1" },
      });
      assert.equal(answer.apiVersion, body.apiVersion);
      assert.equal(answer.response.uid, "uidValue");
      const fixture = body.response as Json;
      for (const [key, value] of Object.entries(answer.response)) {
        assert.ok(key in fixture, `response.${key} is not an AdmissionResponse field`);
        assert.equal(typeof value, typeof fixture[key], `response.${key}`);
      }
      for (const key of Object.keys(answer.response.status ?? {})) {
        assert.ok(key in (fixture.status as Json), `response.status.${key} is not a Status field`);
      }
    });
  }
});

describe("corpus: objects with every field populated", () => {
  const files = corpusFiles(OBJECTS);
  const CASES = [
    {
      file: "k8s-api-roundtrip_apps.v1.Deployment.json",
      kind: { group: "apps", version: "v1", kind: "Deployment" },
      prefix: "spec.template.spec",
    },
    {
      file: "k8s-api-roundtrip_core.v1.Pod.json",
      kind: { group: "", version: "v1", kind: "Pod" },
      prefix: "spec",
    },
  ];

  for (const { file, kind, prefix } of CASES) {
    test(`${kind.kind}: every container, initContainer, ephemeralContainer and image volume, with its path`, (t) => {
      if (files === undefined || !files.includes(file))
        return t.skip(`corpus file ${OBJECTS}/${file} not found`);
      const object = readCorpusJson(`${OBJECTS}/${file}`) as Json;
      const parsed = parseAdmissionReview(
        review({ uid: "u-1", kind, operation: "CREATE", namespace: "team-a", object }),
      );
      assert.equal(parsed.inspected, true);
      assert.equal(parsed.name, "nameValue");
      assert.deepEqual(usesOf(parsed.images), usesOf(imagesByWalking(object)));
      assert.deepEqual(
        parsed.images.map((u) => [u.source, u.field, u.image, u.container]),
        [
          ["container", `${prefix}.containers[0].image`, "imageValue", "nameValue"],
          ["initContainer", `${prefix}.initContainers[0].image`, "imageValue", "nameValue"],
          ["ephemeralContainer", `${prefix}.ephemeralContainers[0].image`, "imageValue", "nameValue"],
          ["imageVolume", `${prefix}.volumes[0].image.reference`, "referenceValue", "nameValue"],
        ],
      );
      // Three uses of one image are one decision, each use still named for the message.
      assert.deepEqual(parsed.references, ["imageValue", "referenceValue"]);
      assert.equal(imageUsesByReference(parsed.images).get("imageValue")?.length, 3);
      // An RBD volume's "image" is a Ceph block device, and status images were admitted long ago.
      assert.ok(!parsed.images.some((u) => u.field.includes("rbd") || u.field.startsWith("status")));
    });
  }

  test("Pod through the ephemeralcontainers subresource: only the ephemeral containers", (t) => {
    const file = "k8s-api-roundtrip_core.v1.Pod.json";
    if (files === undefined || !files.includes(file))
      return t.skip(`corpus file ${OBJECTS}/${file} not found`);
    const parsed = parseAdmissionReview(
      review({
        uid: "u-2",
        kind: { group: "", version: "v1", kind: "Pod" },
        subResource: "ephemeralcontainers",
        operation: "UPDATE",
        object: readCorpusJson(`${OBJECTS}/${file}`),
      }),
    );
    assert.equal(parsed.inspected, true);
    assert.deepEqual(
      parsed.images.map((u) => u.field),
      ["spec.ephemeralContainers[0].image"],
    );
  });
});

/** A pod spec using four images, one of them twice, in every list. */
function podSpec(): Json {
  return {
    initContainers: [{ name: "init", image: "busybox:1.36" }],
    containers: [
      { name: "app", image: `registry.example.com/app@sha256:${"a".repeat(64)}` },
      { name: "sidecar", image: "nginx:1.27" },
    ],
    ephemeralContainers: [{ name: "debug", image: "nginx:1.27" }],
    volumes: [
      { name: "data", emptyDir: {} },
      { name: "models", image: { reference: "quay.io/models/m:1" } },
    ],
  };
}

/** Puts a pod spec at the path of a kind (spec.template.spec and so on). */
function objectWith(path: readonly string[], spec: Json): Json {
  let value: Json = spec;
  for (const key of [...path].reverse()) value = { [key]: value };
  return { metadata: { name: "web" }, ...value };
}

describe("generated requests", () => {
  for (const resource of INSPECTED_RESOURCES) {
    test(`${resource.group || "core"}/${resource.kind}: every image with its path`, () => {
      const prefix = resource.podSpecPath.join(".");
      const parsed = parseAdmissionReview(
        review({
          uid: `uid-${resource.kind}`,
          kind: { group: resource.group, version: "v1", kind: resource.kind },
          resource: { group: resource.group, version: "v1", resource: resource.resource },
          operation: "CREATE",
          namespace: "team-a",
          object: objectWith(resource.podSpecPath, podSpec()),
        }),
      );
      assert.equal(parsed.inspected, true);
      assert.equal(parsed.name, "web");
      assert.equal(parsed.namespace, "team-a");
      assert.deepEqual(parsed.images, [
        {
          image: `registry.example.com/app@sha256:${"a".repeat(64)}`,
          container: "app",
          field: `${prefix}.containers[0].image`,
          source: "container",
        },
        {
          image: "nginx:1.27",
          container: "sidecar",
          field: `${prefix}.containers[1].image`,
          source: "container",
        },
        {
          image: "busybox:1.36",
          container: "init",
          field: `${prefix}.initContainers[0].image`,
          source: "initContainer",
        },
        {
          image: "nginx:1.27",
          container: "debug",
          field: `${prefix}.ephemeralContainers[0].image`,
          source: "ephemeralContainer",
        },
        {
          image: "quay.io/models/m:1",
          container: "models",
          field: `${prefix}.volumes[1].image.reference`,
          source: "imageVolume",
        },
      ] satisfies ImageUse[]);
      assert.deepEqual(parsed.references, [
        `registry.example.com/app@sha256:${"a".repeat(64)}`,
        "nginx:1.27",
        "busybox:1.36",
        "quay.io/models/m:1",
      ]);
    });
  }

  test("CronJob reads spec.jobTemplate.spec.template.spec and PodTemplate template.spec", () => {
    const paths = Object.fromEntries(INSPECTED_RESOURCES.map((r) => [r.kind, r.podSpecPath.join(".")]));
    assert.equal(paths.CronJob, "spec.jobTemplate.spec.template.spec");
    assert.equal(paths.PodTemplate, "template.spec");
    assert.equal(paths.Pod, "spec");
  });

  test("Pods on the ephemeralcontainers subresource, also as the EphemeralContainers kind of Kubernetes 1.16-1.21", () => {
    const modern = parseAdmissionReview(
      review({
        uid: "u",
        kind: { group: "", version: "v1", kind: "Pod" },
        subResource: "ephemeralcontainers",
        operation: "UPDATE",
        object: { metadata: { name: "web" }, spec: podSpec() },
      }),
    );
    assert.deepEqual(
      modern.images.map((u) => [u.field, u.image]),
      [["spec.ephemeralContainers[0].image", "nginx:1.27"]],
    );
    const legacy = parseAdmissionReview(
      review({
        uid: "u",
        kind: { group: "", version: "v1", kind: "EphemeralContainers" },
        subResource: "ephemeralcontainers",
        operation: "UPDATE",
        object: { metadata: { name: "web" }, ephemeralContainers: [{ name: "dbg", image: "busybox" }] },
      }),
    );
    assert.deepEqual(
      legacy.images.map((u) => [u.field, u.image, u.container]),
      [["ephemeralContainers[0].image", "busybox", "dbg"]],
    );
  });

  test("other Pod subresources (status, binding, eviction) set no image: not inspected", () => {
    const parsed = parseAdmissionReview(
      review({
        uid: "u",
        kind: { group: "", version: "v1", kind: "Pod" },
        subResource: "status",
        operation: "UPDATE",
        object: { spec: podSpec() },
      }),
    );
    assert.equal(parsed.inspected, false);
    assert.deepEqual(parsed.images, []);
    assert.equal(parsed.skipped, "the status subresource of Pod sets no image");
  });

  test("DELETE: object null, no images, allowed at once", () => {
    const parsed = parseAdmissionReview(
      review({
        uid: "del-1",
        kind: { group: "apps", version: "v1", kind: "Deployment" },
        operation: "DELETE",
        name: "web",
        object: null,
        oldObject: objectWith(["spec", "template", "spec"], podSpec()),
      }),
    );
    assert.equal(parsed.inspected, false);
    assert.deepEqual(parsed.images, []);
    assert.equal(parsed.skipped, "DELETE starts no image");
    assert.equal(parsed.name, "web");
    assert.deepEqual(admissionResponse(parsed, { allowed: true }).response, { uid: "del-1", allowed: true });
  });

  test("an unknown kind (ConfigMap): no images, flagged as not inspected", () => {
    const parsed = parseAdmissionReview(
      review({
        uid: "cm-1",
        kind: { group: "", version: "v1", kind: "ConfigMap" },
        operation: "CREATE",
        namespace: "team-a",
        object: { metadata: { name: "settings" }, data: { image: "nginx" } },
      }),
    );
    assert.equal(parsed.inspected, false);
    assert.deepEqual(parsed.images, []);
    assert.equal(parsed.skipped, "v1, Kind=ConfigMap is not a kind CIPolicE inspects");
    assert.equal(parsed.name, "settings");
  });

  test("a Deployment of another API group is not ours to read", () => {
    const parsed = parseAdmissionReview(
      review({
        uid: "x",
        kind: { group: "example.com", version: "v1", kind: "Deployment" },
        operation: "CREATE",
        object: objectWith(["spec", "template", "spec"], podSpec()),
      }),
    );
    assert.equal(parsed.inspected, false);
    assert.equal(parsed.skipped, "example.com/v1, Kind=Deployment is not a kind CIPolicE inspects");
  });

  test("a workload template may leave an image for a controller to fill in; a Pod may not", () => {
    const spec = { containers: [{ name: "app" }, { name: "side", image: "nginx" }] };
    const deployment = parseAdmissionReview(
      review({
        uid: "x",
        kind: { group: "apps", version: "v1", kind: "Deployment" },
        operation: "CREATE",
        object: objectWith(["spec", "template", "spec"], spec),
      }),
    );
    assert.deepEqual(deployment.references, ["nginx"]);
    assert.throws(
      () =>
        parseAdmissionReview(
          review({
            uid: "x",
            kind: { group: "", version: "v1", kind: "Pod" },
            operation: "CREATE",
            object: { spec },
          }),
        ),
      { message: "Cannot read the AdmissionReview: it is missing (request.object.spec.containers[0].image)" },
    );
  });

  test("imageUsesByReference keeps every use of each distinct image", () => {
    const parsed = parseAdmissionReview(
      review({
        uid: "u",
        kind: { group: "", version: "v1", kind: "Pod" },
        operation: "CREATE",
        object: { spec: podSpec() },
      }),
    );
    const byRef = imageUsesByReference(parsed.images);
    assert.deepEqual([...byRef.keys()], parsed.references);
    assert.deepEqual(
      byRef.get("nginx:1.27")?.map((u) => `${u.container} at ${u.field}`),
      ["sidecar at spec.containers[1].image", "debug at spec.ephemeralContainers[0].image"],
    );
  });
});

describe("malformed AdmissionReviews: 400 with what is wrong and where", () => {
  const pod = (spec: unknown, extra: Json = {}) =>
    review({
      uid: "u",
      kind: { group: "", version: "v1", kind: "Pod" },
      operation: "CREATE",
      object: { spec },
      ...extra,
    });
  const CASES: [string, unknown, string][] = [
    ["an array", [], "the body is an array, not an object"],
    ["null", null, "the body is null, not an object"],
    ["a string", "AdmissionReview", "the body is a string, not an object"],
    ["no apiVersion", { kind: "AdmissionReview", request: {} }, "it is missing (apiVersion)"],
    [
      "a wrong apiVersion",
      { apiVersion: "admission.k8s.io/v2", kind: "AdmissionReview", request: {} },
      'expected admission.k8s.io/v1 or admission.k8s.io/v1beta1, got "admission.k8s.io/v2" (apiVersion)',
    ],
    [
      "a wrong kind",
      { apiVersion: "admission.k8s.io/v1", kind: "ImageReview", request: {} },
      'expected "AdmissionReview", got "ImageReview" (kind)',
    ],
    ["no request", { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview" }, "it is missing (request)"],
    ["a request that is a list", review([]), "expected an object, got an array (request)"],
    ["no uid", review({ kind: { kind: "Pod" }, operation: "CREATE" }), "it is missing (request.uid)"],
    [
      "an empty uid",
      review({ uid: "", kind: { kind: "Pod" }, operation: "CREATE" }),
      "it is empty (request.uid)",
    ],
    [
      "a numeric uid",
      review({ uid: 7, kind: { kind: "Pod" } }),
      "expected a string, got a number (request.uid)",
    ],
    ["no kind", review({ uid: "u", operation: "CREATE" }), "it is missing (request.kind)"],
    [
      "no kind name",
      review({ uid: "u", kind: { group: "" }, operation: "CREATE" }),
      "it is missing (request.kind.kind)",
    ],
    ["no operation", review({ uid: "u", kind: { kind: "Pod" } }), "it is missing (request.operation)"],
    ["a CREATE without object", pod(undefined, { object: null }), "it is missing (request.object)"],
    [
      "a Pod without spec",
      pod(undefined, { object: { metadata: {} } }),
      "it is missing (request.object.spec)",
    ],
    [
      "containers not a list",
      pod({ containers: { name: "app", image: "nginx" } }),
      "expected a list, got an object (request.object.spec.containers)",
    ],
    [
      "a container that is null",
      pod({ containers: [{ image: "nginx" }], initContainers: [null] }),
      "expected a container object, got null (request.object.spec.initContainers[0])",
    ],
    [
      "an image that is not a string",
      pod({
        containers: [
          { name: "a", image: "nginx" },
          { name: "b", image: 42 },
        ],
      }),
      "expected a string, got a number (request.object.spec.containers[1].image)",
    ],
    [
      "an empty Pod image",
      pod({ containers: [{ name: "a", image: "" }] }),
      "it is empty (request.object.spec.containers[0].image)",
    ],
    [
      "an image volume reference that is not a string",
      pod({ containers: [{ image: "nginx" }], volumes: [{ name: "v", image: { reference: ["x"] } }] }),
      "expected a string, got an array (request.object.spec.volumes[0].image.reference)",
    ],
    [
      "a Deployment without template",
      review({
        uid: "u",
        kind: { group: "apps", version: "v1", kind: "Deployment" },
        operation: "CREATE",
        object: { spec: {} },
      }),
      "it is missing (request.object.spec.template)",
    ],
    [
      "a CronJob with a job template that is a string",
      review({
        uid: "u",
        kind: { group: "batch", version: "v1", kind: "CronJob" },
        operation: "CREATE",
        object: { spec: { jobTemplate: "x" } },
      }),
      "expected an object, got a string (request.object.spec.jobTemplate)",
    ],
  ];

  for (const [name, body, what] of CASES) {
    test(name, () => {
      assert.throws(
        () => parseAdmissionReview(body),
        (error) => {
          assert.ok(isCipError(error));
          assert.equal(error.code, "CIP_REQUEST_INVALID");
          assert.equal(error.message, `Cannot read the AdmissionReview: ${what}`);
          assert.ok(error.hint);
          return true;
        },
      );
    });
  }
});

test("a megabyte of kind name is quoted short in the message", () => {
  const body = { apiVersion: "admission.k8s.io/v1", kind: "K".repeat(1_000_000), request: {} };
  assert.throws(
    () => parseAdmissionReview(body),
    (error: Error) =>
      error.message.length < 200 && /more characters left out\)" \(kind\)$/.test(error.message),
  );
});

describe("admissionResponse", () => {
  const v1 = { apiVersion: "admission.k8s.io/v1", uid: "705ab4f5-6393-11e8-b7cc-42010a800002" };

  test("allowed: uid and allowed only", () => {
    assert.deepEqual(admissionResponse(v1, { allowed: true, message: "fine" }), {
      apiVersion: "admission.k8s.io/v1",
      kind: "AdmissionReview",
      response: { uid: v1.uid, allowed: true },
    });
  });

  test("denied: status with 403 by default, or the code given; v1beta1 answered as v1beta1", () => {
    const beta = admissionResponse(
      { apiVersion: "admission.k8s.io/v1beta1", uid: "b-1" },
      { allowed: false, message: "image nginx:latest: tag latest is not allowed" },
    );
    assert.deepEqual(beta, {
      apiVersion: "admission.k8s.io/v1beta1",
      kind: "AdmissionReview",
      response: {
        uid: "b-1",
        allowed: false,
        status: { code: 403, message: "image nginx:latest: tag latest is not allowed" },
      },
    });
    const failed = admissionResponse(v1, { allowed: false, code: 503, message: "policy store unreachable" });
    assert.deepEqual(failed.response.status, { code: 503, message: "policy store unreachable" });
    assert.equal(
      admissionResponse(v1, { allowed: false }).response.status?.message,
      "CIPolicE denied the request",
    );
  });

  test("a long message is cut to 4096 characters, saying how much was left out", () => {
    const message = `${"é".repeat(3000)}${"😀".repeat(3000)}`;
    const status = admissionResponse(v1, { allowed: false, message }).response.status;
    assert.ok(status);
    assert.ok(charCount(status.message) <= MAX_STATUS_MESSAGE_CHARS);
    const match = / … \((\d+) more characters left out\)$/.exec(status.message);
    assert.ok(match, status.message.slice(-60));
    const kept = charCount(status.message) - charCount(match[0]);
    assert.equal(kept + Number(match[1]), 6000);
    assert.ok(!status.message.includes("\uFFFD"), "no surrogate pair is split");
  });

  test("warnings: control characters become spaces, blanks and duplicates go, each and all bounded", () => {
    const warnings = admissionResponse(v1, {
      allowed: true,
      warnings: [
        "spec.containers[0].image: tag\nlatest\u0007 moves",
        "",
        "  ",
        "dup",
        "dup",
        "x".repeat(1000),
      ],
    }).response.warnings;
    assert.ok(warnings);
    assert.equal(warnings[0], "spec.containers[0].image: tag latest  moves");
    assert.equal(warnings[1], "dup");
    assert.equal(warnings.length, 3);
    assert.ok(charCount(warnings[2] ?? "") <= MAX_WARNING_CHARS);
    assert.match(warnings[2] ?? "", /more characters left out\)$/);

    const many = Array.from({ length: 100 }, (_, i) => `image${i}: ${"w".repeat(80)}`);
    const bounded = admissionResponse(v1, { allowed: false, warnings: many }).response.warnings ?? [];
    const total = bounded.reduce((sum, w) => sum + charCount(w), 0);
    assert.ok(total <= MAX_WARNINGS_TOTAL_CHARS, `total ${total}`);
    assert.match(bounded.at(-1) ?? "", /^\d+ more warnings left out$/);
    assert.equal(bounded.length - 1 + Number.parseInt(bounded.at(-1) ?? "", 10), 100);
    assert.equal(admissionResponse(v1, { allowed: true, warnings: [] }).response.warnings, undefined);
  });

  test("audit annotations are passed on; a key the API server would drop is refused", () => {
    const answer = admissionResponse(v1, { allowed: true, auditAnnotations: { "decision-id": "d-42" } });
    assert.deepEqual(answer.response.auditAnnotations, { "decision-id": "d-42" });
    assert.throws(() => admissionResponse(v1, { allowed: true, auditAnnotations: { "bad key/": "x" } }), {
      code: "CIP_INTERNAL",
    });
  });

  test("refuses an apiVersion it cannot answer in, an empty uid and a non-error denial code", () => {
    assert.throws(
      () => admissionResponse({ apiVersion: "admission.k8s.io/v2", uid: "u" }, { allowed: true }),
      {
        code: "CIP_INTERNAL",
      },
    );
    assert.throws(
      () => admissionResponse({ apiVersion: "admission.k8s.io/v1", uid: "" }, { allowed: true }),
      {
        code: "CIP_INTERNAL",
      },
    );
    assert.throws(() => admissionResponse(v1, { allowed: false, code: 200 }), { code: "CIP_INTERNAL" });
  });
});

describe("pod annotations, for mapping selectors", () => {
  /** The object of a kind with annotations put on the pod's metadata (beside its spec) and elsewhere. */
  function annotated(resource: (typeof INSPECTED_RESOURCES)[number]): Json {
    const object = objectWith(resource.podSpecPath, podSpec());
    let holder: Json = object;
    for (const key of resource.podSpecPath.slice(0, -1)) holder = holder[key] as Json;
    holder.metadata = { annotations: { "cipolice.io/profile": "strict" } };
    // The workload's own annotations are not the pod's (unless the object is the Pod)
    if (resource.podSpecPath.length > 1) object.metadata = { name: "web", annotations: { own: "x" } };
    return object;
  }

  for (const resource of INSPECTED_RESOURCES) {
    test(`${resource.group || "core"}/${resource.kind}: the annotations beside the pod spec`, () => {
      const parsed = parseAdmissionReview(
        review({
          uid: "u",
          kind: { group: resource.group, version: "v1", kind: resource.kind },
          operation: "CREATE",
          namespace: "team-a",
          object: annotated(resource),
        }),
      );
      assert.deepEqual(parsed.annotations, { "cipolice.io/profile": "strict" });
      assert.equal(parsed.annotationsIgnored, undefined);
    });
  }

  test("a pod without annotations has none; a value not a string is left out, not refused", () => {
    const pod = (metadata: Json) =>
      review({
        uid: "u",
        kind: { group: "", version: "v1", kind: "Pod" },
        operation: "CREATE",
        object: { metadata, spec: { containers: [{ name: "a", image: "nginx" }] } },
      });
    assert.equal(parseAdmissionReview(pod({ name: "p" })).annotations, undefined);
    const odd = parseAdmissionReview(pod({ annotations: { "a.io/b": 1, "a.io/c": "yes" } }));
    assert.deepEqual(odd.annotations, { "a.io/c": "yes" });
    assert.equal(
      odd.annotationsIgnored,
      "request.object.metadata.annotations: ignored 1 whose value is not a string",
    );
    assert.equal(parseAdmissionReview(pod({ annotations: ["x"] })).annotations, undefined);
  });

  test("beyond 64 entries, or a key or value too long, annotations are ignored and the answer says which", () => {
    const many: Json = { "x.io/long": "v".repeat(4097), ["k".repeat(318)]: "v" };
    for (let i = 0; i < 70; i++) many[`a${i}`] = String(i);
    const parsed = parseAdmissionReview(
      review({
        uid: "u",
        kind: { group: "", version: "v1", kind: "Pod" },
        operation: "CREATE",
        object: { metadata: { annotations: many }, spec: { containers: [{ name: "a", image: "nginx" }] } },
      }),
    );
    const kept = Object.keys(parsed.annotations ?? {});
    assert.equal(kept.length, 64);
    assert.deepEqual(kept.slice(0, 2), ["a0", "a1"]);
    assert.equal(
      parsed.annotationsIgnored,
      "request.object.metadata.annotations: ignored 2 with a key over 317 or a value over 4096 characters, those after the first 64",
    );
  });
});
