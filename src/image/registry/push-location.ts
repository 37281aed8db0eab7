import { registryError } from "./registry-errors.js";

/**
 * The absolute URL of an upload session from a Location header, which the distribution spec allows to be
 * absolute or relative to the request's URL. Refuses a missing or unparseable Location, naming `action`.
 */
export function uploadLocation(location: string | null, requestUrl: string, action: string): string {
  if (location === null || location.trim() === "") {
    throw registryError(
      `Cannot ${action}: the registry started an upload without a Location header (${requestUrl})`,
      "The registry does not follow the distribution spec for uploads; report it to its operators.",
    );
  }
  let url: URL;
  try {
    url = new URL(location.trim(), requestUrl);
  } catch (error) {
    throw registryError(
      `Cannot ${action}: the upload Location "${location}" is not a URL (${requestUrl})`,
      "The registry does not follow the distribution spec for uploads; report it to its operators.",
      error,
    );
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw registryError(
      `Cannot ${action}: the upload Location "${location}" is not an HTTP(S) URL (${requestUrl})`,
      "The registry does not follow the distribution spec for uploads; report it to its operators.",
    );
  }
  url.hash = "";
  return url.toString();
}

/**
 * The upload URL with `name=value` added to its query, keeping the query the registry gave (its upload
 * state) byte for byte: re-serialising it through URLSearchParams could change its escaping.
 */
export function withQueryParameter(url: string, name: string, value: string): string {
  const parsed = new URL(url);
  const added = `${encodeURIComponent(name)}=${encodeURIComponent(value)}`;
  parsed.search = parsed.search === "" || parsed.search === "?" ? `?${added}` : `${parsed.search}&${added}`;
  return parsed.toString();
}
