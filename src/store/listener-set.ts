/** A report-change listener as `Store.onReportsChanged` takes it. */
export type ReportsListener = (digest: string | undefined) => void;

/**
 * The listeners of one store instance. A listener that throws is reported to `onError` and does not keep
 * the others from hearing the change: a cache's bug must not stop another cache from dropping a digest.
 */
export class ListenerSet {
  readonly #listeners = new Set<ReportsListener>();

  constructor(private readonly onError: (error: unknown) => void = () => {}) {}

  /** Adds a listener; returns the function that removes it (calling it twice is harmless). */
  add(listener: ReportsListener): () => void {
    // A wrapper per call, so one function subscribed twice is removed once per unsubscribe
    const entry: ReportsListener = (digest) => listener(digest);
    this.#listeners.add(entry);
    return () => {
      this.#listeners.delete(entry);
    };
  }

  /** Calls every listener with the digest (or `undefined`: drop everything). */
  emit(digest: string | undefined): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(digest);
      } catch (error) {
        this.onError(error);
      }
    }
  }

  /** Removes every listener. */
  clear(): void {
    this.#listeners.clear();
  }
}
