import { isCipError } from "../../model/index.js";
import type { AnalysedPackage } from "../analysed-package.js";
import { javaPackages, readJavaManifest, readPomProperties } from "../lang/java-archive-meta.js";
import { METADATA_MAX_BYTES } from "../text-input.js";
import { readZipEntry, zipEntries } from "./zip-entries.js";

/** Bounds on reading a Java archive held in memory. */
export interface JavaArchiveLimits {
  /** Bytes a nested jar may inflate to (nested jars are read one level deep). */
  maxNestedBytes: number;
  /** Central directory entries per archive. */
  maxEntries: number;
}

const ARCHIVE_NAME = /\.(jar|war|ear)$/i;
const POM_PROPERTIES = /^META-INF\/maven\/[^/]+\/[^/]+\/pom\.properties$/;

/**
 * The packages of a jar, war or ear (and of the jars nested in it, one level deep, as `outer:inner` paths):
 * from its pom.properties files, else its manifest, as javaPackages decides. A damaged archive or entry is
 * a problem, not an error: the rest of the image is still analysed.
 */
export function javaArchivePackages(
  zip: Buffer,
  path: string,
  limits: JavaArchiveLimits,
  problems: string[],
  depth = 0,
): AnalysedPackage[] {
  const packages: AnalysedPackage[] = [];
  try {
    const entries = zipEntries(zip, path, limits.maxEntries);
    const manifestEntry = entries.find((e) => e.name === "META-INF/MANIFEST.MF");
    const manifest =
      manifestEntry === undefined
        ? undefined
        : readJavaManifest(readZipEntry(zip, manifestEntry, path, METADATA_MAX_BYTES), path);
    const pomProperties = entries
      .filter((e) => POM_PROPERTIES.test(e.name))
      .map((e) => readPomProperties(readZipEntry(zip, e, path, METADATA_MAX_BYTES), `${path}:${e.name}`));
    packages.push(...javaPackages({ archivePath: path, manifest, pomProperties }));
    if (depth === 0) {
      for (const entry of entries) {
        if (!ARCHIVE_NAME.test(entry.name)) continue;
        const inner = `${path}:${entry.name}`;
        try {
          const nested = readZipEntry(zip, entry, inner, limits.maxNestedBytes);
          packages.push(...javaArchivePackages(nested, inner, limits, problems, 1));
        } catch (error) {
          if (!isCipError(error)) throw error;
          problems.push(error.message);
        }
      }
    }
  } catch (error) {
    if (!isCipError(error)) throw error;
    problems.push(error.message);
  }
  return packages;
}
