import type { IgnoreFile, IgnoreRule } from "../ingest/ignore-files.js";
import { parsePurl, purlKey } from "../ingest/normalize/purl.js";
import type { Allowlist, AllowlistItem, Problem, Vulnerability } from "../model/index.js";
import { packageTriggerId } from "../policy/gates/vulnerabilities.js";
import { wildcardMatch } from "../policy/wildcard.js";

/**
 * Turns ignore files into allowlists of the `vulnerabilities` gate, one per file: each rule becomes one
 * item per package trigger id of the findings it matches (so package, path, purl and fix-state criteria
 * hold), keeping the rule's reason and expiry; the item id says which rule it was. Notes list the rules
 * that match no finding and what a file holds that is not applied.
 */
export function ignoreAllowlists(
  files: readonly IgnoreFile[],
  vulnerabilities: readonly Vulnerability[],
): { allowlists: Allowlist[]; notes: Problem[] } {
  const allowlists: Allowlist[] = [];
  const notes: Problem[] = [];
  for (const file of files) {
    const id = `ignore-file:${file.source}`;
    const items: AllowlistItem[] = [];
    const unused: string[] = [];
    for (const rule of file.rules) {
      const itemId = `${rule.where}${rule.vulnerability ? ` (${rule.vulnerability})` : ""}`;
      const triggerIds = new Set(vulnerabilities.filter((v) => ruleMatches(rule, v)).map(packageTriggerId));
      if (triggerIds.size === 0) unused.push(itemId);
      for (const triggerId of triggerIds) {
        items.push({
          id: itemId,
          gate: "vulnerabilities",
          triggerId,
          ...(rule.reason !== undefined ? { reason: rule.reason } : {}),
          ...(rule.expiresOn !== undefined ? { expiresOn: rule.expiresOn } : {}),
        });
      }
    }
    allowlists.push({ id, name: file.source, version: "1_0", items });
    for (const note of file.notes)
      notes.push({ level: "info", code: "CIP_REPORT_NOTE", message: `${file.source}: ${note}` });
    if (unused.length > 0) {
      notes.push({
        level: "info",
        code: "CIP_EXCEPTION_UNUSED",
        message: `${file.source}: ${unused.length} of ${file.rules.length} ignore rules match no finding of this image: ${shortList(unused)}`,
        allowlistId: id,
      });
    }
  }
  return { allowlists, notes };
}

/** Every field the rule gives must match the finding, as Grype and Trivy apply their rules. */
function ruleMatches(rule: IgnoreRule, v: Vulnerability): boolean {
  const pkg = v.package;
  if (
    rule.vulnerability !== undefined &&
    rule.vulnerability !== v.id &&
    !v.aliases?.includes(rule.vulnerability)
  )
    return false;
  if (rule.fixState !== undefined && v.fix.state !== rule.fixState) return false;
  if (rule.packageName !== undefined && pkg.name !== rule.packageName) return false;
  if (rule.packageVersion !== undefined && pkg.version !== rule.packageVersion) return false;
  if (rule.packageType !== undefined && pkg.type !== rule.packageType) return false;
  if (rule.location !== undefined && !pathMatches(rule.location, pkg.path)) return false;
  if (rule.paths && !rule.paths.some((p) => pathMatches(p, pkg.path))) return false;
  if (rule.purls && !rule.purls.some((p) => purlMatches(p, pkg.purl))) return false;
  return true;
}

/** Paths compare without a leading `/` (Trivy writes them relative, Grype absolute); `*` is a wildcard. */
function pathMatches(pattern: string, path: string | undefined): boolean {
  if (path === undefined) return false;
  return wildcardMatch(pattern.replace(/^\/+/, ""), path.replace(/^\/+/, ""));
}

/** Equal purls (qualifiers ignored), or any version when the rule's purl gives none. */
function purlMatches(rulePurl: string, purl: string | undefined): boolean {
  if (purl === undefined) return false;
  const key = purlKey(rulePurl);
  const findingKey = purlKey(purl);
  if (!key || !findingKey) return false;
  if (key === findingKey) return true;
  return parsePurl(rulePurl)?.version === undefined && findingKey.startsWith(`${key}@`);
}

function shortList(items: readonly string[]): string {
  return items.length <= 5
    ? items.join(", ")
    : `${items.slice(0, 5).join(", ")} and ${items.length - 5} more`;
}
