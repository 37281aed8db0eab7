/** Most parsed versions one cache holds before it starts over; bounds memory on hostile input. */
const MAX_ENTRIES = 50_000;
/** Longer version strings are parsed each time rather than kept. */
const MAX_KEY_LENGTH = 256;

/**
 * A bounded memo of parsed versions: matching compares the same few thousand version strings over and
 * over, so each is parsed once. The cache empties itself when full rather than tracking recency.
 */
export class ParseCache<T> {
  private readonly entries = new Map<string, T>();

  constructor(private readonly parse: (text: string) => T) {}

  /** The parsed form of `text`, from the cache when it is there. */
  get(text: string): T {
    const hit = this.entries.get(text);
    if (hit !== undefined) return hit;
    const parsed = this.parse(text);
    if (text.length <= MAX_KEY_LENGTH) {
      if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
      this.entries.set(text, parsed);
    }
    return parsed;
  }
}
