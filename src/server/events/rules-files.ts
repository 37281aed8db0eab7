import type { RuleSet } from "../../rules/rule-types.js";
import { loadRulesFiles } from "../../service/load-rules.js";
import type { ServerLogger } from "../logger.js";

const NO_RULES: RuleSet = { rules: [], sources: [] };

/**
 * The rules files a server runs: loaded at start (an invalid file stops the start, naming every problem),
 * reloaded on SIGHUP, where an invalid file keeps the rules in force and says why.
 */
export class RulesFiles {
  #current: RuleSet;
  #reloadError: string | undefined;

  constructor(
    readonly paths: readonly string[],
    private readonly options: { allowUnknownActions: boolean },
    private readonly logger: ServerLogger,
  ) {
    this.#current = paths.length === 0 ? NO_RULES : loadRulesFiles(paths, options);
  }

  /** The rules in force. */
  get current(): RuleSet {
    return this.#current;
  }

  /** Why the last reload failed, when it did. */
  get reloadError(): string | undefined {
    return this.#reloadError;
  }

  /** Reads every file again; on any problem the rules in force stay. */
  reload(): boolean {
    if (this.paths.length === 0) return true;
    try {
      this.#current = loadRulesFiles(this.paths, this.options);
      this.#reloadError = undefined;
      this.logger.info({ rules: this.#current.rules.length, files: this.paths }, "rules reloaded");
      return true;
    } catch (error) {
      this.#reloadError = error instanceof Error ? error.message : String(error);
      this.logger.error(
        { err: this.#reloadError },
        "rules reload failed; the rules loaded before stay in force",
      );
      return false;
    }
  }
}
