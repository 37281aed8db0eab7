import { CipError } from "../../model/index.js";

/** rpm header tag numbers this reader knows (lib/rpmtag.h). */
export const RPMTAG = {
  HEADERIMAGE: 61,
  HEADERSIGNATURES: 62,
  HEADERIMMUTABLE: 63,
  NAME: 1000,
  VERSION: 1001,
  RELEASE: 1002,
  EPOCH: 1003,
  SIZE: 1009,
  VENDOR: 1011,
  LICENSE: 1014,
  ARCH: 1022,
  OLDFILENAMES: 1027,
  FILESIZES: 1028,
  FILEMODES: 1030,
  FILEDIGESTS: 1035,
  SOURCERPM: 1044,
  DIRINDEXES: 1116,
  BASENAMES: 1117,
  DIRNAMES: 1118,
  LONGFILESIZES: 5008,
  LONGSIZE: 5009,
  FILEDIGESTALGO: 5011,
  MODULARITYLABEL: 5096,
} as const;

/** rpm tag data types (lib/rpmtag.h `rpmTagType`). */
const TYPE = {
  NULL: 0,
  CHAR: 1,
  INT8: 2,
  INT16: 3,
  INT32: 4,
  INT64: 5,
  STRING: 6,
  BIN: 7,
  STRING_ARRAY: 8,
  I18NSTRING: 9,
} as const;

/** Bytes of one element of a fixed-size type, by type number. */
const FIXED_SIZE: Record<number, number> = { 0: 0, 1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 7: 1 };

/** rpm refuses more index entries than this (hdrchkTags). */
const MAX_INDEX_ENTRIES = 0xffff;
/** rpm refuses a header larger than this (headerMaxbytes). */
export const MAX_HEADER_BYTES = 256 * 1024 * 1024;

const ENTRY_BYTES = 16;
const PREAMBLE_BYTES = 8;

/** File digest algorithm numbers (RPMTAG_FILEDIGESTALGO, PGP hash algorithm ids) to names. */
const DIGEST_ALGORITHMS: Record<number, string> = {
  1: "md5",
  2: "sha1",
  8: "sha256",
  9: "sha384",
  10: "sha512",
  11: "sha224",
};

/** One index entry of a header: where a tag's data sits in the data store. */
export interface RpmHeaderEntry {
  tag: number;
  type: number;
  /** Offset into the data store. */
  offset: number;
  count: number;
}

/** One file an rpm package installs, from the header's file list. */
export interface RpmFile {
  path: string;
  /** st_mode as rpm records it (type and permission bits). */
  mode?: number;
  size?: number;
  /** `<algorithm>:<hex>` (`sha256:81d2…`); absent for directories, symlinks and ghosts, which have none. */
  digest?: string;
}

/**
 * A parsed rpm header as stored in an rpm database: the index (entry count, data length, 16-byte entries) and
 * the data store, with no lead or signature before it. The structure is checked when it is parsed; tag
 * values are decoded on demand, each bounded by the data store.
 */
export class RpmHeader {
  /** Index entries by tag; a later entry (a "dribble" entry after the region) replaces an earlier one. */
  readonly entries: ReadonlyMap<number, RpmHeaderEntry>;
  private readonly view: DataView;
  private readonly data: Uint8Array;

  private constructor(
    data: Uint8Array,
    entries: Map<number, RpmHeaderEntry>,
    private readonly where: string,
  ) {
    this.data = data;
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    this.entries = entries;
  }

  /**
   * Parses a header blob. Throws CIP_PACKAGE_DB_INVALID when the entry count, data length, an entry's type,
   * offset or extent, or the region trailer does not fit the blob. `where` names the blob in messages.
   */
  static parse(blob: Uint8Array, where: string): RpmHeader {
    const fail = (what: string) =>
      new CipError("CIP_PACKAGE_DB_INVALID", `Cannot read rpm header: ${what} (${where})`, {
        hint: "The rpm database is damaged or not an rpm database; rebuild it with `rpm --rebuilddb`.",
      });
    if (blob.byteLength < PREAMBLE_BYTES)
      throw fail(`${blob.byteLength} bytes, shorter than the 8-byte preamble`);
    const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
    const il = view.getUint32(0);
    const dl = view.getUint32(4);
    if (il < 1 || il > MAX_INDEX_ENTRIES)
      throw fail(`index entry count ${il} is outside 1..${MAX_INDEX_ENTRIES}`);
    if (dl > MAX_HEADER_BYTES) throw fail(`data length ${dl} is over the ${MAX_HEADER_BYTES}-byte limit`);
    const dataStart = PREAMBLE_BYTES + il * ENTRY_BYTES;
    if (dataStart + dl > blob.byteLength) {
      throw fail(
        `${il} entries and ${dl} data bytes need ${dataStart + dl} bytes, the blob has ${blob.byteLength}`,
      );
    }
    const data = blob.subarray(dataStart, dataStart + dl);
    const entries = new Map<number, RpmHeaderEntry>();
    for (let i = 0; i < il; i++) {
      const at = PREAMBLE_BYTES + i * ENTRY_BYTES;
      const entry: RpmHeaderEntry = {
        tag: view.getInt32(at),
        type: view.getUint32(at + 4),
        offset: view.getInt32(at + 8),
        count: view.getUint32(at + 12),
      };
      if (entry.type > TYPE.I18NSTRING)
        throw fail(`entry ${i} (tag ${entry.tag}) has unknown type ${entry.type}`);
      if (entry.offset < 0 || entry.offset > dl) {
        throw fail(
          `entry ${i} (tag ${entry.tag}) has offset ${entry.offset} outside the ${dl}-byte data store`,
        );
      }
      const size = FIXED_SIZE[entry.type];
      if (size !== undefined) {
        if (size > 1 && entry.offset % size !== 0) throw fail(`entry ${i} (tag ${entry.tag}) is misaligned`);
        if (entry.offset + size * entry.count > dl) {
          throw fail(
            `entry ${i} (tag ${entry.tag}) runs past the data store (${entry.count} × ${size} bytes)`,
          );
        }
      } else if (entry.count > dl - entry.offset) {
        // Every string takes at least its NUL byte.
        throw fail(
          `entry ${i} (tag ${entry.tag}) claims ${entry.count} strings in ${dl - entry.offset} bytes`,
        );
      }
      if (i === 0 && isRegionTag(entry.tag)) checkRegion(entry, data, il, fail);
      entries.set(entry.tag, entry);
    }
    return new RpmHeader(data, entries, where);
  }

  /** The tag's string (STRING or the first of a STRING_ARRAY/I18NSTRING), or undefined when absent. */
  string(tag: number): string | undefined {
    const entry = this.entries.get(tag);
    if (entry === undefined) return undefined;
    if (entry.type === TYPE.STRING || entry.type === TYPE.STRING_ARRAY || entry.type === TYPE.I18NSTRING) {
      return entry.count === 0 ? undefined : this.readStrings(entry, 1)[0];
    }
    throw this.typeError(entry, "a string");
  }

  /** The tag's strings (STRING_ARRAY, I18NSTRING or a single STRING), or [] when absent. */
  strings(tag: number): string[] {
    const entry = this.entries.get(tag);
    if (entry === undefined) return [];
    if (entry.type === TYPE.STRING) return this.readStrings(entry, 1);
    if (entry.type === TYPE.STRING_ARRAY || entry.type === TYPE.I18NSTRING)
      return this.readStrings(entry, entry.count);
    throw this.typeError(entry, "strings");
  }

  /** The tag's first integer (INT8/16/32/64, unsigned as rpm prints them), or undefined when absent. */
  number(tag: number): number | undefined {
    const entry = this.entries.get(tag);
    if (entry === undefined || entry.count === 0) return undefined;
    return this.readNumbers(entry, 1)[0];
  }

  /** The tag's integers, or [] when absent. */
  numbers(tag: number): number[] {
    const entry = this.entries.get(tag);
    return entry === undefined ? [] : this.readNumbers(entry, entry.count);
  }

  /** The tag's raw bytes (BIN), or undefined when absent. */
  bytes(tag: number): Uint8Array | undefined {
    const entry = this.entries.get(tag);
    if (entry === undefined) return undefined;
    if (entry.type !== TYPE.BIN) throw this.typeError(entry, "binary data");
    return this.data.subarray(entry.offset, entry.offset + entry.count);
  }

  /**
   * The installed file list (BASENAMES + DIRNAMES + DIRINDEXES, or the legacy OLDFILENAMES) with modes,
   * sizes and digests. Throws CIP_PACKAGE_DB_INVALID when the arrays disagree in length or a directory index
   * is out of range.
   */
  files(): RpmFile[] {
    const basenames = this.strings(RPMTAG.BASENAMES);
    let paths: string[];
    if (basenames.length > 0) {
      const dirnames = this.strings(RPMTAG.DIRNAMES);
      const dirindexes = this.numbers(RPMTAG.DIRINDEXES);
      if (dirindexes.length !== basenames.length) {
        throw this.fileError(`${basenames.length} base names but ${dirindexes.length} directory indexes`);
      }
      paths = basenames.map((base, i) => {
        const dir = dirnames[dirindexes[i] as number];
        if (dir === undefined) {
          throw this.fileError(
            `directory index ${dirindexes[i]} of file ${i} is out of range (${dirnames.length} directories)`,
          );
        }
        return dir + base;
      });
    } else {
      paths = this.strings(RPMTAG.OLDFILENAMES);
    }
    const modes = this.numbers(RPMTAG.FILEMODES);
    const longSizes = this.numbers(RPMTAG.LONGFILESIZES);
    const sizes = longSizes.length > 0 ? longSizes : this.numbers(RPMTAG.FILESIZES);
    const digests = this.strings(RPMTAG.FILEDIGESTS);
    const algorithm = DIGEST_ALGORITHMS[this.number(RPMTAG.FILEDIGESTALGO) ?? 1];
    for (const [name, list] of [
      ["modes", modes],
      ["sizes", sizes],
      ["digests", digests],
    ] as const) {
      if (list.length !== 0 && list.length !== paths.length) {
        throw this.fileError(`${paths.length} files but ${list.length} ${name}`);
      }
    }
    return paths.map((path, i) => {
      const file: RpmFile = { path };
      if (modes.length > 0) file.mode = modes[i];
      if (sizes.length > 0) file.size = sizes[i];
      const digest = digests[i];
      if (digest !== undefined && digest !== "") file.digest = `${algorithm ?? "unknown"}:${digest}`;
      return file;
    });
  }

  private readStrings(entry: RpmHeaderEntry, count: number): string[] {
    const out: string[] = [];
    let at = entry.offset;
    for (let i = 0; i < count; i++) {
      const nul = this.data.indexOf(0, at);
      if (nul < 0) throw this.valueError(entry, `string ${i} has no terminating NUL in the data store`);
      out.push(DECODER.decode(this.data.subarray(at, nul)));
      at = nul + 1;
    }
    return out;
  }

  private readNumbers(entry: RpmHeaderEntry, count: number): number[] {
    const out: number[] = [];
    for (let i = 0; i < count; i++) {
      switch (entry.type) {
        case TYPE.CHAR:
        case TYPE.INT8:
          out.push(this.view.getUint8(entry.offset + i));
          break;
        case TYPE.INT16:
          out.push(this.view.getUint16(entry.offset + 2 * i));
          break;
        case TYPE.INT32:
          out.push(this.view.getUint32(entry.offset + 4 * i));
          break;
        case TYPE.INT64:
          out.push(Number(this.view.getBigUint64(entry.offset + 8 * i)));
          break;
        default:
          throw this.typeError(entry, "integers");
      }
    }
    return out;
  }

  private typeError(entry: RpmHeaderEntry, wanted: string): CipError {
    return this.valueError(entry, `type ${entry.type} where ${wanted} was expected`);
  }

  private valueError(entry: RpmHeaderEntry, what: string): CipError {
    return new CipError(
      "CIP_PACKAGE_DB_INVALID",
      `Cannot read rpm header tag ${entry.tag}: ${what} (${this.where})`,
    );
  }

  private fileError(what: string): CipError {
    return new CipError(
      "CIP_PACKAGE_DB_INVALID",
      `Cannot read the file list of an rpm header: ${what} (${this.where})`,
    );
  }
}

const DECODER = new TextDecoder("utf-8");

function isRegionTag(tag: number): boolean {
  return tag === RPMTAG.HEADERIMAGE || tag === RPMTAG.HEADERSIGNATURES || tag === RPMTAG.HEADERIMMUTABLE;
}

/** The region entry points at a 16-byte trailer whose negated offset covers the region's entries. */
function checkRegion(
  entry: RpmHeaderEntry,
  data: Uint8Array,
  il: number,
  fail: (what: string) => CipError,
): void {
  if (entry.type !== TYPE.BIN || entry.count !== ENTRY_BYTES) {
    throw fail(`region tag ${entry.tag} has type ${entry.type} and count ${entry.count}, not 7 and 16`);
  }
  if (entry.offset + ENTRY_BYTES > data.byteLength)
    throw fail(`region trailer of tag ${entry.tag} is outside the data store`);
  const trailer = new DataView(data.buffer, data.byteOffset + entry.offset, ENTRY_BYTES);
  const regionBytes = -trailer.getInt32(8);
  const ril = regionBytes / ENTRY_BYTES;
  if (!Number.isInteger(ril) || ril < 1 || ril > il) {
    throw fail(`region trailer of tag ${entry.tag} claims ${regionBytes} index bytes for ${il} entries`);
  }
}
