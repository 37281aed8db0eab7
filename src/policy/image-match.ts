import { type ImageRule, isDigestOnly, type Mapping } from "../model/index.js";
import { mapSelectorAllows } from "./map-selector.js";
import { nameSelectorMatch, wildcardMatch } from "./wildcard.js";

/**
 * The image a mapping or an allowed/denied image rule is matched against: the reference it was asked for by
 * (already parsed: `docker.io`, `library/nginx`, `latest`) plus what is known of the image itself. An image
 * known only by its digest has `registry` and `repository` empty (as ImageRef), no tag and its `digest`.
 */
export interface MatchTarget {
  /** Registry host; empty when the image is known only by its digest. */
  registry: string;
  /** Repository path; empty when the image is known only by its digest. */
  repository: string;
  /** Absent for a digest-pinned reference; matched as anchore's placeholder tag `*`. */
  tag?: string;
  /** Manifest digest (`sha256:…`). */
  digest?: string;
  /** Config digest (`sha256:…`); a bare 64-hex anchore image id names the same image. */
  imageId?: string;
}

/** Where an admission request or a CI run comes from, for the CIPolicE mapping selectors. */
export interface MatchContext {
  namespace?: string;
  environment?: string;
  /** The namespace's labels; undefined when not known (CI runs). */
  namespaceLabels?: Readonly<Record<string, string>>;
  /** The pod's annotations; undefined when not known. */
  annotations?: Readonly<Record<string, string>>;
}

const DOCKER_HUB = "docker.io";
const OFFICIAL_PREFIX = "library/";
const SHA256_PREFIX = "sha256:";
// anchore's placeholder when no tag is given (`*/*:*`): a `*` pattern selects it, a specific tag does not.
const NO_TAG = "*";

/**
 * True when `rule` selects `target`, as anchore-engine's ImageMappingRule.matches: the registry and
 * repository patterns must match first; then a `tag` rule matches the tag pattern only (anchore also tries
 * the image id and digest, but against the rule's id/digest, which a tag rule never has, so never on the
 * tag value); `digest` and `id` rules need exact equality and never match an absent value.
 * Compatibility: a Docker Hub official image (`docker.io/library/nginx`) also matches the repository as
 * anchore users wrote it for `docker.io/nginx` (`nginx`); a rule registry `dockerhub` means `docker.io`.
 * An image known only by its digest matches only rules whose registry and repository patterns are `*`:
 * a rule naming a registry or repository (or using `regexp:`) cannot tell whether that digest is there, so
 * it does not select it; a `digest` rule under `*`/`*` picks it out.
 */
export function imageRuleMatches(rule: ImageRule, target: MatchTarget): boolean {
  if (isDigestOnly(target) && !digestOnlyMatches(rule)) return false;
  if (!registryMatches(rule.registry, target.registry)) return false;
  if (!repositoryMatches(rule.repository, target)) return false;
  const { type, value } = rule.image;
  switch (type) {
    case "tag":
      return patternMatches(value, target.tag ?? NO_TAG);
    case "digest":
      return target.digest !== undefined && value === target.digest;
    case "id":
      return target.imageId !== undefined && sameImageId(value, target.imageId);
    default:
      return false;
  }
}

/**
 * True when `mapping` selects `target` in `context`: imageRuleMatches plus the CIPolicE selectors. A
 * non-empty `namespaces` / `environments` list must have a pattern matching the context's value (in any case); when the
 * context has no such value the mapping does not match (a namespace-scoped mapping must not catch CI runs).
 * `namespaceLabels` / `annotations` must each have every key present with a matching value (mapSelectorAllows).
 */
export function mappingSelects(mapping: Mapping, target: MatchTarget, context: MatchContext = {}): boolean {
  return (
    selectorAllows(mapping.namespaces, context.namespace) &&
    selectorAllows(mapping.environments, context.environment) &&
    mapSelectorAllows(mapping.namespaceLabels, context.namespaceLabels) &&
    mapSelectorAllows(mapping.annotations, context.annotations) &&
    imageRuleMatches(mapping, target)
  );
}

/** The first mapping, in bundle order, that selects `target` in `context`, with its index; undefined when none. */
export function firstMatchingMapping<M extends Mapping>(
  mappings: readonly M[],
  target: MatchTarget,
  context: MatchContext = {},
): { mapping: M; index: number } | undefined {
  for (let index = 0; index < mappings.length; index++) {
    const mapping = mappings[index] as M;
    if (mappingSelects(mapping, target, context)) return { mapping, index };
  }
  return undefined;
}

// Skipping the regex for `*`, the most common pattern, keeps admission-time matching cheap.
function patternMatches(pattern: string, text: string): boolean {
  return pattern === "*" || wildcardMatch(pattern, text);
}

// Only `*` patterns surely match every name; a `regexp:` one may match the empty name by accident (`regexp:(a)?`).
function digestOnlyMatches(rule: ImageRule): boolean {
  return isAnyName(rule.registry) && isAnyName(rule.repository);
}

function isAnyName(pattern: string): boolean {
  return /^\*+$/.test(pattern);
}

function registryMatches(pattern: string, registry: string): boolean {
  // anchore rewrites a `dockerhub/` tag prefix to `docker.io/`, so `dockerhub` names Docker Hub.
  return patternMatches(pattern === "dockerhub" ? DOCKER_HUB : pattern, registry);
}

function repositoryMatches(pattern: string, target: MatchTarget): boolean {
  if (patternMatches(pattern, target.repository)) return true;
  // anchore keeps `docker.io/nginx` as repository `nginx`; bundles written for it name official images so.
  return (
    target.registry === DOCKER_HUB &&
    target.repository.startsWith(OFFICIAL_PREFIX) &&
    wildcardMatch(pattern, target.repository.slice(OFFICIAL_PREFIX.length))
  );
}

function sameImageId(ruleValue: string, imageId: string): boolean {
  if (ruleValue === imageId) return true;
  // anchore's image ids are bare hex; ours carry the algorithm.
  return imageId === SHA256_PREFIX + ruleValue || ruleValue === SHA256_PREFIX + imageId;
}

function selectorAllows(patterns: readonly string[] | undefined, value: string | undefined): boolean {
  if (patterns === undefined || patterns.length === 0) return true;
  if (value === undefined) return false;
  return patterns.some((pattern) => nameSelectorMatch(pattern, value));
}
