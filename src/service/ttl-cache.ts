/** How a lookup in a TtlCache was answered. */
export type CacheOutcome = "hit" | "miss" | "coalesced";

/** A cached value with the time it stops being fresh (ms since the epoch, on the cache's clock). */
export interface Entry<V> {
  readonly value: V;
  readonly expiresAt: number;
}

/** Options of a TtlCache. */
export interface TtlCacheOptions<V> {
  /** Most entries kept; the least recently used goes first. */
  maxEntries: number;
  /** How long a value stays fresh, in milliseconds; may depend on the value (shorter for negative answers). */
  ttlMs: number | ((value: V) => number);
  /** Clock in milliseconds; tests pass their own. */
  now?: () => number;
}

/**
 * A bounded least-recently-used cache with a time to live per value, which coalesces concurrent loads:
 * while a key is being computed, every other caller for that key waits on the same promise. A failed load
 * is not cached (the next caller tries again).
 */
export class TtlCache<K, V> {
  readonly #entries = new Map<K, Entry<V>>();
  readonly #loading = new Map<K, Promise<V>>();
  readonly #options: TtlCacheOptions<V>;
  readonly #now: () => number;
  // Bumped by clear(): a load started before it must not put its (possibly stale) value back
  #generation = 0;

  constructor(options: TtlCacheOptions<V>) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /** Grows at every clear(): a caller that computed a value outside get() stores it only if this is unchanged. */
  get generation(): number {
    return this.#generation;
  }

  /** Entries held now, fresh or not yet evicted. */
  get size(): number {
    return this.#entries.size;
  }

  /** The fresh value for a key, or undefined; a hit makes the entry most recently used. */
  peek(key: K): V | undefined {
    return this.peekEntry(key)?.value;
  }

  /** As {@link peek}, with the time the value stops being fresh. */
  peekEntry(key: K): Entry<V> | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= this.#now()) {
      this.#entries.delete(key);
      return undefined;
    }
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    return entry;
  }

  /**
   * The value for a key: the cached one when fresh, the pending load's when one runs, else `load()`'s.
   * `onOutcome` learns which of the three it was (for metrics).
   */
  get(key: K, load: () => Promise<V>, onOutcome?: (outcome: CacheOutcome) => void): Promise<V> {
    const cached = this.peek(key);
    if (cached !== undefined) {
      onOutcome?.("hit");
      return Promise.resolve(cached);
    }
    const pending = this.#loading.get(key);
    if (pending !== undefined) {
      onOutcome?.("coalesced");
      return pending;
    }
    onOutcome?.("miss");
    const generation = this.#generation;
    const promise = load().then(
      (value) => {
        this.#loading.delete(key);
        if (generation === this.#generation) this.set(key, value);
        return value;
      },
      (error: unknown) => {
        this.#loading.delete(key);
        throw error;
      },
    );
    this.#loading.set(key, promise);
    return promise;
  }

  /** Stores a value, evicting the least recently used entries beyond the bound. */
  set(key: K, value: V): void {
    const ttl = typeof this.#options.ttlMs === "function" ? this.#options.ttlMs(value) : this.#options.ttlMs;
    if (ttl <= 0) return;
    this.#entries.delete(key);
    this.#entries.set(key, { value, expiresAt: this.#now() + ttl });
    while (this.#entries.size > this.#options.maxEntries) {
      const oldest = this.#entries.keys().next().value as K;
      this.#entries.delete(oldest);
    }
  }

  /** Drops the entries whose key satisfies the predicate, and keeps loads already running from storing. */
  deleteWhere(predicate: (key: K) => boolean): void {
    // A load running now may have read what made these entries stale: it must not store its value either
    this.#generation++;
    this.#loading.clear();
    // Deleting the entry just visited is safe while iterating a Map: no copy of the keys is needed
    for (const key of this.#entries.keys()) if (predicate(key)) this.#entries.delete(key);
  }

  /** Drops everything, and keeps loads already running from storing what they find. */
  clear(): void {
    this.#generation++;
    this.#entries.clear();
    this.#loading.clear();
  }
}
