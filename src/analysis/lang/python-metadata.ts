import type { AnalysedPackage } from "../analysed-package.js";
import { pypiPurl } from "../package-url.js";
import { METADATA_MAX_BYTES, parseError, splitLines, textOf } from "../text-input.js";

const WHAT = "Python package metadata";

/**
 * Whether a path holds the metadata of an installed Python distribution: `*.dist-info/METADATA`,
 * `*.egg-info/PKG-INFO`, or an `*.egg-info` file (distutils writes PKG-INFO under that name).
 */
export function isPythonMetadataPath(path: string): boolean {
  return (
    /\.dist-info\/METADATA$/.test(path) || /\.egg-info\/PKG-INFO$/.test(path) || /\.egg-info$/.test(path)
  );
}

/**
 * Reads the RFC 822 header block of core metadata (up to the first blank line, as the email parser
 * reads it; continuation lines joined). Header names are lower-cased; repeated headers keep every value.
 */
export function readMetadataHeaders(text: string): Map<string, string[]> {
  const headers = new Map<string, string[]>();
  let last: { key: string; index: number } | undefined;
  for (const line of splitLines(text)) {
    if (line === "") break;
    if ((line.startsWith(" ") || line.startsWith("\t")) && last) {
      const values = headers.get(last.key) as string[];
      values[last.index] = `${values[last.index]}\n${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(":");
    if (colon <= 0) {
      last = undefined;
      continue;
    }
    const key = line.slice(0, colon).trim().toLowerCase();
    const values = headers.get(key) ?? [];
    values.push(line.slice(colon + 1).trim());
    headers.set(key, values);
    last = { key, index: values.length - 1 };
  }
  return headers;
}

/**
 * Reads a wheel `METADATA` or egg `PKG-INFO` into one package (name, version, licenses, path). Licenses as
 * trivy takes them: `License-Expression` first; else the `License ::` classifiers' last part (not the
 * bare "OSI Approved"); else the `License` field as written (`UNKNOWN` stays). Throws CIP_PACKAGE_DB_INVALID when the
 * name or version is missing.
 */
export function readPythonMetadata(
  input: Buffer | string,
  path: string,
  maxBytes = METADATA_MAX_BYTES,
): AnalysedPackage[] {
  const headers = readMetadataHeaders(textOf(input, WHAT, path, maxBytes));
  const first = (key: string): string | undefined => headers.get(key)?.find((v) => v !== "");
  const name = first("name");
  const version = first("version");
  if (name === undefined || version === undefined) {
    throw parseError(
      WHAT,
      "it has no Name or no Version header",
      path,
      undefined,
      "Only metadata of an installed distribution is read; this file may be damaged.",
    );
  }
  const pkg: AnalysedPackage = { name, version, type: "python", path, purl: pypiPurl(name, version) };
  const licenses = pythonLicenses(headers);
  if (licenses.length > 0) pkg.licenses = licenses;
  return [pkg];
}

function pythonLicenses(headers: Map<string, string[]>): string[] {
  const expression = headers.get("license-expression")?.find((v) => v !== "");
  if (expression !== undefined) return [expression];
  const classified = (headers.get("classifier") ?? [])
    .filter((c) => c.startsWith("License :: "))
    .map((c) => c.split(" :: ").at(-1) as string)
    .filter((l) => l !== "OSI Approved");
  if (classified.length > 0) return [...new Set(classified)];
  const field = headers.get("license")?.find((v) => v !== "");
  return field === undefined ? [] : [field];
}
