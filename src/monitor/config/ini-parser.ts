/** One `key = value` of a section, with the line where its key was written. */
export interface IniValue {
  value: string;
  line: number;
}

/** One section of an INI file; a repeated section is merged into its first occurrence. */
export interface IniSection {
  /** The name between the brackets, exactly as written (section names are case-sensitive). */
  name: string;
  /** Line of its first header. */
  line: number;
  /** Keys lowercased (configparser's optionxform), in the order first written. */
  values: Map<string, IniValue>;
}

/** An INI file as configparser (strict=False, no interpolation yet) reads it. */
export interface IniDocument {
  /** `[DEFAULT]`, whose keys every other section inherits. */
  defaults: Map<string, IniValue>;
  /** The other sections in the order they first appear. */
  sections: IniSection[];
  /** Repeated sections and keys (configparser in strict mode refuses them; we merge and say so). */
  warnings: string[];
}

/** One line configparser cannot read. */
export interface IniProblem {
  line: number;
  /** The section the line is in, when there is one. */
  section?: string;
  message: string;
}

/** The section configparser treats as defaults for all others. */
export const DEFAULT_SECTION = "DEFAULT";

/** More problems than this are counted, not listed. */
const MAX_PROBLEMS = 20;

/**
 * Parses INI text with the rules of Python's `configparser.ConfigParser()` defaults, so a CFPB Docker Monitor
 * file reads the same: full-line comments start with `#` or `;` (no inline comments: `a = b ; c` keeps
 * `b ; c`); `key = value` or `key: value`, split at the first `=` or `:`; keys lowercased and trimmed,
 * values trimmed; a line indented deeper than its key continues the value (joined with newlines, empty
 * lines kept inside, trailing ones dropped); section names case-sensitive. Where configparser (strict) would
 * refuse a repeated section or key, the repeat is merged into the first one (later values win, the section
 * keeps its first position) with a warning: the seed README's own example repeats a section. Stricter than
 * configparser: text after a section header's `]` other than a comment is an error. Collects every bad line
 * into `problems` instead of stopping at the first.
 */
export function parseIni(text: string): { document: IniDocument; problems: IniProblem[] } {
  const document: IniDocument = { defaults: new Map(), sections: [], warnings: [] };
  const problems: IniProblem[] = [];
  const byName = new Map<string, IniSection>();
  const problem = (line: number, section: string | undefined, message: string) => {
    if (problems.length < MAX_PROBLEMS) problems.push({ line, section, message });
    else if (problems.length === MAX_PROBLEMS)
      problems.push({ line, section, message: "more problems follow" });
  };
  let current: { name: string; values: Map<string, IniValue> } | undefined;
  // Keys already written in this file, per section: the repeats configparser's strict mode refuses
  const seenKeys = new Set<string>();
  let value: { parts: string[]; entry: IniValue } | undefined;
  let indentLevel = 0;
  const finishValue = () => {
    if (value !== undefined) value.entry.value = value.parts.join("\n").trimEnd();
    value = undefined;
  };
  const lines = text.split(/\r\n|\n|\r/);
  if (lines.length > 0 && lines[0]?.charCodeAt(0) === 0xfeff) lines[0] = lines[0].slice(1);
  for (let index = 0; index < lines.length; index++) {
    const raw = lines[index] ?? "";
    const lineNo = index + 1;
    const stripped = raw.trim();
    const isComment = stripped.startsWith("#") || stripped.startsWith(";");
    if (stripped === "" || isComment) {
      // configparser keeps empty lines inside a value (not comment lines) and trims the trailing ones at the end
      if (!isComment && value !== undefined) value.parts.push("");
      continue;
    }
    const indent = raw.length - raw.trimStart().length;
    if (current !== undefined && value !== undefined && indent > indentLevel) {
      value.parts.push(stripped);
      continue;
    }
    finishValue();
    indentLevel = indent;
    if (stripped.startsWith("[")) {
      const close = stripped.lastIndexOf("]");
      if (close < 0) {
        problem(lineNo, current?.name, `section header ${quote(stripped)} has no closing "]"`);
        current = undefined;
        continue;
      }
      const name = stripped.slice(1, close);
      const rest = stripped.slice(close + 1).trim();
      if (rest !== "" && !rest.startsWith("#") && !rest.startsWith(";")) {
        problem(lineNo, name, `text after the section header's "]": ${quote(rest)}`);
      }
      if (name.trim() === "") {
        problem(lineNo, undefined, "a section header with no name");
        current = undefined;
        continue;
      }
      if (name === DEFAULT_SECTION) {
        current = { name, values: document.defaults };
        continue;
      }
      const existing = byName.get(name);
      if (existing !== undefined) {
        document.warnings.push(
          `line ${lineNo}: section [${name}] repeats the one on line ${existing.line}; its keys are merged into it (later values win) and the check runs once, at its first position`,
        );
        current = existing;
        continue;
      }
      const section: IniSection = { name, line: lineNo, values: new Map() };
      byName.set(name, section);
      document.sections.push(section);
      current = section;
      continue;
    }
    if (current === undefined) {
      // After a broken header too: its keys would otherwise land in the section before it
      problem(lineNo, undefined, `${quote(stripped)} comes before any [section] header`);
      continue;
    }
    const delimiter = stripped.search(/[=:]/);
    if (delimiter < 0) {
      problem(
        lineNo,
        current.name,
        `${quote(stripped)} is neither "key = value", "key: value" nor a [section]`,
      );
      continue;
    }
    const key = stripped.slice(0, delimiter).trim().toLowerCase();
    if (key === "") {
      problem(lineNo, current.name, `${quote(stripped)} has no key before its "${stripped[delimiter]}"`);
      continue;
    }
    const seenKey = `${current.name}\u0000${key}`;
    const previous = current.values.get(key);
    if (seenKeys.has(seenKey) && previous !== undefined) {
      document.warnings.push(
        `line ${lineNo}: key "${key}" of [${current.name}] repeats the one on line ${previous.line}; the later value is used`,
      );
    }
    seenKeys.add(seenKey);
    const entry: IniValue = { value: "", line: lineNo };
    current.values.set(key, entry);
    value = { parts: [stripped.slice(delimiter + 1).trim()], entry };
  }
  finishValue();
  return { document, problems };
}

/** A line's text in a message: quoted and cut short. */
export function quote(text: string): string {
  const short = text.length > 60 ? `${text.slice(0, 57)}...` : text;
  return JSON.stringify(short);
}
