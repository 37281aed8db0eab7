import type { AnalysedPackage } from "../analysed-package.js";
import { gemPurl } from "../package-url.js";
import { METADATA_MAX_BYTES, parseError, splitLines, textOf } from "../text-input.js";

const WHAT = "a gem specification";

/** Whether a path is an installed gem's specification (`…/specifications/<name>-<version>.gemspec`). */
export function isInstalledGemspecPath(path: string): boolean {
  return /(^|\/)specifications\/[^/]+\.gemspec$/.test(path);
}

/**
 * Reads an installed gem's `.gemspec` as text, never running it: the `s.name`, `s.version` and
 * `s.license`/`s.licenses` assignments RubyGems writes into installed specifications. Throws CIP_PACKAGE_DB_INVALID
 * when the name or version is missing, as trivy's parser fails on such a file.
 */
export function readGemspec(
  input: Buffer | string,
  path: string,
  maxBytes = METADATA_MAX_BYTES,
): AnalysedPackage[] {
  let name: string | undefined;
  let version: string | undefined;
  const licenses: string[] = [];
  for (const line of splitLines(textOf(input, WHAT, path, maxBytes))) {
    // (.*) then trim: a lazy match before trailing blanks would backtrack quadratically on long lines
    const assignment = /^\s*\w+\.(name|version|licenses?)\s*=(.*)$/.exec(line);
    if (!assignment) continue;
    const field = assignment[1] as string;
    const value = (assignment[2] as string).trim();
    if (value === "") continue;
    if (field === "name") name ??= stringLiteral(value);
    else if (field === "version")
      version ??= stringLiteral(value.replace(/^Gem::Version\.new\((.*)\)/, "$1"));
    else licenses.push(...stringLiterals(value));
  }
  if (name === undefined || version === undefined) {
    throw parseError(
      WHAT,
      `it assigns no ${name === undefined ? "name" : "version"}`,
      path,
      undefined,
      "Installed specifications always carry both; this file may be damaged or not an installed specification.",
    );
  }
  const pkg: AnalysedPackage = { name, version, type: "gem", path, purl: gemPurl(name, version) };
  if (licenses.length > 0) pkg.licenses = [...new Set(licenses)];
  return [pkg];
}

// "rake".freeze, 'rake', "13.0.3"
function stringLiteral(value: string): string | undefined {
  const match = /^(["'])(.*?)\1(\.freeze)?(\s|$)/.exec(value.trim());
  return match?.[2] === undefined || match[2] === "" ? undefined : match[2];
}

// ["Ruby".freeze,"BSDL".freeze, "PSFL".freeze] or a single "MIT".freeze
function stringLiterals(value: string): string[] {
  const out: string[] = [];
  for (const match of value.matchAll(/(["'])(.*?)\1/g)) {
    if (match[2]) out.push(match[2]);
  }
  return out;
}
