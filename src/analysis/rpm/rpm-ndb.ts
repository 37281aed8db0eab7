import { CipError } from "../../model/index.js";
import type { RpmHeaderBlob } from "./rpm-blob.js";
import { MAX_HEADER_BYTES } from "./rpm-header.js";

/** Little-endian four-character magics of rpm's ndb `Packages.db` (lib/backend/ndb/rpmpkg.c). */
const PKGDB_MAGIC = fourcc("RpmP");
const SLOT_MAGIC = fourcc("Slot");
const BLOBHEAD_MAGIC = fourcc("BlbS");
const BLOBTAIL_MAGIC = fourcc("BlbE");

const HEADER_BYTES = 32;
const SLOT_BYTES = 16;
const BLOCK_BYTES = 16;
const SLOT_PAGE_BYTES = 4096;
const BLOBHEAD_BYTES = 16;
const BLOBTAIL_BYTES = 12;
/** More slot pages than this (a million packages) is a damaged header, not a real database. */
const MAX_SLOT_PAGES = 4096;

/** True when the bytes start like an rpm ndb database (SUSE: `/usr/lib/sysimage/rpm/Packages.db`). */
export function isNdbDatabase(bytes: Uint8Array): boolean {
  return bytes.byteLength >= HEADER_BYTES && readLe(bytes, 0) === PKGDB_MAGIC;
}

/**
 * Reads the header blobs of an rpm ndb database in slot order: the 32-byte file header, the slot pages
 * (16-byte slots: magic, package index, block offset, block count; offset 0 is a free slot), and for each
 * used slot its blob: head (magic, package index, generation, length), the header, zero padding, and the
 * tail (Adler-32 of head, header and padding; length; magic), all checked as rpm writes them. At most
 * `maxPackages` blobs are read. Failures are CIP_PACKAGE_DB_INVALID naming `where`.
 */
export function readNdbHeaderBlobs(bytes: Uint8Array, where: string, maxPackages: number): RpmHeaderBlob[] {
  const fail = (what: string) =>
    new CipError("CIP_PACKAGE_DB_INVALID", `Cannot read rpm ndb database: ${what} (${where})`, {
      hint: "The file is damaged or not an rpm Packages.db database.",
    });
  if (!isNdbDatabase(bytes)) throw fail("no RpmP magic");
  const version = readLe(bytes, 4);
  if (version !== 0) throw fail(`version ${version} is not 0`);
  const slotPages = readLe(bytes, 12);
  if (slotPages === 0 || slotPages > MAX_SLOT_PAGES)
    throw fail(`${slotPages} slot pages is outside 1..${MAX_SLOT_PAGES}`);
  if (slotPages * SLOT_PAGE_BYTES > bytes.byteLength)
    throw fail(`${slotPages} slot pages do not fit the file (truncated)`);
  const fileBlocks = Math.floor(bytes.byteLength / BLOCK_BYTES);
  const firstBlobBlock = (slotPages * SLOT_PAGE_BYTES) / BLOCK_BYTES;

  const blobs: RpmHeaderBlob[] = [];
  for (let at = HEADER_BYTES; at < slotPages * SLOT_PAGE_BYTES; at += SLOT_BYTES) {
    const slot = (at - HEADER_BYTES) / SLOT_BYTES;
    if (readLe(bytes, at) !== SLOT_MAGIC) throw fail(`slot ${slot} has no Slot magic`);
    const pkgIndex = readLe(bytes, at + 4);
    const blockOffset = readLe(bytes, at + 8);
    const blockCount = readLe(bytes, at + 12);
    if (blockOffset === 0) continue;
    const item = `package ${pkgIndex} (slot ${slot})`;
    if (pkgIndex === 0 || blockCount === 0 || blockOffset < firstBlobBlock)
      throw fail(`${item} is a damaged slot`);
    if (blockOffset + blockCount > fileBlocks)
      throw fail(`${item} runs past the end of the file (truncated)`);
    const start = blockOffset * BLOCK_BYTES;
    const end = start + blockCount * BLOCK_BYTES;
    if (blockCount * BLOCK_BYTES < BLOBHEAD_BYTES + BLOBTAIL_BYTES)
      throw fail(`${item} has ${blockCount} blocks, too few`);
    if (readLe(bytes, start) !== BLOBHEAD_MAGIC) throw fail(`${item} blob has no BlbS magic`);
    if (readLe(bytes, start + 4) !== pkgIndex)
      throw fail(`${item} blob belongs to package ${readLe(bytes, start + 4)}`);
    const length = readLe(bytes, start + 12);
    if (length > MAX_HEADER_BYTES) throw fail(`${item} blob claims ${length} bytes`);
    if (blockCount !== Math.ceil((BLOBHEAD_BYTES + length + BLOBTAIL_BYTES) / BLOCK_BYTES)) {
      throw fail(`${item} blob length ${length} does not match its ${blockCount} blocks`);
    }
    const tail = end - BLOBTAIL_BYTES;
    if (readLe(bytes, tail + 8) !== BLOBTAIL_MAGIC) throw fail(`${item} blob has no BlbE tail magic`);
    if (readLe(bytes, tail + 4) !== length) throw fail(`${item} blob tail length differs from its head`);
    if (readLe(bytes, tail) !== adler32(bytes.subarray(start, tail)))
      throw fail(`${item} blob checksum does not match`);
    if (blobs.length >= maxPackages) throw fail(`more than ${maxPackages} packages`);
    blobs.push({
      key: pkgIndex,
      blob: bytes.subarray(start + BLOBHEAD_BYTES, start + BLOBHEAD_BYTES + length),
      where: `${where}, ${item}`,
    });
  }
  return blobs;
}

function fourcc(text: string): number {
  return (
    (text.charCodeAt(0) |
      (text.charCodeAt(1) << 8) |
      (text.charCodeAt(2) << 16) |
      (text.charCodeAt(3) << 24)) >>>
    0
  );
}

function readLe(bytes: Uint8Array, at: number): number {
  return (
    ((bytes[at] as number) |
      ((bytes[at + 1] as number) << 8) |
      ((bytes[at + 2] as number) << 16) |
      ((bytes[at + 3] as number) << 24)) >>>
    0
  );
}

/** Adler-32 (RFC 1950), as rpm computes it over a blob. */
export function adler32(data: Uint8Array): number {
  let a = 1;
  let b = 0;
  // 5552 bytes is the most that can be summed before b overflows 2^32 (zlib's NMAX).
  for (let i = 0; i < data.length; ) {
    const stop = Math.min(data.length, i + 5552);
    for (; i < stop; i++) {
      a += data[i] as number;
      b += a;
    }
    a %= 65521;
    b %= 65521;
  }
  return ((b << 16) | a) >>> 0;
}
