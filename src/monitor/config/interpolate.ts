/** configparser's MAX_INTERPOLATION_DEPTH. */
const MAX_DEPTH = 10;
/** A value may not expand past this: `%(a)s%(a)s` nested ten deep would otherwise grow 1024-fold. */
export const MAX_INTERPOLATED_CHARS = 64 * 1024;

/**
 * Expands a value as configparser's BasicInterpolation does when the seed reads it: `%%` is a percent sign,
 * `%(name)s` is the value of `name` (lowercased) in the same section or `[DEFAULT]`, expanded in turn up
 * to ten levels deep; any other `%` is an error. Throws an Error whose message says what is wrong; the
 * caller adds the file, line and section.
 */
export function interpolate(value: string, lookup: (key: string) => string | undefined): string {
  let size = 0;
  const expand = (text: string, depth: number): string => {
    if (depth > MAX_DEPTH) {
      throw new Error(`references nest deeper than ${MAX_DEPTH} levels (a loop of %(name)s references?)`);
    }
    let out = "";
    let at = 0;
    while (at < text.length) {
      const percent = text.indexOf("%", at);
      if (percent < 0) {
        out += text.slice(at);
        break;
      }
      out += text.slice(at, percent);
      const next = text[percent + 1];
      if (next === "%") {
        out += "%";
        at = percent + 2;
      } else if (next === "(") {
        const match = /^%\(([^)]+)\)s/.exec(text.slice(percent));
        if (match === null || match[1] === undefined) {
          throw new Error(
            `bad reference ${JSON.stringify(text.slice(percent, percent + 40))}: write %(name)s`,
          );
        }
        const key = match[1].trim().toLowerCase();
        const found = lookup(key);
        if (found === undefined) throw new Error(`%(${match[1]})s names no key of this section or [DEFAULT]`);
        out += found.includes("%") ? expand(found, depth + 1) : found;
        at = percent + match[0].length;
      } else {
        throw new Error(
          `"%" must be followed by "%" or "(", found ${JSON.stringify(text.slice(percent, percent + 10))}: write %% for a percent sign`,
        );
      }
      size = Math.max(size, out.length);
      if (size > MAX_INTERPOLATED_CHARS) {
        throw new Error(`the value expands past ${MAX_INTERPOLATED_CHARS} characters`);
      }
    }
    return out;
  };
  return value.includes("%") ? expand(value, 1) : value;
}

/** configparser's BOOLEAN_STATES. */
const BOOLEANS: Record<string, boolean> = {
  "1": true,
  yes: true,
  true: true,
  on: true,
  "0": false,
  no: false,
  false: false,
  off: false,
};

/**
 * Reads a boolean as configparser's `getboolean` does (`1/yes/true/on`, `0/no/false/off`, any case);
 * an empty value is `fallback`. Returns undefined for anything else, for the caller to report.
 */
export function parseIniBoolean(value: string | undefined, fallback: boolean): boolean | undefined {
  if (value === undefined || value.trim() === "") return fallback;
  return BOOLEANS[value.trim().toLowerCase()];
}
