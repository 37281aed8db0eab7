import { wildcardMatch } from "./wildcard.js";

/**
 * Kubernetes `matchLabels` with anchore wildcards in the values: true when every key of `selector` is
 * present in `values` with a value matching its pattern (`*` wildcards or `regexp:`, compared with case, as
 * Kubernetes compares label and annotation values). An absent or empty selector selects everything; a
 * selector with keys never matches when `values` is unknown (a label-scoped mapping must not catch CI runs).
 */
export function mapSelectorAllows(
  selector: Readonly<Record<string, string>> | undefined,
  values: Readonly<Record<string, string>> | undefined,
): boolean {
  if (selector === undefined) return true;
  for (const key in selector) {
    if (!Object.hasOwn(selector, key)) continue;
    // Own keys only: a "__proto__" or "constructor" key must not read the prototype
    if (values === undefined || !Object.hasOwn(values, key)) return false;
    const pattern = selector[key] as string;
    if (pattern !== "*" && !wildcardMatch(pattern, values[key] as string)) return false;
  }
  return true;
}

/** The keys a selector names, added to `into` (for cache keys that must tell contexts apart). */
export function addSelectorKeys(
  selector: Readonly<Record<string, string>> | undefined,
  into: Set<string>,
): void {
  if (selector === undefined) return;
  for (const key of Object.keys(selector)) into.add(key);
}
