import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import { describe, test } from "node:test";
import { corpusPath, readCorpusJson } from "../../../test/support/corpus.js";
import { isCipError } from "../../model/index.js";
import { charCount, MAX_STATUS_MESSAGE_CHARS } from "./answer-text.js";
import {
  IMAGE_REVIEW_API_VERSION,
  imageReviewResponse,
  isImagePolicyAnnotation,
  parseImageReview,
} from "./image-review.js";

type Json = Record<string, unknown>;

const FOLDER = "k8s/imagereview";

function corpusFiles(): string[] | undefined {
  const dir = corpusPath(FOLDER);
  return existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith(".json"))
        .sort()
    : undefined;
}

describe("corpus: ImageReviews", () => {
  const files = corpusFiles();

  test("every request gives the images, namespace and annotations of its spec; every answer is one we can give", (t) => {
    if (files === undefined) return t.skip(`corpus folder ${FOLDER} not found`);
    assert.ok(files.length >= 4, `expected at least 4 ImageReviews, found ${files.length}`);
    let requests = 0;
    let answers = 0;
    for (const file of files) {
      const body = readCorpusJson(`${FOLDER}/${file}`) as Json;
      if (body.spec !== undefined) {
        requests++;
        const spec = body.spec as { containers: { image: string }[]; namespace: string; annotations: Json };
        const parsed = parseImageReview(body);
        assert.deepEqual(parsed.images, [...new Set(spec.containers.map((c) => c.image))], file);
        assert.equal(parsed.namespace, spec.namespace, file);
        assert.deepEqual(parsed.annotations, spec.annotations, file);
      } else {
        // An answer alone has no spec: the server answers such a body with 400.
        assert.throws(() => parseImageReview(body), {
          code: "CIP_REQUEST_INVALID",
          message: "Cannot read the ImageReview: it is missing (spec)",
        });
      }
      if (body.status !== undefined) {
        answers++;
        const status = body.status as {
          allowed: boolean;
          reason?: string;
          auditAnnotations?: Record<string, string>;
        };
        const ours = imageReviewResponse(status);
        assert.deepEqual(ours, { apiVersion: body.apiVersion, kind: body.kind, status }, file);
      }
    }
    assert.ok(requests >= 2 && answers >= 3, `${requests} requests, ${answers} answers`);
  });

  test("the documentation's request: two images, its namespace, its break-glass annotation", (t) => {
    const file = `${FOLDER}/k8s-docs_imagereview_request.json`;
    if (!existsSync(corpusPath(file))) return t.skip(`corpus file ${file} not found`);
    const parsed = parseImageReview(readCorpusJson(file));
    assert.deepEqual(parsed, {
      images: [
        "myrepo/myimage:v1",
        "myrepo/myimage@sha256:beb6bd6a68f114c1dc2ea4b28db81bdf91de202a9014972bec5e4d9171d90ed",
      ],
      namespace: "mynamespace",
      annotations: { "mycluster.image-policy.k8s.io/ticket-1234": "break-glass" },
    });
    assert.ok(Object.keys(parsed.annotations).every(isImagePolicyAnnotation));
  });

  test("the documentation's answers, allowed and denied, are exactly what we send", (t) => {
    const allowed = `${FOLDER}/k8s-docs_imagereview_response_allowed.json`;
    const denied = `${FOLDER}/k8s-docs_imagereview_response_denied.json`;
    if (!existsSync(corpusPath(allowed)) || !existsSync(corpusPath(denied))) {
      return t.skip(`corpus files ${allowed} or ${denied} not found`);
    }
    assert.deepEqual(imageReviewResponse({ allowed: true }), readCorpusJson(allowed));
    assert.deepEqual(
      imageReviewResponse({ allowed: false, reason: "image currently blacklisted" }),
      readCorpusJson(denied),
    );
  });

  test("the fuzzed round-trip ImageReview: its metadata is ignored, its spec read", (t) => {
    const file = `${FOLDER}/k8s-api-roundtrip_imagepolicy.k8s.io.v1alpha1.ImageReview.json`;
    if (!existsSync(corpusPath(file))) return t.skip(`corpus file ${file} not found`);
    const parsed = parseImageReview(readCorpusJson(file));
    assert.deepEqual(parsed, {
      images: ["imageValue"],
      namespace: "namespaceValue",
      annotations: { annotationsKey: "annotationsValue" },
    });
    // The API server would not have forwarded this one: it is not a *.image-policy.k8s.io/* key.
    assert.equal(isImagePolicyAnnotation("annotationsKey"), false);
  });
});

describe("generated ImageReviews", () => {
  const review = (spec: unknown, extra: Json = {}) => ({
    apiVersion: IMAGE_REVIEW_API_VERSION,
    kind: "ImageReview",
    spec,
    ...extra,
  });

  test("duplicate images are one; absent containers, namespace and annotations are empty", () => {
    assert.deepEqual(
      parseImageReview(review({ containers: [{ image: "nginx" }, { image: "redis" }, { image: "nginx" }] })),
      { images: ["nginx", "redis"], namespace: "", annotations: {} },
    );
    assert.deepEqual(parseImageReview(review({})), { images: [], namespace: "", annotations: {} });
  });

  test("an annotation named __proto__ stays an annotation", () => {
    const parsed = parseImageReview(
      JSON.parse(
        `{"apiVersion":"${IMAGE_REVIEW_API_VERSION}","kind":"ImageReview","spec":{"annotations":{"__proto__":"x"}}}`,
      ),
    );
    assert.deepEqual(Object.keys(parsed.annotations), ["__proto__"]);
    assert.equal(Object.getPrototypeOf(parsed.annotations), Object.prototype);
  });

  const CASES: [string, unknown, string][] = [
    ["an array", [], "the body is an array, not an object"],
    ["no apiVersion", { kind: "ImageReview", spec: {} }, "it is missing (apiVersion)"],
    [
      "an AdmissionReview",
      { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", request: {} },
      'expected imagepolicy.k8s.io/v1alpha1, got "admission.k8s.io/v1" (apiVersion)',
    ],
    [
      "a wrong kind",
      { apiVersion: IMAGE_REVIEW_API_VERSION, kind: "Pod", spec: {} },
      'expected "ImageReview", got "Pod" (kind)',
    ],
    ["no spec", { apiVersion: IMAGE_REVIEW_API_VERSION, kind: "ImageReview" }, "it is missing (spec)"],
    [
      "containers not a list",
      review({ containers: "nginx" }),
      "expected a list, got a string (spec.containers)",
    ],
    [
      "a container that is a string",
      review({ containers: ["nginx"] }),
      "expected a container object, got a string (spec.containers[0])",
    ],
    [
      "an image that is not a string",
      review({ containers: [{ image: "nginx" }, { image: { name: "x" } }] }),
      "expected a string, got an object (spec.containers[1].image)",
    ],
    ["a container without image", review({ containers: [{}] }), "it is missing (spec.containers[0].image)"],
    ["a numeric namespace", review({ namespace: 3 }), "expected a string, got a number (spec.namespace)"],
    [
      "an annotation that is not a string",
      review({ annotations: { "a.image-policy.k8s.io/ticket": true } }),
      'expected a string, got a boolean (spec.annotations["a.image-policy.k8s.io/ticket"])',
    ],
  ];
  for (const [name, body, what] of CASES) {
    test(`malformed: ${name}`, () => {
      assert.throws(
        () => parseImageReview(body),
        (error) => {
          assert.ok(isCipError(error));
          assert.equal(error.code, "CIP_REQUEST_INVALID");
          assert.equal(error.message, `Cannot read the ImageReview: ${what}`);
          return true;
        },
      );
    });
  }
});

describe("imageReviewResponse", () => {
  test("a long reason is cut, saying how much was left out", () => {
    const reason = "r".repeat(10_000);
    const status = imageReviewResponse({ allowed: false, reason }).status;
    assert.ok(charCount(status.reason ?? "") <= MAX_STATUS_MESSAGE_CHARS);
    assert.match(status.reason ?? "", /more characters left out\)$/);
  });

  test("audit annotations pass; a key the API server would drop is refused", () => {
    assert.deepEqual(
      imageReviewResponse({ allowed: true, auditAnnotations: { "decision-id": "d-1" } }).status,
      {
        allowed: true,
        auditAnnotations: { "decision-id": "d-1" },
      },
    );
    assert.throws(() => imageReviewResponse({ allowed: true, auditAnnotations: { "-bad": "x" } }), {
      code: "CIP_INTERNAL",
    });
  });

  test("an allowed answer with an empty reason sends none", () => {
    assert.deepEqual(imageReviewResponse({ allowed: true, reason: "" }).status, { allowed: true });
  });
});
