/** A parsed package URL (`pkg:type/namespace/name@version?qualifiers#subpath`). */
export interface PackageUrl {
  type: string;
  namespace?: string;
  name: string;
  version?: string;
  qualifiers: Record<string, string>;
  subpath?: string;
}

/** Parses a purl; undefined when the text is not one. Percent-escapes are decoded. */
export function parsePurl(text: string | undefined | null): PackageUrl | undefined {
  if (typeof text !== "string" || !text.startsWith("pkg:")) return undefined;
  let rest = text.slice(4).replace(/^\/+/, "");
  let subpath: string | undefined;
  const hash = rest.indexOf("#");
  if (hash >= 0) {
    subpath = decode(rest.slice(hash + 1));
    rest = rest.slice(0, hash);
  }
  const qualifiers: Record<string, string> = {};
  const question = rest.indexOf("?");
  if (question >= 0) {
    for (const pair of rest.slice(question + 1).split("&")) {
      const eq = pair.indexOf("=");
      if (eq > 0) qualifiers[pair.slice(0, eq).toLowerCase()] = decode(pair.slice(eq + 1));
    }
    rest = rest.slice(0, question);
  }
  let version: string | undefined;
  const at = rest.lastIndexOf("@");
  if (at > 0) {
    version = decode(rest.slice(at + 1));
    rest = rest.slice(0, at);
  }
  const parts = rest.split("/");
  const type = parts.shift()?.toLowerCase();
  const name = parts.pop();
  if (!type || !name) return undefined;
  const namespace = parts.length > 0 ? parts.map(decode).join("/") : undefined;
  return {
    type,
    ...(namespace !== undefined ? { namespace } : {}),
    name: decode(name),
    ...(version !== undefined ? { version } : {}),
    qualifiers,
    ...(subpath !== undefined ? { subpath } : {}),
  };
}

/**
 * The identity of a purl for matching (type, namespace, name and version; qualifiers ignored except
 * none), lower-cased where purl types are case-insensitive.
 */
export function purlKey(text: string): string | undefined {
  const p = parsePurl(text);
  if (!p) return undefined;
  return `pkg:${p.type}/${p.namespace ? `${p.namespace}/` : ""}${p.name}${p.version !== undefined ? `@${p.version}` : ""}`;
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
