// Bidi embeddings, overrides, isolates and marks ("Trojan Source"), and the line and paragraph separators
// some log viewers break lines on.
const INVISIBLE = "\\u061c\\u200e\\u200f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069";
// C0 controls, DEL and C1 controls (0x9b is CSI on 8-bit terminals), so also every escape sequence.
const UNSAFE_LINE = new RegExp(`[\\u0000-\\u001f\\u007f-\\u009f${INVISIBLE}]`);
const UNSAFE_LINE_ALL = new RegExp(UNSAFE_LINE.source, "g");
// The same, but tab and line feed are kept: for text that is several lines on purpose.
const UNSAFE_TEXT = new RegExp(`[\\u0000-\\u0008\\u000b-\\u001f\\u007f-\\u009f${INVISIBLE}]`);
const UNSAFE_TEXT_ALL = new RegExp(UNSAFE_TEXT.source, "g");

const NAMED: Readonly<Record<string, string>> = { "\t": "\\t", "\n": "\\n", "\r": "\\r" };

function escapeChar(c: string): string {
  const named = NAMED[c];
  if (named !== undefined) return named;
  const code = c.charCodeAt(0);
  return code <= 0xff
    ? `\\x${code.toString(16).padStart(2, "0")}`
    : `\\u${code.toString(16).padStart(4, "0")}`;
}

/**
 * Text from input made safe to print on one line of a terminal or CI log: control characters (C0, DEL,
 * C1, so also escape sequences), tab, line breaks and bidi controls are shown escaped (`\x1b`, `\r`, `\n`,
 * `\x9b`, `\u202e`), so the text cannot move the cursor, recolour, retitle or forge another line.
 * Backslashes are left as they are, so `\x1b` in the output may also have been typed literally.
 */
export function terminalLine(text: string): string {
  // Most strings are clean: one test, no copy.
  return UNSAFE_LINE.test(text) ? text.replace(UNSAFE_LINE_ALL, escapeChar) : text;
}

/**
 * As {@link terminalLine}, but keeps line feeds and tabs: for text made of several lines on purpose (a stack
 * trace, Commander's usage messages). Carriage returns are still escaped: they would overwrite a line.
 */
export function terminalText(text: string): string {
  return UNSAFE_TEXT.test(text) ? text.replace(UNSAFE_TEXT_ALL, escapeChar) : text;
}

// What JSON.stringify leaves raw but a terminal acts on: DEL, C1 controls and the invisible characters above.
const UNSAFE_IN_JSON = new RegExp(`[\\u007f-\\u009f${INVISIBLE}]`);
const UNSAFE_IN_JSON_ALL = new RegExp(UNSAFE_IN_JSON.source, "g");

/**
 * JSON text with DEL, C1 controls and bidi controls written as `\uXXXX` escapes, which JSON.stringify leaves
 * raw: the same JSON value, but safe to print on a terminal. (C0 controls JSON.stringify escapes itself.)
 */
export function terminalSafeJson(json: string): string {
  return UNSAFE_IN_JSON.test(json)
    ? json.replace(UNSAFE_IN_JSON_ALL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`)
    : json;
}
