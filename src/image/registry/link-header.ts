/**
 * The `rel="next"` target of a Link header (RFC 8288), resolved against the request URL; undefined when
 * there is none. The distribution spec paginates tag lists and the catalog this way:
 * `</v2/_catalog?last=b&n=100>; rel="next"`.
 */
export function nextLink(header: string | null | undefined, requestUrl: string): string | undefined {
  if (header === null || header === undefined) return undefined;
  for (const part of header.split(/,(?=\s*<)/)) {
    const match = /^\s*<([^>]*)>(.*)$/.exec(part);
    if (match === null) continue;
    const params = match[2] ?? "";
    const rel = /;\s*rel\s*=\s*(?:"([^"]*)"|([^\s;,]+))/i.exec(params);
    const relValue = (rel?.[1] ?? rel?.[2] ?? "").toLowerCase();
    if (relValue.split(/\s+/).includes("next")) {
      try {
        return new URL(match[1] ?? "", requestUrl).toString();
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}
