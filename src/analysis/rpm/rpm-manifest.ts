import { CipError } from "../../model/index.js";

/** One line of a CBL-Mariner / Azure Linux distroless rpm manifest. */
export interface RpmManifestEntry {
  name: string;
  version: string;
  release: string;
  epoch?: number;
  arch: string;
  vendor?: string;
  size?: number;
  sourceRpm?: string;
  /** 1-based line number in the manifest. */
  line: number;
}

/** Longer lines than this are not manifest lines (each is a dozen short fields). */
const MAX_LINE_CHARS = 4096;

/** True when the text looks like a container manifest: its first line has the ten tab-separated fields. */
export function isRpmManifest(bytes: Uint8Array): boolean {
  const head = Buffer.from(
    bytes.buffer,
    bytes.byteOffset,
    Math.min(bytes.byteLength, MAX_LINE_CHARS),
  ).toString("utf8");
  const first = head.split("\n", 1)[0] ?? "";
  return first.split("\t").length >= 10 && !first.includes("\0");
}

/**
 * Parses `/var/lib/rpmmanifest/container-manifest-2` of CBL-Mariner distroless images (which have no rpm
 * database): one package a line, the output of `rpm -qa --qf` with the fields NAME, VERSION-RELEASE,
 * INSTALLTIME, BUILDTIME, VENDOR, EPOCH (`(none)` when unset), SIZE, ARCH, EPOCHNUM, SOURCERPM separated by
 * tabs. Blank lines are skipped; a line with too few fields or no release is CIP_PACKAGE_DB_INVALID naming
 * `where` and the line; at most `maxPackages` entries.
 */
export function parseRpmManifest(bytes: Uint8Array, where: string, maxPackages: number): RpmManifestEntry[] {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8");
  const entries: RpmManifestEntry[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).replace(/\r$/, "");
    if (line.trim() === "") continue;
    const fail = (what: string) =>
      new CipError("CIP_PACKAGE_DB_INVALID", `Cannot read rpm manifest line ${i + 1}: ${what} (${where})`);
    if (line.length > MAX_LINE_CHARS) throw fail(`${line.length} characters, over ${MAX_LINE_CHARS}`);
    const fields = line.split("\t");
    if (fields.length < 10) throw fail(`${fields.length} tab-separated fields, not 10`);
    const [name, versionRelease, , , vendor, epochField, size, arch, epochNum, sourceRpm] =
      fields as string[];
    // The release never holds a dash, so the last dash splits it from the version.
    const dash = (versionRelease as string).lastIndexOf("-");
    if (name === "" || dash <= 0 || dash === (versionRelease as string).length - 1) {
      throw fail(`no name or no VERSION-RELEASE in ${JSON.stringify(versionRelease)}`);
    }
    if (entries.length >= maxPackages) throw fail(`more than ${maxPackages} packages`);
    const entry: RpmManifestEntry = {
      name: name as string,
      version: (versionRelease as string).slice(0, dash),
      release: (versionRelease as string).slice(dash + 1),
      arch: arch as string,
      line: i + 1,
    };
    if (epochField !== "(none)" && /^\d{1,9}$/.test(epochNum as string)) entry.epoch = Number(epochNum);
    if (vendor !== "" && vendor !== "(none)") entry.vendor = vendor;
    if (/^\d{1,15}$/.test(size as string)) entry.size = Number(size);
    if (sourceRpm !== "" && sourceRpm !== "(none)") entry.sourceRpm = sourceRpm;
    entries.push(entry);
  }
  return entries;
}
