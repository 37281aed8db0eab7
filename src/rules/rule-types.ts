/**
 * The shapes shared by the parts of CIPolicE's reaction rules: a rules file parsed to rules with line
 * numbers, each rule's condition compiled once, and actions as data that one executor runs (never through
 * a shell). Messages are JSON objects (CIPolicE's `{"image", "level"}`, `{"cve", "compromised"}`, registry
 * and scanner notifications turned into those), optionally with the policy decision for their image.
 */

/** A message the rules are evaluated on: any JSON object. */
export type RuleMessage = Record<string, unknown>;

/** Where something is in a rules file, 1-based. */
export interface SourcePosition {
  file: string;
  line: number;
  column: number;
}

/** What an action line names. */
export type ActionKind =
  /** An executable file (`./label.sh`, `/usr/local/bin/x`): run with the image as its one argument. */
  | "executable"
  /** A function of a JavaScript module (`actions.js:notify arg {image}`). */
  | "js-function"
  /** A function of a Python module (`containeractions.py:mark …`), run by python3 in a child process. */
  | "python-function"
  /** A web hook (`http://…`, `https://…`): the message and decision POSTed as JSON, signed. */
  | "webhook"
  /** `accept`, `reject`, `log`. */
  | "builtin"
  /** `break`: stop processing this message. */
  | "break"
  /** A name that is none of the above, loaded only with --allow-unknown-actions; fails each time it runs. */
  | "unknown";

/** One action line, as data. */
export interface RuleAction {
  kind: ActionKind;
  /** The file, module, URL or built-in name (`containeractions.py`, `./label.sh`, `http://…`, `accept`). */
  target: string;
  /** The function of a module action (`mark`). */
  func?: string;
  /**
   * Arguments as written after the target, each a template whose `{field}` placeholders are filled from the
   * message at run time (`{size-mb}`), as separate values: never joined into a command line.
   */
  args: string[];
  /** The action line as written (for logs and records). */
  text: string;
  at: SourcePosition;
}

/** A condition compiled once: true when the message matches; a missing field is a non-match with a notice. */
export interface CompiledCondition {
  /** The condition as written. */
  text: string;
  /** `rule_engine` (CIPolicE's syntax) or `cel`. */
  language: "rule_engine" | "cel";
  test(message: RuleMessage): { matched: boolean; notice?: string };
}

/** One rule: a condition and the actions under it, in file order. */
export interface Rule {
  condition: CompiledCondition;
  actions: RuleAction[];
  at: SourcePosition;
}

/** A loaded rules file (or several, concatenated in order). */
export interface RuleSet {
  rules: Rule[];
  /** The files it was loaded from. */
  sources: string[];
}

/** How one action ended. */
export interface ActionOutcome {
  action: RuleAction;
  status: "ok" | "failed" | "timed_out" | "skipped";
  /** What it printed or answered, bounded (the executor keeps at most 64 KiB). */
  output?: string;
  /** Why it failed. */
  error?: string;
  startedAt: string;
  durationMs: number;
}
