import type { ImageRef, ImageRule } from "../model/index.js";
import type { CompiledBundle } from "./compile-bundle.js";
import type { DataNeed } from "./gate-types.js";
import {
  firstMatchingMapping,
  imageRuleMatches,
  type MatchContext,
  type MatchTarget,
  mappingSelects,
} from "./image-match.js";

/**
 * What to gather about an image before evaluating it:
 * - `reference`: the reference as asked for; always at hand (mapping selection reads it), never a lookup.
 * - `config`: a registry read of the manifest and image config. It resolves the manifest digest on the way.
 * - `reports`: the stored scanner reports of the image's digest, so the digest must be resolved first.
 *
 * The digest is two things. Whether the reference pins one (`image_source/digest_required`, `tag_latest`)
 * is part of the reference. The digest an unpinned reference points at (`image.digest` in CEL, a `digest`
 * mapping or image rule) takes a registry read, counted as `config`; a pinned reference already carries it.
 */
export type DataKind = "reference" | "config" | "reports" | "signatures";

/** What dataNeeds answers. */
export interface DataNeedsResult {
  /** The kinds of data the bundle reads for this image in this context; always includes `reference`. */
  kinds: Set<DataKind>;
  /**
   * The id of the mapping selected from the reference alone. Absent when none selects the image, when the
   * mapping has no id, or when an earlier `digest`/`id` mapping may select the image once its digest or
   * image id is known (`kinds` then include the read that tells, and the needs of every candidate).
   */
  mappingId?: string;
  /** The index of that mapping in the bundle, under the same conditions. */
  mappingIndex?: number;
}

/**
 * Which data a compiled bundle reads to decide `image` in `context`: the needs of every rule of the policies
 * the selected mapping uses (computed when the bundle compiled), plus what the allowed and denied image
 * lists read. A bundle of naming and registry rules needs only the reference, so it can answer with every
 * registry and store unreachable. Cheap enough to call per admission request.
 */
export function dataNeeds(
  bundle: CompiledBundle,
  image: ImageRef,
  context: MatchContext = {},
): DataNeedsResult {
  const target = matchTarget(image);
  const needs = new Set<DataNeed>(["reference"]);
  for (const rule of bundle.bundle.deniedImages) addImageRuleNeeds(rule, target, needs);
  for (const rule of bundle.bundle.allowedImages) addImageRuleNeeds(rule, target, needs);

  const mappings = bundle.bundle.mappings;
  const found = firstMatchingMapping(mappings, target, context);
  const end = found?.index ?? mappings.length;
  let settled = true;
  // A digest or id mapping ahead of the selected one may select the image once its digest or id is known.
  for (let index = 0; index < end; index++) {
    const mapping = mappings[index];
    const unknown = mapping && unknownSelector(mapping, target);
    if (!unknown || !mappingSelects(mapping, unknown.target, context)) continue;
    settled = false;
    needs.add(unknown.need);
    for (const need of bundle.mappingNeeds[index] ?? []) needs.add(need);
  }
  if (found) for (const need of bundle.mappingNeeds[found.index] ?? []) needs.add(need);

  const kinds = new Set<DataKind>();
  for (const need of needs) kinds.add(need === "digest" ? (image.digest ? "reference" : "config") : need);
  if (!found || !settled) return { kinds };
  return {
    kinds,
    ...(found.mapping.id !== undefined ? { mappingId: found.mapping.id } : {}),
    mappingIndex: found.index,
  };
}

/** The target as evaluate builds it from facts that hold only the reference. */
function matchTarget(image: ImageRef): MatchTarget {
  return {
    registry: image.registry,
    repository: image.repository,
    ...(image.tag !== undefined ? { tag: image.tag } : {}),
    ...(image.digest !== undefined ? { digest: image.digest } : {}),
  };
}

/** An allowed/denied rule by tag reads the reference; one by digest or image id may need the lookup that tells. */
function addImageRuleNeeds(rule: ImageRule, target: MatchTarget, needs: Set<DataNeed>): void {
  const unknown = unknownSelector(rule, target);
  if (unknown && imageRuleMatches(rule, unknown.target)) needs.add(unknown.need);
}

/**
 * For a rule selecting by a value the reference does not carry (a digest it does not pin, an image id):
 * the target as it would be if the image had the rule's value, and what finding the real value takes.
 */
function unknownSelector(
  rule: ImageRule,
  target: MatchTarget,
): { target: MatchTarget; need: DataNeed } | undefined {
  const { type, value } = rule.image;
  if (type === "digest" && target.digest === undefined) {
    return { target: { ...target, digest: value }, need: "digest" };
  }
  // The image id is the config digest: only the registry's manifest names it.
  if (type === "id") return { target: { ...target, imageId: value }, need: "config" };
  return undefined;
}
