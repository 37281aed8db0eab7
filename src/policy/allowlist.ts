import type { Allowlist, AllowlistItem, AllowlistMatch, Problem } from "../model/index.js";
import { mapSelectorAllows } from "./map-selector.js";
import { PythonRegexError, regexProblem } from "./python-regex.js";
import { compileWildcard, nameSelectorMatch, type WildcardPattern, wildcardMatch } from "./wildcard.js";

/** An allowlist item ready to match: its expiry parsed. */
interface CompiledItem {
  item: AllowlistItem;
  order: number;
  expiresAtMs?: number;
  /** The trigger id pattern, compiled once (exact ids need none). */
  regex?: WildcardPattern;
}

/** An allowlist compiled for fast lookup by gate and trigger id. */
export interface CompiledAllowlist {
  allowlist: Allowlist;
  byGate: Map<string, GateIndex>;
}

interface GateIndex {
  /** Items whose trigger id has no wildcard, by exact id. */
  exact: Map<string, CompiledItem[]>;
  /** Items of the form `PREFIX+*` (anchore's CVE-keyed items), by PREFIX. */
  byPrefix: Map<string, CompiledItem[]>;
  /** Every other pattern, tried in order. */
  other: CompiledItem[];
}

/** RFC 3339 date-time, as anchore-engine requires for `expires_on` (a bare date is an error there too). */
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** Compiles an allowlist; problems name items whose `expires_on` is not an RFC 3339 date-time. */
export function compileAllowlist(
  allowlist: Allowlist,
  path: string,
): { compiled: CompiledAllowlist; problems: Problem[] } {
  const problems: Problem[] = [];
  const byGate = new Map<string, GateIndex>();
  allowlist.items.forEach((item, order) => {
    const compiled: CompiledItem = { item, order };
    if (item.expiresOn !== undefined) {
      const ms = RFC3339.test(item.expiresOn) ? Date.parse(item.expiresOn) : Number.NaN;
      if (Number.isNaN(ms)) {
        problems.push({
          level: "error",
          code: "CIP_BUNDLE_INVALID",
          message: `allowlist "${allowlist.id}" item "${item.id}": expires_on ${JSON.stringify(item.expiresOn)} is not an RFC 3339 date-time (write e.g. 2027-01-31T00:00:00Z)`,
          allowlistId: allowlist.id,
          itemId: item.id,
          path: `${path}.items[${order}].expires_on`,
        });
        return;
      }
      compiled.expiresAtMs = ms;
    }
    const isPattern = item.triggerId.includes("*") || item.triggerId.trim().startsWith("regexp:");
    if (isPattern) {
      try {
        compiled.regex = compileWildcard(item.triggerId);
      } catch (error) {
        if (!(error instanceof PythonRegexError)) throw error;
        problems.push({
          level: "error",
          code: "CIP_REGEX_UNSUPPORTED",
          message: `allowlist "${allowlist.id}" item "${item.id}": trigger_id ${JSON.stringify(item.triggerId)} ${regexProblem(error)}`,
          allowlistId: allowlist.id,
          itemId: item.id,
          path: `${path}.items[${order}].trigger_id`,
        });
        return;
      }
    }
    const gate = item.gate.toLowerCase();
    let index = byGate.get(gate);
    if (!index) {
      index = { exact: new Map(), byPrefix: new Map(), other: [] };
      byGate.set(gate, index);
    }
    const pattern = item.triggerId;
    const prefixMatch = /^([A-Za-z0-9.:_-]+)\+\*$/.exec(pattern);
    if (!pattern.includes("*") && !pattern.startsWith("regexp:")) push(index.exact, pattern, compiled);
    else if (prefixMatch?.[1]) push(index.byPrefix, prefixMatch[1], compiled);
    else index.other.push(compiled);
  });
  return { compiled: { allowlist, byGate }, problems };
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** What an allowlist lookup needs to know about the hit and the image. */
export interface AllowlistQuery {
  gate: string;
  triggerId: string;
  /** Canonical image reference, for item scopes. */
  image: string;
  namespace?: string;
  /** The namespace's labels, for `scope.namespace_labels`; undefined when not known. */
  namespaceLabels?: Readonly<Record<string, string>>;
  /** The pod's annotations, for `scope.annotations`; undefined when not known. */
  annotations?: Readonly<Record<string, string>>;
  nowMs: number;
}

/** The parts of a context that item scopes read, each only when known (exactOptionalPropertyTypes). */
export function scopeContext(context: {
  namespace?: string | undefined;
  namespaceLabels?: Readonly<Record<string, string>> | undefined;
  annotations?: Readonly<Record<string, string>> | undefined;
}): Pick<AllowlistQuery, "namespace" | "namespaceLabels" | "annotations"> {
  return {
    ...(context.namespace !== undefined ? { namespace: context.namespace } : {}),
    ...(context.namespaceLabels !== undefined ? { namespaceLabels: context.namespaceLabels } : {}),
    ...(context.annotations !== undefined ? { annotations: context.annotations } : {}),
  };
}

/** Result of looking a hit up in the mapping's allowlists. */
export interface AllowlistLookup {
  match?: AllowlistMatch;
  /** Expired items that would have matched: the decision notes them. */
  expired: { allowlist: Allowlist; item: AllowlistItem }[];
}

/**
 * Finds the first allowlist item (allowlists in mapping order, items in document order) that suppresses
 * a hit: same gate (case-insensitive), trigger id equal or matching the pattern, not expired, in scope.
 */
export function lookupAllowlists(
  lists: readonly CompiledAllowlist[],
  query: AllowlistQuery,
): AllowlistLookup {
  const expired: AllowlistLookup["expired"] = [];
  const gate = query.gate.toLowerCase();
  for (const list of lists) {
    const index = list.byGate.get(gate);
    if (!index) continue;
    const plus = query.triggerId.indexOf("+");
    // Each bucket is in document order; the earliest matching item of the three buckets wins.
    let best = firstMatch(index.exact.get(query.triggerId), query, expired, list.allowlist);
    const byPrefix = plus > 0 ? index.byPrefix.get(query.triggerId.slice(0, plus)) : undefined;
    best = earlier(best, firstMatch(byPrefix, query, expired, list.allowlist, best?.order));
    best = earlier(best, firstMatch(index.other, query, expired, list.allowlist, best?.order));
    if (best) return { match: toMatch(list.allowlist, best.item), expired };
  }
  return { expired };
}

function firstMatch(
  items: CompiledItem[] | undefined,
  query: AllowlistQuery,
  expired: AllowlistLookup["expired"],
  allowlist: Allowlist,
  before = Number.POSITIVE_INFINITY,
): CompiledItem | undefined {
  if (!items) return undefined;
  for (const c of items) {
    if (c.order >= before) return undefined;
    if (c.regex ? !c.regex.test(query.triggerId) : c.item.triggerId !== query.triggerId) continue;
    if (!inScope(c.item, query)) continue;
    if (c.expiresAtMs !== undefined && query.nowMs >= c.expiresAtMs) {
      expired.push({ allowlist, item: c.item });
      continue;
    }
    return c;
  }
  return undefined;
}

function earlier(a: CompiledItem | undefined, b: CompiledItem | undefined): CompiledItem | undefined {
  if (!a) return b;
  if (!b) return a;
  return a.order <= b.order ? a : b;
}

function inScope(item: AllowlistItem, query: AllowlistQuery): boolean {
  const scope = item.scope;
  if (!scope) return true;
  if (scope.images && !scope.images.some((p) => wildcardMatch(p, query.image))) return false;
  if (scope.namespaces) {
    const ns = query.namespace;
    if (ns === undefined || !scope.namespaces.some((p) => nameSelectorMatch(p, ns))) return false;
  }
  return (
    mapSelectorAllows(scope.namespaceLabels, query.namespaceLabels) &&
    mapSelectorAllows(scope.annotations, query.annotations)
  );
}

function toMatch(allowlist: Allowlist, item: AllowlistItem): AllowlistMatch {
  return {
    allowlistId: allowlist.id,
    ...(allowlist.name !== undefined ? { allowlistName: allowlist.name } : {}),
    itemId: item.id,
    pattern: item.triggerId,
    ...(item.reason !== undefined ? { reason: item.reason } : {}),
    ...(item.owner !== undefined ? { owner: item.owner } : {}),
    ...(item.ticket !== undefined ? { ticket: item.ticket } : {}),
    ...(item.expiresOn !== undefined ? { expiresOn: item.expiresOn } : {}),
  };
}

// A vulnerability id alone (no `+package`, no wildcard): anchore's package trigger ids never look like this.
const BARE_VULN_ID = /^(CVE|GHSA|RHSA|ALAS|DSA|DLA|USN|ELSA|GO|PYSEC|RUSTSEC|OSV)-[A-Za-z0-9.:_-]+$/i;

/**
 * Notes for the items of these allowlists that suppressed no hit (`used` holds `allowlistId\0itemId`;
 * `expired` keys starting `allowlistId\0itemId\0` are items that would have matched, noted elsewhere).
 * An unused item of the vulnerabilities gate whose trigger id is a bare vulnerability id gets a note of
 * its own: anchore trigger ids are CVE+package, so it can never match, as in anchore-engine.
 */
export function unusedAllowlistNotes(
  lists: readonly CompiledAllowlist[],
  used: ReadonlySet<string>,
  expired: ReadonlySet<string>,
): Problem[] {
  const notes: Problem[] = [];
  const expiredItems = new Set([...expired].map((k) => k.split("\u0000").slice(0, 2).join("\u0000")));
  for (const { allowlist } of lists) {
    const unused: string[] = [];
    for (const item of allowlist.items) {
      const key = `${allowlist.id}\u0000${item.id}`;
      if (used.has(key) || expiredItems.has(key)) continue;
      if (item.gate.toLowerCase() === "vulnerabilities" && BARE_VULN_ID.test(item.triggerId.trim())) {
        notes.push({
          level: "warning",
          code: "CIP_EXCEPTION_UNUSED",
          message: `allowlist "${allowlist.id}" item "${item.id}": trigger_id ${JSON.stringify(item.triggerId)} matches nothing, since anchore trigger ids are CVE+package, e.g. ${item.triggerId}+musl (write ${item.triggerId}+* for every package)`,
          allowlistId: allowlist.id,
          itemId: item.id,
        });
      } else unused.push(`"${item.id}"`);
    }
    if (unused.length > 0) {
      notes.push({
        level: "info",
        code: "CIP_EXCEPTION_UNUSED",
        message: `allowlist "${allowlist.id}": ${unused.length} of ${allowlist.items.length} items suppressed no hit of this image: ${unused.length <= 5 ? unused.join(", ") : `${unused.slice(0, 5).join(", ")} and ${unused.length - 5} more`}`,
        allowlistId: allowlist.id,
      });
    }
  }
  return notes;
}
