import {
  DocumentReader,
  isObject,
  type JsonObject,
  optionalString,
  optionalTime,
  stringList,
} from "../document-reader.js";
import type { VexDocument, VexStatement } from "../parsed-report.js";
import type { VexFormat } from "../report-format.js";

const CONTEXT_PREFIX = "https://openvex.dev/ns";
const STATUSES: ReadonlySet<string> = new Set(["not_affected", "affected", "fixed", "under_investigation"]);
// OpenVEX hash algorithm names → the prefix of an OCI digest, so a hashed product can name an image.
const DIGEST_ALGORITHMS: Readonly<Record<string, string>> = { "sha-256": "sha256", "sha-512": "sha512" };

/**
 * OpenVEX documents: 0.0.x (`@context` https://openvex.dev/ns or …/v0.0.1; vulnerability, products and
 * subcomponents as strings) and 0.2.x (`@context` …/v0.2.0; vulnerability `{name | @id, aliases}`, products
 * `{@id, identifiers, hashes, subcomponents}`). A statement whose products carry different subcomponents
 * becomes one statement per product, so each keeps its own subcomponents.
 */
export const openvexFormat: VexFormat = {
  id: "openvex",
  name: "OpenVEX",
  detect(document: unknown): boolean {
    return isObject(document) && hasOpenvexContext(document["@context"]);
  },
  parse(document: unknown, source: string): VexDocument {
    const r = new DocumentReader("OpenVEX", source);
    const doc = r.object(document, "$");
    if (!hasOpenvexContext(doc["@context"])) {
      throw r.invalid("$['@context']", `expected an OpenVEX context starting with ${CONTEXT_PREFIX}`);
    }
    const documentTime = optionalTime(doc.last_updated) ?? optionalTime(doc.timestamp);
    const statements: VexStatement[] = [];
    const raw = r.array(doc.statements, "$.statements");
    for (let i = 0; i < raw.length; i++) {
      readStatement(r, raw[i], `$.statements[${i}]`, documentTime, statements);
    }
    return {
      format: "openvex",
      id: optionalString(doc["@id"]) ?? optionalString(doc.author) ?? source,
      statements,
    };
  },
};

function hasOpenvexContext(context: unknown): boolean {
  if (typeof context === "string") return context.startsWith(CONTEXT_PREFIX);
  // JSON-LD allows a list of contexts.
  return Array.isArray(context) && context.some((c) => typeof c === "string" && c.startsWith(CONTEXT_PREFIX));
}

function readStatement(
  r: DocumentReader,
  value: unknown,
  path: string,
  documentTime: string | undefined,
  out: VexStatement[],
): void {
  const s = r.object(value, path);
  const { id, aliases } = readVulnerability(r, s.vulnerability, `${path}.vulnerability`);
  const status = s.status;
  if (typeof status !== "string" || !STATUSES.has(status)) {
    throw r.invalid(
      `${path}.status`,
      `expected one of ${[...STATUSES].join(", ")}, got ${typeof status === "string" ? `"${status}"` : typeof status}`,
    );
  }
  // 0.0.x puts subcomponents on the statement; 0.2.x on each product.
  const statementSubs = readIdentifiers(r, s.subcomponents, `${path}.subcomponents`);
  const rawProducts = r.array(s.products, `${path}.products`);
  if (rawProducts.length === 0)
    throw r.invalid(`${path}.products`, "a statement must name at least one product");
  const groups = new Map<string, { products: string[]; subcomponents: string[] }>();
  for (let i = 0; i < rawProducts.length; i++) {
    const productPath = `${path}.products[${i}]`;
    const product = rawProducts[i];
    const ids = componentIds(r, product, productPath);
    const own = isObject(product)
      ? readIdentifiers(r, product.subcomponents, `${productPath}.subcomponents`)
      : [];
    const subcomponents = own.length > 0 ? own : statementSubs;
    const key = subcomponents.join("\n");
    const group = groups.get(key);
    if (group) group.products.push(...ids.filter((p) => !group.products.includes(p)));
    else groups.set(key, { products: ids, subcomponents });
  }
  const justification = optionalString(s.justification);
  const text = [s.impact_statement, s.action_statement, s.status_notes]
    .map(optionalString)
    .filter((t): t is string => t !== undefined)
    .join("; ");
  const timestamp = optionalTime(s.last_updated) ?? optionalTime(s.timestamp) ?? documentTime;
  for (const group of groups.values()) {
    out.push({
      vulnerability: id,
      aliases,
      products: group.products,
      subcomponents: group.subcomponents,
      status: status as VexStatement["status"],
      ...(justification !== undefined ? { justification } : {}),
      ...(text !== "" ? { statement: text } : {}),
      ...(timestamp !== undefined ? { timestamp } : {}),
    });
  }
}

function readVulnerability(
  r: DocumentReader,
  value: unknown,
  path: string,
): { id: string; aliases: string[] } {
  if (typeof value === "string" && value !== "") return { id: value, aliases: [] };
  if (isObject(value)) {
    const id = optionalString(value.name) ?? optionalString(value["@id"]);
    if (id !== undefined) return { id, aliases: stringList(value.aliases).filter((a) => a !== id) };
  }
  throw r.invalid(path, "a statement must name its vulnerability (a string, or an object with name or @id)");
}

/** Identifiers of a list of components (strings or objects), de-duplicated. */
function readIdentifiers(r: DocumentReader, value: unknown, path: string): string[] {
  const list = r.array(value, path);
  const out: string[] = [];
  for (let i = 0; i < list.length; i++) {
    for (const id of componentIds(r, list[i], `${path}[${i}]`)) if (!out.includes(id)) out.push(id);
  }
  return out;
}

/** Every identifier of one product or subcomponent: its `@id`, identifiers (purl, CPE) and hashes as digests. */
function componentIds(r: DocumentReader, value: unknown, path: string): string[] {
  if (typeof value === "string" && value !== "") return [value];
  const component: JsonObject = r.object(value, path);
  const ids: string[] = [];
  const add = (id: string | undefined) => {
    if (id !== undefined && !ids.includes(id)) ids.push(id);
  };
  add(optionalString(component["@id"]));
  const identifiers = component.identifiers;
  if (isObject(identifiers)) {
    add(optionalString(identifiers.purl));
    add(optionalString(identifiers.cpe23));
    add(optionalString(identifiers.cpe22));
  }
  const hashes = component.hashes;
  if (isObject(hashes)) {
    for (const [algorithm, prefix] of Object.entries(DIGEST_ALGORITHMS)) {
      const hex = optionalString(hashes[algorithm]);
      if (hex !== undefined) add(`${prefix}:${hex}`);
    }
  }
  if (ids.length === 0)
    throw r.invalid(path, "a product or subcomponent names no identifier (@id, identifiers or hashes)");
  return ids;
}
