import type { ImageVerdict, VerdictStore } from "./store-ports.js";

/**
 * The verdicts rule actions put on images (`accept`, `reject`), held in memory so that a decision never
 * waits on the store for them (a store that is down or slow must not undo decisions that need no store).
 * Loaded whole at start; a change announced for a subject (the store's reports-changed notice, which a new
 * verdict sends) re-reads that subject, an unknown change everything.
 */
export class RuleVerdicts {
  #bySubject = new Map<string, ImageVerdict>();

  constructor(
    private readonly store: Pick<VerdictStore, "getVerdict" | "listVerdicts">,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Reads every verdict; throws when the store cannot be read (a server then does not start). */
  async load(): Promise<void> {
    const all = await this.store.listVerdicts();
    this.#bySubject = new Map(all.map((v) => [v.subject, v]));
  }

  /** The verdict on a subject (a digest or a reference), if a rule set one. */
  get(subject: string): ImageVerdict | undefined {
    return this.#bySubject.get(subject);
  }

  /** Re-reads one subject's verdict (all of them when undefined); on failure the ones held stay. */
  async refresh(subject: string | undefined): Promise<void> {
    try {
      if (subject === undefined) {
        await this.load();
        return;
      }
      const verdict = await this.store.getVerdict(subject);
      if (verdict === undefined) this.#bySubject.delete(subject);
      else this.#bySubject.set(subject, verdict);
    } catch (error) {
      this.onError(error);
    }
  }
}
