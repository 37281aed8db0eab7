import { ConditionError } from "./condition-error.js";

/** One token of a rule_engine condition; `start`/`end` are 0-based offsets into the condition text. */
export type Token =
  | { type: "number"; value: number; start: number; end: number }
  | { type: "string"; value: string; start: number; end: number }
  | { type: "name"; value: string; start: number; end: number }
  | { type: "keyword"; value: string; start: number; end: number }
  | { type: "op"; value: string; start: number; end: number }
  | { type: "end"; value: ""; start: number; end: number };

const KEYWORDS: ReadonlySet<string> = new Set([
  "and",
  "or",
  "not",
  "in",
  "true",
  "false",
  "null",
  "inf",
  "nan",
  "for",
  "if",
  "elif",
  "else",
  "while",
]);

// Longest first, so `=~~` is not read as `=~` then `~`.
const OPERATORS = [
  "=~~",
  "!~~",
  "**",
  "//",
  "==",
  "!=",
  "<=",
  ">=",
  "=~",
  "!~",
  "&.",
  "&[",
  "<<",
  ">>",
  "??",
  "<",
  ">",
  "+",
  "-",
  "*",
  "/",
  "%",
  "(",
  ")",
  "[",
  "]",
  ",",
  ".",
  "?",
  ":",
  "&",
  "|",
  "^",
  "{",
  "}",
  "=",
];

const NUMBER = /^(?:0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

/**
 * Splits a condition in rule_engine's syntax into tokens. A `#` outside a string starts a comment that runs to
 * the end of the text, as rule_engine has it. Throws ConditionError with the column of what cannot be read.
 */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i] as string;
    if (ch === " " || ch === "\t" || ch === "\r" || ch === "\n") {
      i++;
      continue;
    }
    if (ch === "#") break;
    const rest = text.slice(i, i + 64);
    // `s"…"` and `r"…"` are string prefixes only when a quote follows at once.
    if (
      ch === "'" ||
      ch === '"' ||
      ((ch === "s" || ch === "r") && (text[i + 1] === "'" || text[i + 1] === '"'))
    ) {
      const raw = ch === "r";
      const open = ch === "'" || ch === '"' ? i : i + 1;
      const [value, end] = readString(text, open, raw);
      tokens.push({ type: "string", value, start: i, end });
      i = end;
      continue;
    }
    const number = NUMBER.exec(text.slice(i, i + 400));
    if (number && /[0-9]/.test(ch)) {
      const literal = number[0];
      tokens.push({ type: "number", value: numberValue(literal), start: i, end: i + literal.length });
      i += literal.length;
      continue;
    }
    const name = NAME.exec(text.slice(i, i + 400));
    if (name) {
      const word = name[0];
      tokens.push({
        type: KEYWORDS.has(word) ? "keyword" : "name",
        value: word,
        start: i,
        end: i + word.length,
      });
      i += word.length;
      continue;
    }
    if (ch === "$") {
      throw new ConditionError(
        "CIP_EXPRESSION_INVALID",
        i + 1,
        "builtin symbols (`$now`, `$split`, …) are not supported in rules conditions; write the condition in CEL (`cel:` prefix) instead",
      );
    }
    const op = OPERATORS.find((o) => rest.startsWith(o));
    if (!op) {
      throw new ConditionError("CIP_EXPRESSION_INVALID", i + 1, `unexpected character ${JSON.stringify(ch)}`);
    }
    tokens.push({ type: "op", value: op, start: i, end: i + op.length });
    i += op.length;
  }
  tokens.push({ type: "end", value: "", start: text.length, end: text.length });
  return tokens;
}

function numberValue(literal: string): number {
  const prefix = literal.slice(0, 2).toLowerCase();
  if (prefix === "0x") return Number.parseInt(literal.slice(2), 16);
  if (prefix === "0o") return Number.parseInt(literal.slice(2), 8);
  if (prefix === "0b") return Number.parseInt(literal.slice(2), 2);
  return Number(literal);
}

const ESCAPES: Record<string, string> = {
  "\\": "\\",
  "'": "'",
  '"': '"',
  n: "\n",
  t: "\t",
  r: "\r",
  "0": "\0",
  a: "\x07",
  b: "\b",
  f: "\f",
  v: "\v",
};

/** Reads a quoted string starting at `open`; returns its value and the offset after the closing quote. */
function readString(text: string, open: number, raw: boolean): [string, number] {
  const quote = text[open] as string;
  let value = "";
  let i = open + 1;
  while (i < text.length) {
    const ch = text[i] as string;
    if (ch === quote) return [value, i + 1];
    if (ch !== "\\") {
      value += ch;
      i++;
      continue;
    }
    const next = text[i + 1];
    if (next === undefined) break;
    if (raw) {
      // A raw string keeps its backslashes; one still stops the next quote from closing the string.
      value += ch + next;
      i += 2;
      continue;
    }
    const simple = ESCAPES[next];
    if (simple !== undefined) {
      value += simple;
      i += 2;
      continue;
    }
    const hex = next === "x" ? /^[0-9a-fA-F]{2}/ : next === "u" ? /^[0-9a-fA-F]{4}/ : undefined;
    const digits = hex?.exec(text.slice(i + 2, i + 6));
    if (digits) {
      value += String.fromCharCode(Number.parseInt(digits[0], 16));
      i += 2 + digits[0].length;
      continue;
    }
    // Python keeps an unknown escape as written: `"\d+"` is the regular expression `\d+`.
    value += ch + next;
    i += 2;
  }
  throw new ConditionError("CIP_EXPRESSION_INVALID", open + 1, "the string starting here is not closed");
}
