import {
  DocumentReader,
  isObject,
  type JsonObject,
  optionalString,
  optionalTime,
} from "../document-reader.js";
import type { VexDocument, VexStatement } from "../parsed-report.js";
import type { VexFormat } from "../report-format.js";

// CSAF product status lists onto VEX statuses (`recommended` says nothing about being affected).
const STATUS_LISTS: readonly [string, VexStatement["status"]][] = [
  ["known_not_affected", "not_affected"],
  ["fixed", "fixed"],
  ["first_fixed", "fixed"],
  ["known_affected", "affected"],
  ["first_affected", "affected"],
  ["last_affected", "affected"],
  ["under_investigation", "under_investigation"],
];
const MAX_DEPTH = 64;

/** What a product id of the product tree stands for: the product's own ids, or a component within a product. */
interface ProductEntry {
  products: string[];
  subcomponents: string[];
}

/** One of the vulnerability's flags, threats or remediations, with the product ids it applies to (undefined: all). */
interface Scoped {
  products: Set<string> | undefined;
  text: string;
  date?: string;
}

/**
 * CSAF 2.0 VEX documents (`document.category` csaf_vex). Product ids resolve through the product tree to the
 * purl of their identification helper (else the CPE, else the id as written); a relationship's combined id
 * (`default_component_of` and the other categories) becomes its product with the component as subcomponent.
 * One statement per vulnerability, status and product id: justification from the flag naming that product,
 * statement from the impact threats (and, for affected and fixed, the remediations) naming it.
 */
export const csafVexFormat: VexFormat = {
  id: "csaf",
  name: "CSAF VEX",
  detect(document: unknown): boolean {
    return isObject(document) && isObject(document.document) && document.document.category === "csaf_vex";
  },
  parse(document: unknown, source: string): VexDocument {
    const r = new DocumentReader("CSAF VEX", source);
    const doc = r.object(document, "$");
    const header = r.object(doc.document, "$.document");
    if (header.category !== "csaf_vex") throw r.invalid("$.document.category", 'expected "csaf_vex"');
    const tracking = isObject(header.tracking) ? header.tracking : {};
    const publisher = isObject(header.publisher) ? header.publisher : {};
    const documentTime =
      optionalTime(tracking.current_release_date) ?? optionalTime(tracking.initial_release_date);
    const tree = isObject(doc.product_tree) ? doc.product_tree : {};
    const products = readProductTree(r, tree);
    const groups = readGroups(r, tree.product_groups);
    const statements: VexStatement[] = [];
    const vulnerabilities = r.array(doc.vulnerabilities, "$.vulnerabilities");
    for (let i = 0; i < vulnerabilities.length; i++) {
      readVulnerability(
        r,
        vulnerabilities[i],
        `$.vulnerabilities[${i}]`,
        products,
        groups,
        documentTime,
        statements,
      );
    }
    return {
      format: "csaf",
      id: optionalString(tracking.id) ?? optionalString(publisher.name) ?? source,
      statements,
    };
  },
};

function readProductTree(r: DocumentReader, tree: JsonObject): Map<string, ProductEntry> {
  const own = new Map<string, string[]>();
  const addProduct = (value: unknown, path: string) => {
    const product = r.object(value, path);
    const id = r.requiredString(product.product_id, `${path}.product_id`);
    const helper = isObject(product.product_identification_helper)
      ? product.product_identification_helper
      : {};
    const ids = [optionalString(helper.purl) ?? optionalString(helper.cpe) ?? id];
    own.set(id, ids);
  };
  const walk = (value: unknown, path: string, depth: number) => {
    const list = r.array(value, path);
    if (depth > MAX_DEPTH) throw r.invalid(path, `branches nested deeper than ${MAX_DEPTH} levels`);
    for (let i = 0; i < list.length; i++) {
      const branch = r.object(list[i], `${path}[${i}]`);
      if (branch.product !== undefined) addProduct(branch.product, `${path}[${i}].product`);
      walk(branch.branches, `${path}[${i}].branches`, depth + 1);
    }
  };
  walk(tree.branches, "$.product_tree.branches", 0);
  const names = r.array(tree.full_product_names, "$.product_tree.full_product_names");
  for (let i = 0; i < names.length; i++) addProduct(names[i], `$.product_tree.full_product_names[${i}]`);

  const entries = new Map<string, ProductEntry>();
  for (const [id, ids] of own) entries.set(id, { products: ids, subcomponents: [] });
  const relationships = r.array(tree.relationships, "$.product_tree.relationships");
  for (let i = 0; i < relationships.length; i++) {
    const path = `$.product_tree.relationships[${i}]`;
    const rel = r.object(relationships[i], path);
    const component = r.requiredString(rel.product_reference, `${path}.product_reference`);
    const product = r.requiredString(
      rel.relates_to_product_reference,
      `${path}.relates_to_product_reference`,
    );
    const full = r.object(rel.full_product_name, `${path}.full_product_name`);
    const id = r.requiredString(full.product_id, `${path}.full_product_name.product_id`);
    entries.set(id, {
      products: own.get(product) ?? [product],
      subcomponents: own.get(component) ?? [component],
    });
  }
  return entries;
}

function readGroups(r: DocumentReader, value: unknown): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  const list = r.array(value, "$.product_tree.product_groups");
  for (let i = 0; i < list.length; i++) {
    const group = r.object(list[i], `$.product_tree.product_groups[${i}]`);
    const id = r.requiredString(group.group_id, `$.product_tree.product_groups[${i}].group_id`);
    groups.set(id, idList(r, group.product_ids, `$.product_tree.product_groups[${i}].product_ids`));
  }
  return groups;
}

function readVulnerability(
  r: DocumentReader,
  value: unknown,
  path: string,
  products: ReadonlyMap<string, ProductEntry>,
  groups: ReadonlyMap<string, string[]>,
  documentTime: string | undefined,
  out: VexStatement[],
): void {
  const v = r.object(value, path);
  const ids: string[] = [];
  const cve = optionalString(v.cve);
  if (cve !== undefined) ids.push(cve);
  const otherIds = r.array(v.ids, `${path}.ids`);
  for (let i = 0; i < otherIds.length; i++) {
    const entry = r.object(otherIds[i], `${path}.ids[${i}]`);
    const text = optionalString(entry.text);
    if (text !== undefined && !ids.includes(text)) ids.push(text);
  }
  const [id, ...aliases] = ids;
  if (id === undefined) throw r.invalid(path, "a vulnerability needs a cve or an ids entry");
  const status = isObject(v.product_status) ? v.product_status : {};
  const flags = scoped(r, v.flags, `${path}.flags`, groups, (f) => optionalString(f.label));
  const impacts = scoped(r, v.threats, `${path}.threats`, groups, (t) =>
    t.category === "impact" ? optionalString(t.details) : undefined,
  );
  const remediations = scoped(r, v.remediations, `${path}.remediations`, groups, (m) => {
    const details = optionalString(m.details);
    if (details === undefined) return undefined;
    const url = optionalString(m.url);
    return `${optionalString(m.category) ?? "remediation"}: ${details}${url !== undefined ? ` (${url})` : ""}`;
  });
  for (const [list, vexStatus] of STATUS_LISTS) {
    for (const productId of idList(r, status[list], `${path}.product_status.${list}`)) {
      const entry = products.get(productId) ?? { products: [productId], subcomponents: [] };
      const flag = flags.find((f) => applies(f, productId));
      const texts = impacts.filter((t) => applies(t, productId));
      if (vexStatus === "affected" || vexStatus === "fixed") {
        texts.push(...remediations.filter((m) => applies(m, productId)));
      }
      const statement = texts.map((t) => t.text).join("; ");
      const timestamp = flag?.date ?? texts.find((t) => t.date !== undefined)?.date ?? documentTime;
      out.push({
        vulnerability: id,
        aliases,
        products: entry.products,
        subcomponents: entry.subcomponents,
        status: vexStatus,
        ...(flag !== undefined ? { justification: flag.text } : {}),
        ...(statement !== "" ? { statement } : {}),
        ...(timestamp !== undefined ? { timestamp } : {}),
      });
    }
  }
}

/** Entries of a flags/threats/remediations list with the product ids (direct or through groups) they name. */
function scoped(
  r: DocumentReader,
  value: unknown,
  path: string,
  groups: ReadonlyMap<string, string[]>,
  textOf: (entry: JsonObject) => string | undefined,
): Scoped[] {
  const out: Scoped[] = [];
  const list = r.array(value, path);
  for (let i = 0; i < list.length; i++) {
    const entry = r.object(list[i], `${path}[${i}]`);
    const text = textOf(entry);
    if (text === undefined) continue;
    const named = idList(r, entry.product_ids, `${path}[${i}].product_ids`);
    for (const group of idList(r, entry.group_ids, `${path}[${i}].group_ids`))
      named.push(...(groups.get(group) ?? []));
    const date = optionalTime(entry.date);
    const hasScope = entry.product_ids !== undefined || entry.group_ids !== undefined;
    out.push({
      products: hasScope ? new Set(named) : undefined,
      text,
      ...(date !== undefined ? { date } : {}),
    });
  }
  return out;
}

function applies(entry: Scoped, productId: string): boolean {
  return entry.products === undefined || entry.products.has(productId);
}

function idList(r: DocumentReader, value: unknown, path: string): string[] {
  const list = r.array(value, path);
  const out: string[] = [];
  for (let i = 0; i < list.length; i++) out.push(r.requiredString(list[i], `${path}[${i}]`));
  return out;
}
