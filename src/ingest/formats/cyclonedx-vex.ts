import {
  DocumentReader,
  isObject,
  type JsonObject,
  optionalString,
  optionalTime,
  stringList,
} from "../document-reader.js";
import { parsePurl } from "../normalize/purl.js";
import type { VexDocument, VexStatement } from "../parsed-report.js";
import type { VexFormat } from "../report-format.js";

// CycloneDX analysis states onto VEX statuses.
const STATES: Readonly<Record<string, VexStatement["status"]>> = {
  not_affected: "not_affected",
  false_positive: "not_affected",
  resolved: "fixed",
  resolved_with_pedigree: "fixed",
  exploitable: "affected",
  in_triage: "under_investigation",
};
const BOM_LINK_PREFIX = "urn:cdx:";

/**
 * CycloneDX VEX: a CycloneDX document whose vulnerabilities carry an `analysis` and which lists no
 * components (a document with components is an SBOM, read by the CycloneDX format). One statement per
 * analysed vulnerability; its products are the `affects` refs: a local bom-ref resolved to the component's
 * purl where it has one, a bom-link kept as written plus the purl its fragment names. `affects[].versions`
 * narrow a versionless product to those versions (`purl@2.5`, `purl@vers:generic/…`), so a statement about
 * some versions never covers all of them.
 */
export const cyclonedxVexFormat: VexFormat = {
  id: "cyclonedx-vex",
  name: "CycloneDX VEX",
  detect(document: unknown): boolean {
    if (!isObject(document) || document.bomFormat !== "CycloneDX") return false;
    const { vulnerabilities, components } = document;
    if (Array.isArray(components) && components.length > 0) return false;
    return Array.isArray(vulnerabilities) && vulnerabilities.some((v) => isObject(v) && isObject(v.analysis));
  },
  parse(document: unknown, source: string): VexDocument {
    const r = new DocumentReader("CycloneDX VEX", source);
    const doc = r.object(document, "$");
    if (doc.bomFormat !== "CycloneDX") throw r.invalid("$.bomFormat", 'expected "CycloneDX"');
    const metadata = isObject(doc.metadata) ? doc.metadata : {};
    const purls = new Map<string, string>();
    collectPurls(metadata.component, purls);
    if (Array.isArray(doc.components)) for (const c of doc.components) collectPurls(c, purls);
    const documentTime = optionalTime(metadata.timestamp);
    const statements: VexStatement[] = [];
    const vulnerabilities = r.array(doc.vulnerabilities, "$.vulnerabilities");
    for (let i = 0; i < vulnerabilities.length; i++) {
      const statement = readVulnerability(
        r,
        vulnerabilities[i],
        `$.vulnerabilities[${i}]`,
        purls,
        documentTime,
      );
      if (statement) statements.push(statement);
    }
    return { format: "cyclonedx-vex", id: optionalString(doc.serialNumber) ?? source, statements };
  },
};

/** bom-ref → purl of a component and its nested components. */
function collectPurls(value: unknown, out: Map<string, string>, depth = 0): void {
  if (!isObject(value) || depth > 64) return;
  const ref = optionalString(value["bom-ref"]);
  const purl = optionalString(value.purl);
  if (ref !== undefined && purl !== undefined) out.set(ref, purl);
  if (Array.isArray(value.components)) for (const c of value.components) collectPurls(c, out, depth + 1);
}

function readVulnerability(
  r: DocumentReader,
  value: unknown,
  path: string,
  purls: ReadonlyMap<string, string>,
  documentTime: string | undefined,
): VexStatement | undefined {
  const v = r.object(value, path);
  // A vulnerability without an analysed state is a finding, not a statement.
  if (!isObject(v.analysis) || v.analysis.state === undefined) return undefined;
  const analysis = v.analysis;
  const state = analysis.state;
  const status = typeof state === "string" ? STATES[state] : undefined;
  if (status === undefined) {
    throw r.invalid(
      `${path}.analysis.state`,
      `expected one of ${Object.keys(STATES).join(", ")}, got ${typeof state === "string" ? `"${state}"` : typeof state}`,
    );
  }
  const id = r.requiredString(v.id, `${path}.id`);
  const products: string[] = [];
  const affects = r.array(v.affects, `${path}.affects`);
  if (affects.length === 0)
    throw r.invalid(`${path}.affects`, "an analysed vulnerability must name what it affects");
  for (let i = 0; i < affects.length; i++) {
    const entryPath = `${path}.affects[${i}]`;
    const entry = r.object(affects[i], entryPath);
    const ids = productIds(r.requiredString(entry.ref, `${entryPath}.ref`), purls);
    const versions = versionsOf(r, entry.versions, `${entryPath}.versions`);
    for (const product of versions === undefined
      ? ids
      : ids.flatMap((p) => versions.map((ver) => withVersion(p, ver)))) {
      if (!products.includes(product)) products.push(product);
    }
  }
  const aliases = referenceIds(v.references).filter((a) => a !== id);
  const justification = optionalString(analysis.justification);
  const response = stringList(analysis.response);
  const text = [
    state === "false_positive" ? "false positive" : undefined,
    optionalString(analysis.detail),
    response.length > 0 ? `response: ${response.join(", ")}` : undefined,
  ]
    .filter((t): t is string => t !== undefined)
    .join("; ");
  const timestamp = optionalTime(analysis.lastUpdated) ?? optionalTime(analysis.firstIssued) ?? documentTime;
  return {
    vulnerability: id,
    aliases,
    products,
    subcomponents: [],
    status,
    ...(justification !== undefined ? { justification } : {}),
    ...(text !== "" ? { statement: text } : {}),
    ...(timestamp !== undefined ? { timestamp } : {}),
  };
}

/** The product ids of one `affects[].ref`. */
function productIds(ref: string, purls: ReadonlyMap<string, string>): string[] {
  if (ref.startsWith(BOM_LINK_PREFIX)) {
    const hash = ref.indexOf("#");
    const fragment = hash >= 0 ? ref.slice(hash + 1) : "";
    const purl = purls.get(fragment) ?? (fragment.startsWith("pkg:") ? fragment : undefined);
    return purl !== undefined ? [ref, purl] : [ref];
  }
  return [purls.get(ref) ?? ref];
}

/**
 * The versions (exact or `vers:` ranges) an affects entry is limited to; undefined when it lists none. Their
 * `status` is the advisory's view of the version, which the analysis may overrule, so every one is kept.
 */
function versionsOf(r: DocumentReader, value: unknown, path: string): string[] | undefined {
  const list = r.array(value, path);
  if (list.length === 0) return undefined;
  const out: string[] = [];
  for (let i = 0; i < list.length; i++) {
    const entry: JsonObject = r.object(list[i], `${path}[${i}]`);
    const version = optionalString(entry.version) ?? optionalString(entry.range);
    if (version === undefined) throw r.invalid(`${path}[${i}]`, "a version entry needs a version or a range");
    out.push(version);
  }
  return out;
}

/** `product` limited to `version`: a versionless purl gets it as its version, anything else a `@version` suffix. */
function withVersion(product: string, version: string): string {
  const purl = parsePurl(product);
  if (purl) {
    if (purl.version !== undefined) return product;
    const cut = product.search(/[?#]/);
    return cut < 0 ? `${product}@${version}` : `${product.slice(0, cut)}@${version}${product.slice(cut)}`;
  }
  return `${product}@${version}`;
}

function referenceIds(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  const out: string[] = [];
  for (const reference of value) {
    const id = isObject(reference) ? optionalString(reference.id) : undefined;
    if (id !== undefined && !out.includes(id)) out.push(id);
  }
  return out;
}
