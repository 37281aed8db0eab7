/**
 * A policy bundle after loading: Anchore v1_0 names and CIPolicE aliases are folded into one shape
 * (`whitelists` → allowlists, `whitelisted_images` → allowedImages, `blacklisted_images` → deniedImages,
 * `policy_id`/`policy_ids` → policyIds). Parameter values stay strings, as in the document.
 */
export interface Bundle {
  id: string;
  name?: string;
  version: string;
  comment?: string;
  policies: Policy[];
  allowlists: Allowlist[];
  mappings: Mapping[];
  allowedImages: ImageRule[];
  deniedImages: ImageRule[];
}

/** A named list of rules. */
export interface Policy {
  id: string;
  name?: string;
  version: string;
  comment?: string;
  rules: PolicyRule[];
}

/** One gate/trigger rule with its parameters and action, as written (names not yet normalised). */
export interface PolicyRule {
  id?: string;
  gate: string;
  trigger: string;
  action: string;
  params: RuleParam[];
}

/** A rule parameter: a name and a string value. */
export interface RuleParam {
  name: string;
  value: string;
}

/** A named list of allowlist items. */
export interface Allowlist {
  id: string;
  name?: string;
  version: string;
  comment?: string;
  items: AllowlistItem[];
}

/** Suppresses matching trigger hits of one gate. */
export interface AllowlistItem {
  id: string;
  gate: string;
  /** Trigger id, with `*` wildcards, or a raw regular expression after `regexp:`. */
  triggerId: string;
  /** RFC 3339 date-time after which the item no longer applies. */
  expiresOn?: string;
  reason?: string;
  owner?: string;
  ticket?: string;
  /** Limits the item to some images (wildcard patterns over the full reference), namespaces, labels or annotations. */
  scope?: AllowlistScope;
  comment?: string;
}

/** Where an allowlist item applies; each part given must match (CIPolicE extension). */
export interface AllowlistScope {
  images?: string[];
  namespaces?: string[];
  /** Namespace label key -> value pattern; every key must be present with a matching value. */
  namespaceLabels?: Record<string, string>;
  /** Pod annotation key -> value pattern; every key must be present with a matching value. */
  annotations?: Record<string, string>;
}

/** How a mapping or image rule selects by tag, digest or image id. */
export interface ImageSelector {
  type: "tag" | "digest" | "id";
  value: string;
}

/** Selects images by registry, repository and tag/digest/id, each with `*` wildcards. */
export interface ImageRule {
  id?: string;
  name?: string;
  registry: string;
  repository: string;
  image: ImageSelector;
}

/** Maps the images it selects to policies and allowlists; the first matching mapping wins. */
export interface Mapping extends ImageRule {
  policyIds: string[];
  allowlistIds: string[];
  /** CIPolicE extension: only for these Kubernetes namespaces (wildcards allowed). */
  namespaces?: string[];
  /** CIPolicE extension: only for these environments (wildcards allowed). */
  environments?: string[];
  /** CIPolicE extension: only for namespaces carrying every one of these labels (values are patterns). */
  namespaceLabels?: Record<string, string>;
  /** CIPolicE extension: only for pods carrying every one of these annotations (values are patterns). */
  annotations?: Record<string, string>;
  comment?: string;
}
