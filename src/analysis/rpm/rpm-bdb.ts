import { CipError } from "../../model/index.js";
import type { RpmHeaderBlob } from "./rpm-blob.js";
import { MAX_HEADER_BYTES } from "./rpm-header.js";

/** Berkeley DB hash database magic, as a little-endian (0x00061561) or big-endian file stores it. */
const HASH_MAGIC = 0x00061561;
const HASH_MAGIC_SWAPPED = 0x61150600;

const PAGE_HEADER_BYTES = 26;
/** Page types (db_page.h): hash pages old (unsorted) and new (sorted), overflow pages. */
const P_HASH_UNSORTED = 2;
const P_OVERFLOW = 7;
const P_HASH = 13;
/** Hash item types: data on the page, or a reference to an overflow chain. */
const H_KEYDATA = 1;
const H_OFFPAGE = 3;
const H_OFFPAGE_BYTES = 12;

/** The metadata of a Berkeley DB hash file that a bucket walk needs. */
interface HashMeta {
  littleEndian: boolean;
  pageSize: number;
  lastPage: number;
  maxBucket: number;
  spares: number[];
}

/** True when the bytes start like a Berkeley DB hash database (rpm ≤ 4.15: `/var/lib/rpm/Packages`). */
export function isBerkeleyDbHash(bytes: Uint8Array): boolean {
  if (bytes.byteLength < 512) return false;
  const magic = new DataView(bytes.buffer, bytes.byteOffset, 16).getUint32(12, true);
  return magic === HASH_MAGIC || magic === HASH_MAGIC_SWAPPED;
}

/**
 * Reads the header blobs of an rpm Berkeley DB hash `Packages` file, bucket by bucket in the order rpm's
 * own read-only reader (`bdb_ro`) walks them: each bucket's page chain, each key/value pair, values on the
 * page or in overflow page chains. Record 0 (rpm's counter) is skipped. Page numbers are checked against
 * the metadata and the file, every page is visited at most once (a loop is an error), and at most
 * `maxPackages` records are read. Failures are CIP_PACKAGE_DB_INVALID naming `where`.
 */
export function readBerkeleyDbHeaderBlobs(
  bytes: Uint8Array,
  where: string,
  maxPackages: number,
): RpmHeaderBlob[] {
  const fail = (what: string) =>
    new CipError("CIP_PACKAGE_DB_INVALID", `Cannot read rpm Berkeley DB database: ${what} (${where})`, {
      hint: "The file is damaged or not an rpm Packages database.",
    });
  const meta = readMeta(bytes, fail);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = meta.littleEndian;
  const visited = new Set<number>();

  /** A page's offset after checking it is in range, in the file, and says it is the page asked for. */
  const pageAt = (pageNo: number, purpose: string): number => {
    if (pageNo < 1 || pageNo > meta.lastPage)
      throw fail(`${purpose} page ${pageNo} is outside pages 1..${meta.lastPage}`);
    const offset = pageNo * meta.pageSize;
    if (offset + meta.pageSize > bytes.byteLength)
      throw fail(`${purpose} page ${pageNo} is past the end of the file (truncated)`);
    if (visited.has(pageNo)) throw fail(`${purpose} page ${pageNo} is reached twice (a page loop)`);
    visited.add(pageNo);
    return offset;
  };

  const readOverflow = (firstPage: number, total: number, item: string): Uint8Array => {
    const room = meta.lastPage * (meta.pageSize - PAGE_HEADER_BYTES);
    if (total === 0 || total > MAX_HEADER_BYTES || total > room) {
      throw fail(`${item} claims ${total} bytes in overflow pages, more than the file can hold`);
    }
    const out = new Uint8Array(total);
    let filled = 0;
    let pageNo = firstPage;
    while (filled < total) {
      if (pageNo === 0) throw fail(`${item} overflow chain ends after ${filled} of ${total} bytes`);
      const at = pageAt(pageNo, "overflow");
      if (view.getUint32(at + 8, le) !== pageNo || bytes[at + 25] !== P_OVERFLOW) {
        throw fail(`page ${pageNo} of ${item} is not an overflow page`);
      }
      const length = view.getUint16(at + 22, le);
      if (length === 0 || length > meta.pageSize - PAGE_HEADER_BYTES || length > total - filled) {
        throw fail(`overflow page ${pageNo} of ${item} holds ${length} bytes, which does not fit`);
      }
      out.set(bytes.subarray(at + PAGE_HEADER_BYTES, at + PAGE_HEADER_BYTES + length), filled);
      filled += length;
      pageNo = view.getUint32(at + 16, le);
    }
    return out;
  };

  const blobs: RpmHeaderBlob[] = [];
  for (let bucket = 0; bucket <= meta.maxBucket; bucket++) {
    let pageNo = bucket + (meta.spares[bitLength(bucket)] as number);
    for (let first = true; pageNo !== 0; first = false) {
      const at = pageAt(pageNo, `bucket ${bucket}`);
      const type = bytes[at + 25];
      // A bucket page never written reads as zeros: an empty bucket.
      if (first && view.getUint32(at + 8, le) === 0 && type === 0) break;
      if (view.getUint32(at + 8, le) !== pageNo || (type !== P_HASH && type !== P_HASH_UNSORTED)) {
        throw fail(`page ${pageNo} of bucket ${bucket} is not a hash page (type ${type})`);
      }
      const entries = view.getUint16(at + 20, le);
      const indexEnd = PAGE_HEADER_BYTES + 2 * entries;
      if (entries % 2 !== 0 || indexEnd > meta.pageSize)
        throw fail(`hash page ${pageNo} has ${entries} index entries`);
      for (let i = 0; i < entries; i += 2) {
        const keyOff = view.getUint16(at + PAGE_HEADER_BYTES + 2 * i, le);
        const valueOff = view.getUint16(at + PAGE_HEADER_BYTES + 2 * i + 2, le);
        const keyEnd = i === 0 ? meta.pageSize : view.getUint16(at + PAGE_HEADER_BYTES + 2 * i - 2, le);
        if (!(indexEnd <= valueOff && valueOff < keyOff && keyOff < keyEnd && keyEnd <= meta.pageSize)) {
          throw fail(`hash page ${pageNo} item ${i / 2} has offsets outside the page`);
        }
        if (bytes[at + keyOff] !== H_KEYDATA || keyEnd - keyOff !== 5) {
          throw fail(`hash page ${pageNo} item ${i / 2} has a key that is not a 4-byte package number`);
        }
        const key = view.getUint32(at + keyOff + 1, le);
        const item = `record ${key}`;
        let blob: Uint8Array;
        const valueType = bytes[at + valueOff];
        if (valueType === H_KEYDATA) {
          blob = bytes.subarray(at + valueOff + 1, at + keyOff);
        } else if (valueType === H_OFFPAGE && keyOff - valueOff === H_OFFPAGE_BYTES) {
          if (key === 0) continue;
          blob = readOverflow(
            view.getUint32(at + valueOff + 4, le),
            view.getUint32(at + valueOff + 8, le),
            item,
          );
        } else {
          throw fail(
            `hash page ${pageNo} ${item} has value type ${valueType}, not data or an overflow reference`,
          );
        }
        // Record 0 holds rpm's next-package counter, not a header.
        if (key === 0) continue;
        if (blobs.length >= maxPackages) throw fail(`more than ${maxPackages} packages`);
        blobs.push({ key, blob, where: `${where}, ${item}` });
      }
      pageNo = view.getUint32(at + 16, le);
    }
  }
  return blobs;
}

function readMeta(bytes: Uint8Array, fail: (what: string) => CipError): HashMeta {
  if (!isBerkeleyDbHash(bytes)) throw fail("no Berkeley DB hash magic at offset 12");
  const view = new DataView(bytes.buffer, bytes.byteOffset, 512);
  const littleEndian = view.getUint32(12, true) === HASH_MAGIC;
  const version = view.getUint32(16, littleEndian);
  if (version < 8 || version > 10) throw fail(`hash version ${version} is not 8, 9 or 10`);
  const pageSize = view.getUint32(20, littleEndian);
  if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) {
    throw fail(`page size ${pageSize} is not a power of two from 512 to 65536`);
  }
  if (bytes[24] !== 0) throw fail("the database is encrypted");
  const lastPage = view.getUint32(32, littleEndian);
  const maxBucket = view.getUint32(72, littleEndian);
  // Every bucket needs a page of its own, so a larger bucket count is a lie.
  if (maxBucket >= lastPage && lastPage > 0) throw fail(`${maxBucket + 1} buckets in ${lastPage} pages`);
  if (lastPage === 0) throw fail("the metadata says the file has no pages after it");
  const spares: number[] = [];
  for (let i = 0; i < 32; i++) spares.push(view.getUint32(96 + 4 * i, littleEndian));
  return { littleEndian, pageSize, lastPage, maxBucket, spares };
}

/** Bits needed for n: the splitpoint whose spare offset maps bucket n to its page (BDB's ceil(log2(n+1))). */
function bitLength(n: number): number {
  let bits = 0;
  for (let b = n; b > 0; b >>>= 1) bits++;
  return bits;
}
