/**
 * AdmissionReviews seen before, by their exact bytes apart from the request's uid. The API server sends the
 * same review again with a new uid more often than one would think: GitOps controllers dry-run unchanged
 * objects at every sync, a webhook registered for several rules is asked once per rule, clients retry a
 * denied create. Such a review needs no parsing: what was read from it the first time still holds, and only
 * the uid is new. A review is recognized by byte comparison (memcmp), not by a hash, so nothing that differs
 * by a single byte can pass for it.
 *
 * The uid is found where the API server writes it: the first key of the request object,
 * `"request":{"uid":"…"` (Go serializes struct fields in order). Before an entry answers anything, it is
 * shown that the bytes at that place are what JSON.parse reads as `request.uid` (two parses that read two
 * different values there, or one probe parse with a marker in its place), so a body that puts another uid
 * key elsewhere (a duplicate key, a nested object named `request`) cannot make the answer carry a uid the
 * review does not have.
 */

const UID_AT = Buffer.from('"request":{"uid":"');
const QUOTE = 0x22;
/** Longest uid taken (Kubernetes' are 36-character UUIDs); longer ones are parsed as usual. */
const MAX_UID_BYTES = 128;
/** Bytes of a uid that need no escaping in JSON and cannot end the string early: A-Z a-z 0-9 . _ : - */
const PLAIN_UID_BYTE = new Uint8Array(256);
for (const byte of Buffer.from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-")) {
  PLAIN_UID_BYTE[byte] = 1;
}

/** Bounds of a {@link RepeatedReviews}. */
export interface RepeatedReviewsOptions {
  /** Reviews remembered (each holds a copy of its body); the oldest go first. */
  maxEntries: number;
  /** Larger bodies are not remembered. */
  maxBodyBytes: number;
}

/** A review found again: what was remembered of it, and this request's uid. */
export interface RepeatedReview<T> {
  value: T;
  uid: string;
}

interface Entry<T> {
  body: Buffer;
  start: number;
  end: number;
  /** The uid the first sighting carried. */
  uid: string;
  /** Set once the uid's place is shown to be `request.uid`: until then the entry answers nothing. */
  value: T | undefined;
}

/**
 * A bounded memory of AdmissionReview bodies and what was read from each, found again by their bytes with
 * only the request uid allowed to differ. Entries are added by {@link observe} after a normal parse and
 * answer {@link find} from the second sighting on, once the uid's place is proven.
 */
export class RepeatedReviews<T> {
  // Keyed by the lengths before and after the uid: bodies that can match share both
  readonly #buckets = new Map<number, Entry<T>[]>();
  #size = 0;
  #probes = 0;
  // Grows at every change of the entries, so a lookup made before one is not reused after it
  #version = 0;
  #last: Lookup<T> | undefined = undefined;
  #lastAt = -1;
  readonly #options: RepeatedReviewsOptions;

  constructor(options: RepeatedReviewsOptions) {
    this.#options = options;
  }

  /** Entries held now. */
  get size(): number {
    return this.#size;
  }

  /** What was remembered of a body equal to this one but for its uid, and this body's uid; else undefined. */
  find(body: Buffer): RepeatedReview<T> | undefined {
    const { span, entry } = this.#lookup(body);
    if (span === undefined || entry?.value === undefined) return undefined;
    return { value: entry.value, uid: span.uid };
  }

  /**
   * The uid's place in a body and the entry it matches. The last lookup is reused while nothing was added
   * or dropped since: a review that is no repeat is looked up by the route's fast path, then by its handler,
   * then observed, and one bucket scan serves all three.
   */
  #lookup(body: Buffer): Lookup<T> {
    const last = this.#last;
    if (last !== undefined && last.body === body && last.version === this.#version) return last;
    const span = uidSpan(body, this.#options.maxBodyBytes, this.#lastAt);
    if (span !== undefined) this.#lastAt = span.at;
    const entry = span === undefined ? undefined : this.#match(body, span.start, span.end);
    const lookup = { body, version: this.#version, span, entry };
    this.#last = lookup;
    return lookup;
  }

  /**
   * Remembers what was read from a body whose parse gave `uid` as its request uid. The first sighting is
   * kept as a candidate; a later one with the same bytes around the uid makes it answer `find` with `value`.
   * `parseUid` is JSON.parse's reading of the request uid, for the probe when both sightings had the same uid.
   */
  observe(body: Buffer, uid: string, value: T, parseUid: (text: string) => unknown): void {
    const { span, entry: known } = this.#lookup(body);
    if (span === undefined) return;
    const { start, end } = span;
    // The parse read another uid than the one at this place: the place is not request.uid
    if (span.uid !== uid) return;
    // Entries keep the first place the pattern occurs, so a body whose prefix holds it never matches one
    if (known === undefined) {
      const first = body.indexOf(UID_AT);
      if (first !== span.at) {
        this.#lastAt = first;
        return;
      }
    }
    const key = bucketKey(start, body.length - end, this.#options.maxBodyBytes);
    this.#version++;
    if (known !== undefined) {
      if (known.value !== undefined) {
        known.value = value;
        return;
      }
      if (!this.#proven(known, body, uid, parseUid)) return;
      known.value = value;
      // To the front of its bucket: found first, and dropped last when one-off reviews crowd the bucket
      const bucket = this.#buckets.get(key) as Entry<T>[];
      bucket.splice(bucket.indexOf(known), 1);
      bucket.unshift(known);
      return;
    }
    let bucket = this.#buckets.get(key);
    if (bucket === undefined) {
      bucket = [];
      this.#buckets.set(key, bucket);
    } else {
      // Re-inserted so the Map's order stays oldest bucket first
      this.#buckets.delete(key);
      this.#buckets.set(key, bucket);
    }
    // A copy: the request's buffer may be a slice of a pooled one
    bucket.push({ body: Buffer.from(body), start, end, uid, value: undefined });
    this.#size++;
    // Bodies of the same shape (pods of one ReplicaSet) share a bucket: each is kept short, the oldest
    // review seen once going first
    if (bucket.length > MAX_BUCKET_ENTRIES) {
      const once = bucket.findIndex((entry) => entry.value === undefined);
      bucket.splice(once < 0 ? bucket.length - 1 : once, 1);
      this.#size--;
    }
    while (this.#size > this.#options.maxEntries) this.#dropOldest();
  }

  /** Forgets every review. */
  clear(): void {
    this.#version++;
    this.#buckets.clear();
    this.#size = 0;
  }

  #match(body: Buffer, start: number, end: number): Entry<T> | undefined {
    const bucket = this.#buckets.get(bucketKey(start, body.length - end, this.#options.maxBodyBytes));
    if (bucket === undefined) return undefined;
    const length = body.length;
    // Proven entries stand first (see observe), so a review asked again and again is found at once
    for (const entry of bucket) {
      const other = entry.body;
      if (
        other.compare(body, 0, start, 0, start) === 0 &&
        other.compare(body, end, length, entry.end, other.length) === 0
      ) {
        return entry;
      }
    }
    return undefined;
  }

  /**
   * True when the bytes at the entry's uid place are what JSON.parse reads as the request uid: two parses
   * that read two different uids there show it; the same uid twice needs one probe with a marker.
   */
  #proven(entry: Entry<T>, body: Buffer, uid: string, parseUid: (text: string) => unknown): boolean {
    if (entry.uid !== uid) return true;
    const marker = `cipolice-uid-probe-${++this.#probes}`;
    const text = `${body.toString("utf8", 0, entry.start)}${marker}${body.toString("utf8", entry.end)}`;
    try {
      return parseUid(text) === marker;
    } catch {
      return false;
    }
  }

  #dropOldest(): void {
    const oldest = this.#buckets.entries().next().value;
    if (oldest === undefined) return;
    const [key, bucket] = oldest;
    bucket.pop();
    this.#size--;
    if (bucket.length === 0) this.#buckets.delete(key);
  }
}

/** A body's uid place and the entry it matched, as of a version of the entries. */
interface Lookup<T> {
  body: Buffer;
  version: number;
  span: UidSpan | undefined;
  entry: Entry<T> | undefined;
}

/** Where the pattern stands (`at`) and the uid's value between `start` and `end`. */
interface UidSpan {
  at: number;
  start: number;
  end: number;
  uid: string;
}

/** Reviews of one bucket kept at most (pods of one ReplicaSet differ only in names of the same length): each one-off review scans them. */
const MAX_BUCKET_ENTRIES = 4;

/** One number for the lengths before and after the uid (a number key needs no string hashing). */
function bucketKey(before: number, after: number, maxBodyBytes: number): number {
  return before * (maxBodyBytes + 1) + after;
}

/** Where the request uid's value lies in a body laid out as the API server writes it; undefined otherwise. */
function uidSpan(body: Buffer, maxBodyBytes: number, guess: number): UidSpan | undefined {
  if (body.length > maxBodyBytes) return undefined;
  // Where the last review had it is tried first, in place: the API server lays every review out alike
  const at = bytesAt(body, UID_AT, guess) ? guess : body.indexOf(UID_AT);
  if (at < 0) return undefined;
  const start = at + UID_AT.length;
  const limit = Math.min(body.length, start + MAX_UID_BYTES + 1);
  let end = start;
  // No escapes, nothing outside ASCII: the bytes are the value, and another uid of the same kind fits in
  while (end < limit && PLAIN_UID_BYTE[body[end] as number] === 1) end++;
  if (end === start || end === limit || body[end] !== QUOTE) return undefined;
  return { at, start, end, uid: body.toString("latin1", start, end) };
}

/** True when `pattern` stands in `body` at `at`; compared in place, since a native call costs more here. */
function bytesAt(body: Buffer, pattern: Buffer, at: number): boolean {
  if (at < 0 || at + pattern.length > body.length) return false;
  for (let i = 0; i < pattern.length; i++) if (body[at + i] !== pattern[i]) return false;
  return true;
}
