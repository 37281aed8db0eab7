/**
 * Python `re` patterns, as anchore-engine policies are written, compiled to JavaScript RegExp.
 * Leading inline flags such as `(?i)` become RegExp flags; `(?P<n>…)` and `(?P=n)` become named groups;
 * `\A` and `\Z` become `^` and `$`. Throws SyntaxError for a pattern neither language accepts.
 */
export function compilePythonRegex(pattern: string, extraFlags = ""): RegExp {
  let body = pattern;
  let flags = extraFlags;
  const inline = /^\(\?([aiLmsux]+)\)/.exec(body);
  if (inline?.[1]) {
    body = body.slice(inline[0].length);
    for (const f of inline[1]) {
      if ((f === "i" || f === "m" || f === "s") && !flags.includes(f)) flags += f;
    }
  }
  body = body
    .replace(/\(\?P<([A-Za-z_][A-Za-z0-9_]*)>/g, "(?<$1>")
    .replace(/\(\?P=([A-Za-z_][A-Za-z0-9_]*)\)/g, "\\k<$1>")
    .replace(/\\A/g, "^")
    .replace(/\\Z/g, "$");
  return new RegExp(body, flags);
}

/** Python's `re.match`: the pattern must match at the start of the text (not necessarily the whole of it). */
export function pythonMatch(regex: RegExp, text: string): boolean {
  const anchored =
    anchoredCache.get(regex) ?? new RegExp(`^(?:${regex.source})`, regex.flags.replace("g", ""));
  anchoredCache.set(regex, anchored);
  return anchored.test(text);
}

/** Python's `re.search`: the pattern may match anywhere. */
export function pythonSearch(regex: RegExp, text: string): boolean {
  regex.lastIndex = 0;
  return regex.test(text);
}

const anchoredCache = new WeakMap<RegExp, RegExp>();
