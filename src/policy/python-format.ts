/**
 * Python's formatting and parsing of a few values, so that trigger messages (which feed md5 trigger ids)
 * come out byte-identical to anchore-engine's.
 */

/** Python's `oct(n)`: `0o755`, `-0o7`, `0o0`. */
export function pyOct(n: number): string {
  return n < 0 ? `-0o${(-n).toString(8)}` : `0o${n.toString(8)}`;
}

/** Python's `int(text, 8)`: optional sign, optional `0o` prefix, underscores between digits; throws like Python. */
export function pyIntBase8(text: string): number {
  const m = /^\s*([+-]?)(?:0[oO]_?)?([0-7](?:_?[0-7])*)\s*$/.exec(text);
  if (!m?.[2]) throw new Error(`invalid literal for int() with base 8: ${pyStrRepr(text)}`);
  const value = Number.parseInt(m[2].replaceAll("_", ""), 8);
  return m[1] === "-" ? -value : value;
}

/** Python's `repr()` of a str: single quotes unless the text holds one and no double quote. */
export function pyStrRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of text) {
    const code = ch.codePointAt(0) as number;
    if (ch === "\\") out += "\\\\";
    else if (ch === quote) out += `\\${quote}`;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, "0")}`;
    else out += ch;
  }
  return out + quote;
}

/** Python's `str()` of a list of str: `['a', 'b']`. */
export function pyStrListRepr(items: readonly string[]): string {
  return `[${items.map(pyStrRepr).join(", ")}]`;
}

/** Python's `str.splitlines()`: splits on every line boundary Python knows; no trailing empty line. */
export function pySplitLines(text: string): string[] {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: Python treats these separators as line breaks.
  const lines = text.split(/\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/);
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  return lines;
}

/** Python's `str.split()` without arguments: runs of whitespace separate, no empty items. */
export function pySplitWhitespace(text: string): string[] {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: Python counts these separators as whitespace.
  return text.split(/[\s\x1c-\x1f\x85]+/).filter((item) => item !== "");
}
