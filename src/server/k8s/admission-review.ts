import { CipError } from "../../model/index.js";
import { limitWarnings, statusMessageText } from "./answer-text.js";
import { isAuditAnnotationKey } from "./audit-annotations.js";
import {
  ANNOTATION_BOUNDS,
  type BoundedStringMap,
  boundedStringMap,
  childPath,
  describeJson,
  invalidDocument,
  isJsonObject,
  type JsonObject,
  optionalList,
  optionalString,
  quoteValue,
  requiredObject,
  requiredString,
} from "./document-fields.js";

/** The AdmissionReview versions the API server may send (`admissionReviewVersions` of the webhook). */
export const ADMISSION_API_VERSIONS = ["admission.k8s.io/v1", "admission.k8s.io/v1beta1"] as const;

/** One of {@link ADMISSION_API_VERSIONS}; the answer is always given in the version of the question. */
export type AdmissionApiVersion = (typeof ADMISSION_API_VERSIONS)[number];

/** A Kubernetes group/version/kind as the API server sent it (`group` is "" for the core group). */
export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

/** A Kubernetes group/version/resource (the plural name the webhook rules match on). */
export interface GroupVersionResource {
  group: string;
  version: string;
  resource: string;
}

/** Where in a pod spec an image is used. */
export type ImageUseSource = "container" | "initContainer" | "ephemeralContainer" | "imageVolume";

/** One use of an image in the object: which container (or image volume) and the JSON path of the field. */
export interface ImageUse {
  /** The image reference exactly as written in the object. */
  image: string;
  /** The container's name; for an image volume, the volume's name. */
  container: string;
  /** JSON path of the field within the object, e.g. `spec.template.spec.initContainers[0].image`. */
  field: string;
  source: ImageUseSource;
}

/** What CIPolicE reads from an AdmissionReview: who asks about what, and every image the object uses. */
export interface AdmissionRequestImages {
  apiVersion: AdmissionApiVersion;
  uid: string;
  /** CREATE, UPDATE, DELETE or CONNECT, as sent. */
  operation: string;
  kind: GroupVersionKind;
  resource?: GroupVersionResource;
  subResource?: string;
  /** The object's name (`request.name`, else `metadata.name`, else `metadata.generateName`), or "". */
  name: string;
  /** The namespace of the request, "" for cluster-scoped objects. */
  namespace: string;
  dryRun: boolean;
  username?: string;
  /** Every use of an image, in document order (containers, initContainers, ephemeralContainers, volumes). */
  images: ImageUse[];
  /** The distinct image references of `images`, in first-seen order: what the decision is made on. */
  references: string[];
  /**
   * The pod's annotations (a Pod's `metadata.annotations`, a workload's pod template's), within
   * ANNOTATION_BOUNDS; absent when there are none or the request is not inspected.
   */
  annotations?: Record<string, string>;
  /** Which annotations were ignored for being too many or too long, when some were. */
  annotationsIgnored?: string;
  /**
   * False when the request is not one CIPolicE inspects (a kind without images, an unknown kind, DELETE,
   * CONNECT, a subresource that sets no image): the handler allows it at once and logs `skipped`.
   */
  inspected: boolean;
  /** Why the request was not inspected. */
  skipped?: string;
}

/** The answer the handler gives: allowed or not, why, and warnings for the user. */
export interface AdmissionAnswer {
  allowed: boolean;
  /** Shown to the user when denied; ignored by the API server when allowed, so not sent then. */
  message?: string;
  warnings?: string[];
  /** HTTP status code of the denial the user sees; 403 when not given. */
  code?: number;
  /** Added to the audit event, each key prefixed by the API server with the webhook's name. */
  auditAnnotations?: Record<string, string>;
}

/** An AdmissionReview carrying the answer, in the apiVersion of the question. */
export interface AdmissionReviewResponse {
  apiVersion: AdmissionApiVersion;
  kind: "AdmissionReview";
  response: {
    uid: string;
    allowed: boolean;
    status?: { code: number; message: string };
    warnings?: string[];
    auditAnnotations?: Record<string, string>;
  };
}

/** A resource CIPolicE inspects, with the path of its pod spec in the object. */
export interface InspectedResource {
  group: string;
  kind: string;
  /** Plural resource name, as a webhook rule names it. */
  resource: string;
  /** Property names from the object to the pod spec. */
  podSpecPath: readonly string[];
}

const TEMPLATE = ["spec", "template", "spec"] as const;

/**
 * Every kind whose objects carry a pod spec, so its images. The webhook's rules in deploy/ list the same
 * resources (a test checks that). `extensions` is the group older clusters served some of them in.
 */
export const INSPECTED_RESOURCES: readonly InspectedResource[] = [
  { group: "", kind: "Pod", resource: "pods", podSpecPath: ["spec"] },
  { group: "", kind: "ReplicationController", resource: "replicationcontrollers", podSpecPath: TEMPLATE },
  { group: "", kind: "PodTemplate", resource: "podtemplates", podSpecPath: ["template", "spec"] },
  { group: "apps", kind: "Deployment", resource: "deployments", podSpecPath: TEMPLATE },
  { group: "apps", kind: "ReplicaSet", resource: "replicasets", podSpecPath: TEMPLATE },
  { group: "apps", kind: "StatefulSet", resource: "statefulsets", podSpecPath: TEMPLATE },
  { group: "apps", kind: "DaemonSet", resource: "daemonsets", podSpecPath: TEMPLATE },
  { group: "extensions", kind: "Deployment", resource: "deployments", podSpecPath: TEMPLATE },
  { group: "extensions", kind: "ReplicaSet", resource: "replicasets", podSpecPath: TEMPLATE },
  { group: "extensions", kind: "DaemonSet", resource: "daemonsets", podSpecPath: TEMPLATE },
  { group: "batch", kind: "Job", resource: "jobs", podSpecPath: TEMPLATE },
  {
    group: "batch",
    kind: "CronJob",
    resource: "cronjobs",
    podSpecPath: ["spec", "jobTemplate", "spec", "template", "spec"],
  },
];

const BY_GROUP_KIND = new Map(INSPECTED_RESOURCES.map((r) => [`${r.group}/${r.kind}`, r]));

/** The subresource through which ephemeral (debug) containers are added to a running Pod. */
export const EPHEMERAL_CONTAINERS_SUBRESOURCE = "ephemeralcontainers";

const DOC = "AdmissionReview";
const CONTAINER_LISTS = [
  ["containers", "container"],
  ["initContainers", "initContainer"],
  ["ephemeralContainers", "ephemeralContainer"],
] as const;

/**
 * Reads an `admission.k8s.io/v1` or `v1beta1` AdmissionReview: the request's identity and every image its
 * object uses, each with its container and JSON path. Requests CIPolicE does not inspect (see
 * {@link AdmissionRequestImages.inspected}) come back with no images. A body that is not an AdmissionReview
 * the API server would send throws CIP_REQUEST_INVALID naming the exact field, e.g.
 * "Cannot read the AdmissionReview: expected a string, got a number (request.object.spec.containers[1].image)".
 * The pod's annotations are read unless `readAnnotations` is false (no bundle selects on them).
 */
export function parseAdmissionReview(
  body: unknown,
  options: { readAnnotations?: boolean } = {},
): AdmissionRequestImages {
  if (!isJsonObject(body)) throw invalidDocument(DOC, `the body is ${describeJson(body)}, not an object`, "");
  const apiVersion = readApiVersion(body);
  const kindName = optionalString(body, "kind", "", DOC);
  if (kindName !== DOC) {
    const what = kindName === undefined ? "it is missing" : `expected "${DOC}", got ${quoteValue(kindName)}`;
    throw invalidDocument(DOC, what, "kind");
  }
  const request = requiredObject(body, "request", "", DOC);
  const uid = requiredString(request, "uid", "request", DOC);
  const kind = readGroupVersionKind(request, "kind", "request");
  const operation = requiredString(request, "operation", "request", DOC);
  const resource = readGroupVersionResource(request);
  const subResource = optionalString(request, "subResource", "request", DOC) || undefined;
  const namespace = optionalString(request, "namespace", "request", DOC) ?? "";
  const dryRun = request.dryRun === true;
  const userInfo = isJsonObject(request.userInfo) ? request.userInfo : {};
  const username = optionalString(userInfo, "username", "request.userInfo", DOC);
  const object = request.object;
  const base = {
    apiVersion,
    uid,
    operation,
    kind,
    ...(resource === undefined ? {} : { resource }),
    ...(subResource === undefined ? {} : { subResource }),
    name: objectName(request, object),
    namespace,
    dryRun,
    ...(username === undefined ? {} : { username }),
  };
  const skip = (skipped: string): AdmissionRequestImages => ({
    ...base,
    images: [],
    references: [],
    inspected: false,
    skipped,
  });

  // DELETE carries no new object and CONNECT (exec, attach, port-forward) starts no image.
  if (operation === "DELETE" || operation === "CONNECT") return skip(`${operation} starts no image`);
  const target = inspectionTarget(kind, subResource);
  if (typeof target === "string") return skip(target);
  if (!isJsonObject(object)) {
    const what =
      object === undefined || object === null
        ? "it is missing"
        : `expected an object, got ${describeJson(object)}`;
    throw invalidDocument(DOC, what, "request.object");
  }
  const images = target(object);
  // Annotations are read only while some bundle selects on them: the cached path stays as short as it was
  const annotations =
    options.readAnnotations === false
      ? { values: {} }
      : podAnnotations(object, annotationsPath(kind, subResource));
  return {
    ...base,
    images,
    references: distinctReferences(images),
    ...(Object.keys(annotations.values).length > 0 ? { annotations: annotations.values } : {}),
    ...(annotations.ignored !== undefined ? { annotationsIgnored: annotations.ignored } : {}),
    inspected: true,
  };
}

/**
 * Builds the AdmissionReview answering `review` (its apiVersion and uid): `allowed`, and when denied a
 * `status` with the code (403 by default) and the message, cut to a length kubectl shows whole. Warnings
 * are cleaned and bounded so the API server passes each one on as sent (see `limitWarnings`).
 */
export function admissionResponse(
  review: { apiVersion: string; uid: string },
  answer: AdmissionAnswer,
): AdmissionReviewResponse {
  if (!(ADMISSION_API_VERSIONS as readonly string[]).includes(review.apiVersion)) {
    throw new CipError(
      "CIP_INTERNAL",
      `Cannot answer the AdmissionReview: apiVersion ${JSON.stringify(review.apiVersion)} is not one CIPolicE reads`,
      {
        hint: `Answer in the apiVersion parseAdmissionReview returned (${ADMISSION_API_VERSIONS.join(" or ")}).`,
      },
    );
  }
  if (review.uid === "") {
    throw new CipError("CIP_INTERNAL", "Cannot answer the AdmissionReview: the request uid is empty", {
      hint: "Carry the uid parseAdmissionReview returned into the answer.",
    });
  }
  const response: AdmissionReviewResponse["response"] = { uid: review.uid, allowed: answer.allowed };
  if (!answer.allowed) {
    const code = answer.code ?? 403;
    if (!Number.isInteger(code) || code < 400 || code > 599) {
      throw new CipError(
        "CIP_INTERNAL",
        `Cannot answer the AdmissionReview: status code ${code} is not an error code`,
        {
          hint: "Deny with a 4xx or 5xx code, or leave it out for 403.",
        },
      );
    }
    const message = statusMessageText(answer.message ?? "");
    response.status = { code, message: message === "" ? "CIPolicE denied the request" : message };
  }
  const warnings = limitWarnings(answer.warnings ?? []);
  if (warnings.length > 0) response.warnings = warnings;
  if (answer.auditAnnotations !== undefined && Object.keys(answer.auditAnnotations).length > 0) {
    for (const key of Object.keys(answer.auditAnnotations)) {
      if (!isAuditAnnotationKey(key)) {
        throw new CipError(
          "CIP_INTERNAL",
          `Cannot answer the AdmissionReview: audit annotation key ${JSON.stringify(key)} is not a valid name`,
          {
            hint: "Use at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit.",
          },
        );
      }
    }
    response.auditAnnotations = { ...answer.auditAnnotations };
  }
  return { apiVersion: review.apiVersion as AdmissionApiVersion, kind: "AdmissionReview", response };
}

/** The uses of each distinct image reference, in first-seen order: one decision per key, every use named. */
export function imageUsesByReference(images: readonly ImageUse[]): Map<string, ImageUse[]> {
  const byReference = new Map<string, ImageUse[]>();
  for (const use of images) {
    const uses = byReference.get(use.image);
    if (uses === undefined) byReference.set(use.image, [use]);
    else uses.push(use);
  }
  return byReference;
}

function readApiVersion(body: JsonObject): AdmissionApiVersion {
  const apiVersion = optionalString(body, "apiVersion", "", DOC);
  if ((ADMISSION_API_VERSIONS as readonly (string | undefined)[]).includes(apiVersion)) {
    return apiVersion as AdmissionApiVersion;
  }
  const what =
    apiVersion === undefined
      ? "it is missing"
      : `expected ${ADMISSION_API_VERSIONS.join(" or ")}, got ${quoteValue(apiVersion)}`;
  throw invalidDocument(
    DOC,
    what,
    "apiVersion",
    "List only v1 and v1beta1 in the webhook's admissionReviewVersions.",
  );
}

function readGroupVersionKind(request: JsonObject, key: string, path: string): GroupVersionKind {
  const gvk = requiredObject(request, key, path, DOC);
  const here = childPath(path, key);
  return {
    // The core group is "", which Go's JSON encoding writes out but hand-made reviews may leave away.
    group: optionalString(gvk, "group", here, DOC) ?? "",
    version: optionalString(gvk, "version", here, DOC) ?? "",
    kind: requiredString(gvk, "kind", here, DOC),
  };
}

function readGroupVersionResource(request: JsonObject): GroupVersionResource | undefined {
  if (request.resource === undefined || request.resource === null) return undefined;
  const gvr = requiredObject(request, "resource", "request", DOC);
  return {
    group: optionalString(gvr, "group", "request.resource", DOC) ?? "",
    version: optionalString(gvr, "version", "request.resource", DOC) ?? "",
    resource: optionalString(gvr, "resource", "request.resource", DOC) ?? "",
  };
}

function objectName(request: JsonObject, object: unknown): string {
  const name = optionalString(request, "name", "request", DOC);
  if (name) return name;
  const metadata = isJsonObject(object) && isJsonObject(object.metadata) ? object.metadata : {};
  return (
    optionalString(metadata, "name", "request.object.metadata", DOC) ||
    optionalString(metadata, "generateName", "request.object.metadata", DOC) ||
    ""
  );
}

/** How to read the images of this kind and subresource, or why it is not inspected. */
function inspectionTarget(
  kind: GroupVersionKind,
  subResource: string | undefined,
): ((object: JsonObject) => ImageUse[]) | string {
  const isPod = kind.group === "" && kind.kind === "Pod";
  // Kubernetes 1.16 to 1.21 sent the ephemeralcontainers subresource as its own kind.
  if (kind.group === "" && kind.kind === "EphemeralContainers") {
    return (object) => containerImages(object, "", "request.object", true, ["ephemeralContainers"]);
  }
  if (subResource === EPHEMERAL_CONTAINERS_SUBRESOURCE && isPod) {
    // Only the ephemeral containers can change through this subresource; the running ones were judged
    // when the Pod was created, and judging them again would block debugging after a policy change.
    return (object) => {
      const spec = requiredObject(object, "spec", "request.object", DOC);
      return containerImages(spec, "spec", "request.object.spec", true, ["ephemeralContainers"]);
    };
  }
  if (subResource !== undefined) return `the ${subResource} subresource of ${kind.kind} sets no image`;
  const inspected = BY_GROUP_KIND.get(`${kind.group}/${kind.kind}`);
  if (inspected === undefined) {
    const gvk = `${kind.group === "" ? "" : `${kind.group}/`}${kind.version}, Kind=${kind.kind}`;
    return `${gvk} is not a kind CIPolicE inspects`;
  }
  // The API server validates a Pod before validating webhooks see it, so a Pod always names its images;
  // workload templates may leave them for a controller or config tool to fill in.
  const imageRequired = isPod;
  return (object) => {
    let spec = object;
    let path = "";
    for (const key of inspected.podSpecPath) {
      spec = requiredObject(spec, key, childPath("request.object", path), DOC);
      path = childPath(path, key);
    }
    return [
      ...containerImages(spec, path, childPath("request.object", path), imageRequired, [
        "containers",
        "initContainers",
        "ephemeralContainers",
      ]),
      ...volumeImages(spec, path, childPath("request.object", path), imageRequired),
    ];
  };
}

/**
 * Where the pod's metadata is, beside the containers inspectionTarget reads: the object's own for a Pod (and
 * its ephemeral containers), the pod template's for a workload. Only called for inspected requests.
 */
function annotationsPath(kind: GroupVersionKind, subResource: string | undefined): readonly string[] {
  const inspected = subResource === undefined ? BY_GROUP_KIND.get(`${kind.group}/${kind.kind}`) : undefined;
  if (inspected === undefined) return ["metadata"];
  return [...inspected.podSpecPath.slice(0, -1), "metadata"];
}

/** The annotations at `path` + `.annotations`, bounded; none when a part of the path is absent or not a map. */
function podAnnotations(object: JsonObject, path: readonly string[]): BoundedStringMap {
  let at = object;
  let where = "request.object";
  for (const key of path) {
    const next = at[key];
    if (!isJsonObject(next)) return { values: {} };
    at = next;
    where = childPath(where, key);
  }
  if (!isJsonObject(at.annotations)) return { values: {} };
  // Selectors are an extra: an odd annotation is left out rather than failing the admission request
  return boundedStringMap(at, "annotations", where, DOC, ANNOTATION_BOUNDS, "ignore");
}

/** The images of the named container lists of a pod spec, with `field` relative to the object. */
function containerImages(
  spec: JsonObject,
  fieldPath: string,
  errorPath: string,
  imageRequired: boolean,
  lists: readonly ("containers" | "initContainers" | "ephemeralContainers")[],
): ImageUse[] {
  const uses: ImageUse[] = [];
  for (const [list, source] of CONTAINER_LISTS) {
    if (!lists.includes(list)) continue;
    const containers = optionalList(spec, list, errorPath, DOC);
    containers.forEach((container, index) => {
      const at = `${childPath(errorPath, list)}[${index}]`;
      if (!isJsonObject(container)) {
        throw invalidDocument(DOC, `expected a container object, got ${describeJson(container)}`, at);
      }
      const name = optionalString(container, "name", at, DOC) ?? "";
      const image = optionalString(container, "image", at, DOC);
      if (image === undefined || image === "") {
        if (imageRequired)
          throw invalidDocument(DOC, image === "" ? "it is empty" : "it is missing", `${at}.image`);
        return;
      }
      uses.push({ image, container: name, field: `${childPath(fieldPath, list)}[${index}].image`, source });
    });
  }
  return uses;
}

/** The images of image volumes (`volumes[].image.reference`): an image whose files a Pod mounts. */
function volumeImages(
  spec: JsonObject,
  fieldPath: string,
  errorPath: string,
  imageRequired: boolean,
): ImageUse[] {
  const uses: ImageUse[] = [];
  optionalList(spec, "volumes", errorPath, DOC).forEach((volume, index) => {
    const at = `${childPath(errorPath, "volumes")}[${index}]`;
    if (!isJsonObject(volume))
      throw invalidDocument(DOC, `expected a volume object, got ${describeJson(volume)}`, at);
    if (volume.image === undefined || volume.image === null) return;
    const source = requiredObject(volume, "image", at, DOC);
    const reference = optionalString(source, "reference", `${at}.image`, DOC);
    if (reference === undefined || reference === "") {
      if (imageRequired) {
        throw invalidDocument(
          DOC,
          reference === "" ? "it is empty" : "it is missing",
          `${at}.image.reference`,
        );
      }
      return;
    }
    const name = optionalString(volume, "name", at, DOC) ?? "";
    uses.push({
      image: reference,
      container: name,
      field: `${childPath(fieldPath, "volumes")}[${index}].image.reference`,
      source: "imageVolume",
    });
  });
  return uses;
}

function distinctReferences(images: readonly ImageUse[]): string[] {
  return [...new Set(images.map((use) => use.image))];
}
