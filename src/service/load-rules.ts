import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { readBoundedSync } from "../io/bounded-read.js";
import { mergeRuleSets, parseRulesFile } from "../rules/parse-rules-file.js";
import type { RuleSet } from "../rules/rule-types.js";

/** Largest rules file read: rules are a few lines; anything near this is a wrong path. */
export const MAX_RULES_FILE_BYTES = 1024 * 1024;

/**
 * Reads, parses and checks rules files, concatenated in the order given (the first file's rules are
 * evaluated first). A bare action name is an executable when a file of that name sits beside its rules
 * file. Throws the first invalid file's problems (every one of them, with file, line and column).
 */
export function loadRulesFiles(
  paths: readonly string[],
  options: { allowUnknownActions?: boolean } = {},
): RuleSet {
  return mergeRuleSets(
    paths.map((path) => {
      const text = readBoundedSync(path, {
        maxBytes: MAX_RULES_FILE_BYTES,
        what: `rules file ${path}`,
        limitName: "rules file",
        limitHint: "A rules file is a few kilobytes: check that the path names the rules file.",
      }).toString("utf8");
      const base = dirname(resolve(path));
      return parseRulesFile(text, path, {
        ...(options.allowUnknownActions ? { allowUnknownActions: true } : {}),
        actionExists: (target) => existsSync(resolve(base, target)),
      });
    }),
  );
}
