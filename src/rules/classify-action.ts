import type { ActionKind, RuleAction, SourcePosition } from "./rule-types.js";

/**
 * The built-in actions (besides `break`). CIPolicE's example names `notify_maintainer` and `blockimage`
 * were never defined by it (they always failed there): here too they are unknown, refused at load unless
 * `--allow-unknown-actions`.
 */
export const BUILTIN_ACTIONS: ReadonlySet<string> = new Set(["accept", "reject", "log"]);

/** How a rules file's loader decides what an action names. */
export interface ClassifyOptions {
  /** Load names that are nothing known as kind `unknown` (they fail each time they run) instead of refusing. */
  allowUnknownActions?: boolean;
  /** True when a bare name (`label`) is an existing file, so it is an executable. */
  actionExists?: (target: string) => boolean;
}

/** An action line that cannot be loaded: why, and the 1-based column on its line. */
export interface ActionProblem {
  column: number;
  reason: string;
}

const MODULE = /^(.*\.(js|mjs|cjs|py)):(.*)$/s;
const FUNCTION_NAME = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/**
 * Reads one action line (without its indentation) as data. Words are split on spaces and tabs, as CIPolicE
 * split them: the first names the action, the others are its arguments, each kept as one value with its
 * `{field}` placeholders unexpanded (`containeractions.py:echo Not good, … {size-mb} MB` gives the function
 * `echo` and the arguments `Not`, `good,`, …, `{size-mb}`, `MB`, …). A `#` inside an action line is text,
 * not a comment (a URL may hold one); comment lines start with `#`.
 *
 * Kinds: `break`; a built-in (BUILTIN_ACTIONS); `http://…` or `https://…` a web hook; `file.js:func`,
 * `file.mjs:func`, `file.cjs:func` a JavaScript function; `file.py:func` a Python function; a path with `/`,
 * a name ending in `.sh`, or an existing file an executable; anything else `unknown` when allowed.
 */
export function classifyAction(
  text: string,
  at: SourcePosition,
  options: ClassifyOptions,
): RuleAction | ActionProblem {
  const words = splitWords(text);
  const head = words[0] as { word: string; offset: number };
  const args = words.slice(1).map((w) => w.word);
  const argColumn = (words[1]?.offset ?? 0) + at.column;
  const make = (kind: ActionKind, target: string, func?: string): RuleAction => ({
    kind,
    target,
    ...(func === undefined ? {} : { func }),
    args,
    text,
    at,
  });
  const name = head.word;
  if (name === "break") {
    if (args.length > 0) return { column: argColumn, reason: "`break` takes no arguments" };
    return make("break", name);
  }
  if (BUILTIN_ACTIONS.has(name)) return make("builtin", name);
  if (/^https?:\/\//i.test(name)) {
    if (!URL.canParse(name))
      return { column: at.column, reason: `${JSON.stringify(name)} is not a valid URL` };
    if (args.length > 0)
      return { column: argColumn, reason: "a web hook takes no arguments: the message is POSTed as JSON" };
    return make("webhook", name);
  }
  const module = MODULE.exec(name);
  if (module) {
    const [, file, extension, func] = module as unknown as [string, string, string, string];
    if (!FUNCTION_NAME.test(func)) {
      const why =
        func === "" ? "no function name follows the colon" : `${JSON.stringify(func)} is not a function name`;
      return { column: at.column + file.length + 1, reason: `${why} (write ${file}:function)` };
    }
    return make(extension === "py" ? "python-function" : "js-function", file, func);
  }
  if (name.includes("/") || name.endsWith(".sh") || options.actionExists?.(name))
    return make("executable", name);
  if (options.allowUnknownActions) return make("unknown", name);
  return {
    column: at.column,
    reason: `unknown action ${JSON.stringify(name)}: it is no built-in (break, ${[...BUILTIN_ACTIONS].join(", ")}), no file, no module function (file.js:func, file.py:func) and no URL`,
  };
}

/** True when classifyAction refused the line. */
export function isActionProblem(value: RuleAction | ActionProblem): value is ActionProblem {
  return "reason" in value;
}

function splitWords(text: string): { word: string; offset: number }[] {
  const words: { word: string; offset: number }[] = [];
  for (const match of text.matchAll(/[^ \t]+/g)) words.push({ word: match[0], offset: match.index });
  return words;
}
