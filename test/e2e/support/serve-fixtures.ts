import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT } from "../../support/corpus.js";

/** The bearer token the serve tests configure, and the header that carries it. */
export const TEST_TOKEN = "e2e-push-token-0123456789";
/** `Authorization: Bearer …` with {@link TEST_TOKEN}. */
export const AUTH = { authorization: `Bearer ${TEST_TOKEN}` };

/** The registry placeholder of policies/admission-example.yaml. */
export const EXAMPLE_REGISTRY_PLACEHOLDER = "registry.internal.example:5000";

/** A temp copy of the example admission bundle naming `registryHost` as the internal registry. */
export interface ExampleBundle {
  path: string;
  /** The bundle text written. */
  text: string;
  remove(): Promise<void>;
}

/** Copies policies/admission-example.yaml into a temp dir with its internal registry replaced by `registryHost`. */
export async function exampleBundleFor(registryHost: string): Promise<ExampleBundle> {
  const source = await readFile(join(REPO_ROOT, "policies", "admission-example.yaml"), "utf8");
  if (!source.includes(EXAMPLE_REGISTRY_PLACEHOLDER)) {
    throw new Error(`policies/admission-example.yaml no longer names ${EXAMPLE_REGISTRY_PLACEHOLDER}`);
  }
  const dir = await mkdtemp(join(tmpdir(), "cipolice-bundle-"));
  const path = join(dir, "admission.yaml");
  const text = source.replaceAll(EXAMPLE_REGISTRY_PLACEHOLDER, registryHost);
  await writeFile(path, text);
  return { path, text, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** The configuration the serve tests share: the bundle, one token, and whatever `extra` adds. */
export function serveConfig(policy: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    policies: [policy],
    auth: { tokens: [{ name: "ci", token: TEST_TOKEN }] },
    log: { level: "info" },
    ...extra,
  };
}

/** An AdmissionReview v1 for a Pod in `namespace` running `images`, one container each. */
export function podReview(
  namespace: string,
  images: readonly string[],
  uid = `uid-${Math.random().toString(36).slice(2)}`,
): Record<string, unknown> {
  return {
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: {
      uid,
      kind: { group: "", version: "v1", kind: "Pod" },
      resource: { group: "", version: "v1", resource: "pods" },
      operation: "CREATE",
      namespace,
      name: "web",
      object: {
        metadata: { name: "web", namespace },
        spec: { containers: images.map((image, i) => ({ name: `c${i}`, image })) },
      },
    },
  };
}

/** The `response` of an AdmissionReview answer. */
export interface AdmissionAnswer {
  uid: string;
  allowed: boolean;
  status?: { code?: number; message?: string };
  warnings?: string[];
}

/** The `response` of an AdmissionReview answer body, checked to be one. */
export function admissionAnswer(json: unknown): AdmissionAnswer {
  const body = json as { kind?: string; response?: AdmissionAnswer };
  if (body?.kind !== "AdmissionReview" || typeof body.response?.allowed !== "boolean") {
    throw new Error(`not an AdmissionReview answer: ${JSON.stringify(json)?.slice(0, 500)}`);
  }
  return body.response;
}

/**
 * A small valid Trivy JSON report (SchemaVersion 2) of `image` at `digest`: one OS package result with a
 * CRITICAL vulnerability `cve` when given, else one LOW finding only.
 */
export function trivyReport(image: string, digest: string, cve?: string): Record<string, unknown> {
  const at = image.lastIndexOf(":");
  const repository = at > image.lastIndexOf("/") ? image.slice(0, at) : image;
  const vulnerabilities = cve
    ? [
        {
          VulnerabilityID: cve,
          PkgName: "openssl",
          InstalledVersion: "3.0.11-1",
          FixedVersion: "3.0.13-1",
          Status: "fixed",
          Severity: "CRITICAL",
          Title: "openssl: test vulnerability",
        },
      ]
    : [
        {
          VulnerabilityID: "CVE-2099-0100",
          PkgName: "zlib1g",
          InstalledVersion: "1:1.2.13",
          Status: "affected",
          Severity: "LOW",
        },
      ];
  return {
    SchemaVersion: 2,
    CreatedAt: new Date().toISOString(),
    ArtifactName: image,
    ArtifactType: "container_image",
    Metadata: {
      OS: { Family: "debian", Name: "12.5" },
      RepoTags: [image],
      RepoDigests: [`${repository}@${digest}`],
    },
    Results: [
      {
        Target: `${image} (debian 12.5)`,
        Class: "os-pkgs",
        Type: "debian",
        Vulnerabilities: vulnerabilities,
      },
    ],
  };
}
