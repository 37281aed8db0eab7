import type { ImageFacts, Problem, Vulnerability } from "../model/index.js";
import { parsePurl, purlKey } from "./normalize/purl.js";
import type { VexDocument, VexStatement } from "./parsed-report.js";

/**
 * Attaches VEX statements to the findings they cover. A statement covers a finding when it names the
 * vulnerability (id or alias) and either names this image as its product (by digest, or a `pkg:oci` purl
 * with this image's digest) with the finding's package among its subcomponents (or no subcomponents), or
 * names the finding's package itself as the product. Of several statements, the newest (by timestamp,
 * then by order given) wins. Findings keep every field; `vex` records status, justification and source.
 * Returns the facts and notes for statements that matched nothing in this image.
 */
export function applyVex(
  facts: ImageFacts,
  documents: readonly VexDocument[],
): { facts: ImageFacts; notes: Problem[] } {
  const notes: Problem[] = [];
  const vulnerabilities = facts.vulnerabilities;
  if (!vulnerabilities || documents.length === 0) return { facts, notes };
  const digests = new Set([facts.digest, facts.ref.digest].filter((d): d is string => d !== undefined));
  const byVuln = new Map<string, { statement: VexStatement; document: VexDocument; order: number }[]>();
  let order = 0;
  for (const document of documents) {
    for (const statement of document.statements) {
      for (const id of [statement.vulnerability, ...statement.aliases]) {
        const list = byVuln.get(id) ?? [];
        list.push({ statement, document, order: order++ });
        byVuln.set(id, list);
      }
    }
  }
  const used = new Set<VexStatement>();
  const result: Vulnerability[] = vulnerabilities.map((v) => {
    const candidates = [v.id, ...(v.aliases ?? [])].flatMap((id) => byVuln.get(id) ?? []);
    let best: { statement: VexStatement; document: VexDocument; order: number } | undefined;
    for (const c of candidates) {
      if (!covers(c.statement, v, digests)) continue;
      used.add(c.statement);
      if (!best || newer(c, best)) best = c;
    }
    if (!best) return v;
    const { statement, document } = best;
    return {
      ...v,
      vex: {
        status: statement.status,
        ...(statement.justification !== undefined ? { justification: statement.justification } : {}),
        ...(statement.statement !== undefined ? { statement: statement.statement } : {}),
        document: `${document.format}:${document.id}`,
      },
    };
  });
  for (const document of documents) {
    const unused = document.statements.filter((s) => !used.has(s)).length;
    if (unused > 0) {
      notes.push({
        level: "info",
        code: "CIP_VEX_UNMATCHED",
        message: `${unused} of ${document.statements.length} statements of VEX document ${document.id} (${document.format}) match no finding of this image`,
      });
    }
  }
  return { facts: { ...facts, vulnerabilities: result }, notes };
}

function covers(statement: VexStatement, v: Vulnerability, digests: ReadonlySet<string>): boolean {
  const pkg = v.package.purl ? purlKey(v.package.purl) : undefined;
  const isThisImage = statement.products.some((p) => namesImage(p, digests));
  if (isThisImage) {
    return (
      statement.subcomponents.length === 0 ||
      (pkg !== undefined && statement.subcomponents.some((s) => samePackage(s, pkg)))
    );
  }
  // A statement about a package (not an image) applies wherever that package is.
  return pkg !== undefined && statement.products.some((p) => samePackage(p, pkg));
}

function namesImage(product: string, digests: ReadonlySet<string>): boolean {
  if (digests.size === 0) return false;
  const purl = parsePurl(product);
  if (purl) return purl.type === "oci" && purl.version !== undefined && digests.has(purl.version);
  for (const d of digests) if (product === d || product.endsWith(`@${d}`)) return true;
  return false;
}

/** Same package: equal purl keys, or equal ignoring the version when the statement's purl gives none. */
function samePackage(statementPurl: string, findingKey: string): boolean {
  const key = purlKey(statementPurl);
  if (!key) return false;
  if (key === findingKey) return true;
  return parsePurl(statementPurl)?.version === undefined && findingKey.startsWith(`${key}@`);
}

function newer(
  a: { statement: VexStatement; order: number },
  b: { statement: VexStatement; order: number },
): boolean {
  const ta = a.statement.timestamp ? Date.parse(a.statement.timestamp) : Number.NaN;
  const tb = b.statement.timestamp ? Date.parse(b.statement.timestamp) : Number.NaN;
  if (!Number.isNaN(ta) && !Number.isNaN(tb) && ta !== tb) return ta > tb;
  return a.order > b.order;
}
