import type { AnalysedPackage } from "../analysed-package.js";
import { mavenPurl } from "../package-url.js";
import { METADATA_MAX_BYTES, splitLines, textOf } from "../text-input.js";

/** A jar manifest: the main section and the named sections, attributes in file order. */
export interface JavaManifest {
  main: Map<string, string>;
  sections: { name: string; attributes: Map<string, string> }[];
}

/** The Maven coordinates a jar's `META-INF/maven/<group>/<artifact>/pom.properties` records. */
export interface PomProperties {
  groupId?: string;
  artifactId?: string;
  version?: string;
  name?: string;
  /** Every other key, as written. */
  extra: Record<string, string>;
}

const MAX_SECTIONS = 10_000;

/**
 * Reads `META-INF/MANIFEST.MF` as the JAR specification defines it: `Name: value` lines, a line starting
 * with one space continues the previous value, a blank line ends a section; the first section is the main
 * one, the others start with `Name:`. Malformed lines are ignored. At most 10,000 sections are kept.
 */
export function readJavaManifest(
  input: Buffer | string,
  path: string,
  maxBytes = METADATA_MAX_BYTES,
): JavaManifest {
  const manifest: JavaManifest = { main: new Map(), sections: [] };
  let current = manifest.main;
  let started = false;
  let lastKey: string | undefined;
  for (const line of splitLines(textOf(input, "a jar manifest", path, maxBytes))) {
    if (line === "") {
      if (started && manifest.sections.length < MAX_SECTIONS) {
        current = new Map();
        started = false;
      }
      lastKey = undefined;
      continue;
    }
    if (line.startsWith(" ")) {
      if (lastKey !== undefined) current.set(lastKey, `${current.get(lastKey) ?? ""}${line.slice(1)}`);
      continue;
    }
    const colon = line.indexOf(":");
    if (colon <= 0) {
      lastKey = undefined;
      continue;
    }
    const key = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).replace(/^ /, "");
    if (!started && current !== manifest.main) {
      manifest.sections.push({ name: key.toLowerCase() === "name" ? value.trim() : "", attributes: current });
    }
    started = true;
    current.set(key, value);
    lastKey = key;
  }
  return manifest;
}

/**
 * Reads a Maven `pom.properties` (Java properties: `key=value`, `key: value` or `key value`, `#`/`!`
 * comments, a trailing backslash continues the line, `\uXXXX` escapes). Values are trimmed, as syft
 * trims the stray spaces Maven files sometimes carry.
 */
export function readPomProperties(
  input: Buffer | string,
  path: string,
  maxBytes = METADATA_MAX_BYTES,
): PomProperties {
  const values = new Map<string, string>();
  const lines = splitLines(textOf(input, "a pom.properties file", path, maxBytes));
  for (let i = 0; i < lines.length; i++) {
    let physical = (lines[i] as string).replace(/^\s+/, "");
    if (physical === "" || physical.startsWith("#") || physical.startsWith("!")) continue;
    const parts: string[] = [];
    // An odd number of trailing backslashes continues the logical line on the next one
    while (continues(physical) && i + 1 < lines.length) {
      parts.push(physical.slice(0, -1));
      physical = (lines[++i] as string).replace(/^\s+/, "");
    }
    parts.push(physical);
    const line = parts.join("");
    const match =
      /^((?:\\.|[^=:\s\\])+)\s*[=:\s]\s*(.*)$/.exec(line) ?? /^((?:\\.|[^=:\s\\])+)()$/.exec(line);
    if (!match) continue;
    values.set(unescapeProperty(match[1] as string), unescapeProperty(match[2] as string).trim());
  }
  const props: PomProperties = { extra: {} };
  for (const [key, value] of values) {
    if (key === "groupId" || key === "artifactId" || key === "version" || key === "name") props[key] = value;
    else props.extra[key] = value;
  }
  return props;
}

function continues(line: string): boolean {
  let backslashes = 0;
  for (let i = line.length - 1; i >= 0 && line[i] === "\\"; i--) backslashes++;
  return backslashes % 2 === 1;
}

function unescapeProperty(text: string): string {
  return text.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_, e: string) => {
    if (e.length === 5) return String.fromCharCode(Number.parseInt(e.slice(1), 16));
    return e === "t" ? "\t" : e === "n" ? "\n" : e === "r" ? "\r" : e === "f" ? "\f" : e;
  });
}

/** What is known of one Java archive: its path and whichever metadata files it holds. */
export interface JavaArchiveMeta {
  /** Path of the archive in the image (`/app/lib/jackson-core-2.15.2.jar`). */
  archivePath: string;
  manifest?: JavaManifest;
  /** Every pom.properties in the archive: one for a plain jar, several for a shaded one. */
  pomProperties?: PomProperties[];
}

/**
 * The packages a Java archive stands for. Each complete pom.properties gives `artifactId` at `version`
 * with purl `pkg:maven/<groupId>/<artifactId>@<version>`. Without one, the manifest does: the name from the
 * archive's file name (less its version), else Implementation-Title, Bundle-Name or Specification-Title;
 * the version from Implementation-Version, Specification-Version or Bundle-Version (main section first,
 * then named sections); the group from Implementation-Vendor-Id, Group-Id or Bundle-SymbolicName (less a
 * trailing `.<name>`), else the name itself. Licenses from Bundle-License. An archive with no version is
 * no package.
 */
export function javaPackages(meta: JavaArchiveMeta): AnalysedPackage[] {
  const licenses = licensesOf(meta.manifest);
  const fromPom = (meta.pomProperties ?? [])
    .filter((p) => p.groupId && p.artifactId && p.version)
    .map((p) =>
      javaPackage(
        p.artifactId as string,
        p.version as string,
        p.groupId as string,
        meta.archivePath,
        licenses,
      ),
    );
  if (fromPom.length > 0) return fromPom;
  const manifest = meta.manifest;
  if (manifest === undefined) return [];
  const fileName = fileNameParts(meta.archivePath);
  const name =
    fileName.name || attribute(manifest, ["Implementation-Title", "Bundle-Name", "Specification-Title"]);
  const version =
    attribute(manifest, ["Implementation-Version", "Specification-Version", "Bundle-Version"]) ??
    fileName.version;
  if (!name || !version) return [];
  const group = groupOf(manifest, name) ?? name;
  return [javaPackage(name, version, group, meta.archivePath, licenses)];
}

function javaPackage(
  name: string,
  version: string,
  group: string,
  path: string,
  licenses: string[],
): AnalysedPackage {
  const pkg: AnalysedPackage = { name, version, type: "java", path, purl: mavenPurl(group, name, version) };
  if (licenses.length > 0) pkg.licenses = licenses;
  return pkg;
}

/** An attribute's value, looked up case-insensitively in the main section, then the named sections. */
function attribute(manifest: JavaManifest, keys: string[]): string | undefined {
  for (const key of keys) {
    for (const section of [manifest.main, ...manifest.sections.map((s) => s.attributes)]) {
      for (const [k, v] of section) {
        if (k.toLowerCase() === key.toLowerCase() && v.trim() !== "") return v.trim();
      }
    }
  }
  return undefined;
}

function groupOf(manifest: JavaManifest, name: string): string | undefined {
  const vendorId = attribute(manifest, ["Implementation-Vendor-Id", "Group-Id"]);
  if (vendorId?.includes(".")) return vendorId;
  const symbolic = attribute(manifest, ["Bundle-SymbolicName"])?.split(";")[0]?.trim();
  if (symbolic?.endsWith(`.${name}`)) return symbolic.slice(0, -(name.length + 1));
  return undefined;
}

function licensesOf(manifest: JavaManifest | undefined): string[] {
  const value = manifest && attribute(manifest, ["Bundle-License"]);
  return value === undefined
    ? []
    : value
        .split(",")
        .map((l) => l.trim())
        .filter((l) => l !== "");
}

// "jackson-core-2.15.2.jar" → jackson-core, 2.15.2
function fileNameParts(path: string): { name?: string; version?: string } {
  const base =
    path
      .split("/")
      .at(-1)
      ?.replace(/\.(jar|war|ear|par|sar|nar|jpi|hpi|lpkg)$/i, "") ?? "";
  if (base === "") return {};
  const match = /^(.+?)-(\d[^-]*(?:-.*)?)$/.exec(base);
  return match ? { name: match[1], version: match[2] } : { name: base };
}
