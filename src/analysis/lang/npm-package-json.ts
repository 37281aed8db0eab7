import type { AnalysedPackage } from "../analysed-package.js";
import { npmPurl } from "../package-url.js";
import { METADATA_MAX_BYTES, parseError, textOf } from "../text-input.js";

const WHAT = "a package.json";

/**
 * Whether a path is the package.json of an installed npm package: `…/node_modules/<name>/package.json` or
 * `…/node_modules/@scope/<name>/package.json` (a project's own package.json is not an installed package).
 */
export function isInstalledPackageJson(path: string): boolean {
  return /(^|\/)node_modules\/(@[^/]+\/)?[^/@][^/]*\/package\.json$/.test(path);
}

/**
 * Reads the package.json of an installed npm package: name, version, licenses and its path. A file without
 * a name or version is no package (an empty list), as trivy skips it. Licenses come from every form npm
 * has allowed: a string or SPDX expression, a `{type, url}` object, and the legacy `licenses` (or array
 * `license`) list of strings or objects. Invalid JSON throws CIP_PACKAGE_DB_INVALID.
 */
export function readNpmPackageJson(
  input: Buffer | string,
  path: string,
  maxBytes = METADATA_MAX_BYTES,
): AnalysedPackage[] {
  const text = textOf(input, WHAT, path, maxBytes);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw parseError(WHAT, `it is not JSON (${(error as Error).message})`, path);
  }
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)) return [];
  const json = doc as Record<string, unknown>;
  const name = typeof json.name === "string" ? json.name.trim() : "";
  const version = typeof json.version === "string" ? json.version.trim() : "";
  if (name === "" || version === "") return [];
  const pkg: AnalysedPackage = { name, version, type: "npm", path, purl: npmPurl(name, version) };
  const licenses = [...licenseValues(json.license), ...licenseValues(json.licenses)];
  if (licenses.length > 0) pkg.licenses = [...new Set(licenses)];
  return [pkg];
}

/** The license names of one `license`/`licenses` value, whatever form it takes. */
function licenseValues(value: unknown): string[] {
  if (typeof value === "string") return value.trim() === "" ? [] : [value.trim()];
  if (Array.isArray(value)) return value.slice(0, 100).flatMap((item) => licenseValues(item));
  if (value !== null && typeof value === "object") {
    const type = (value as Record<string, unknown>).type;
    return typeof type === "string" && type.trim() !== "" ? [type.trim()] : [];
  }
  return [];
}
