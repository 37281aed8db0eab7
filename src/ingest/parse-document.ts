import { Composer, type Document, isScalar, LineCounter, Parser, visit } from "yaml";
import { CipError } from "../model/index.js";
import {
  aliasLimitError,
  findLimitViolation,
  jsonDepthOffset,
  MAX_NESTING_DEPTH,
  MAX_YAML_ALIAS_COUNT,
  MAX_YAML_CHARS,
  nestingLimitError,
  numberLimitError,
  yamlLexicalDepthOffset,
  yamlNesting,
  yamlTooLargeError,
} from "./document-limits.js";
import { jsonErrorOffset } from "./json-error-offset.js";

/**
 * Parses a JSON or YAML document (JSON when it starts with `{` or `[`, YAML otherwise). Errors name the
 * source and the line and column: "Cannot parse policy.yaml: … (line 3, column 7)". Hostile documents are
 * refused with their own codes: nesting deeper than {@link MAX_NESTING_DEPTH} (CIP_NESTING_LIMIT), numbers
 * that are not finite (CIP_NUMBER_LIMIT), YAML alias bombs (CIP_YAML_ALIAS_LIMIT).
 */
export function parseDocumentText(text: string, source: string): unknown {
  if (text.includes("\u0000")) {
    throw new CipError(
      "CIP_PARSE",
      `Cannot parse ${source}: it contains NUL bytes (UTF-16 or binary data?)`,
      {
        hint: "Save the file as UTF-8 JSON or YAML.",
      },
    );
  }
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.trim() === "") {
    throw new CipError("CIP_PARSE", `Cannot parse ${source}: the document is empty`, {
      hint: "Give a JSON or YAML document.",
    });
  }
  const first = body.trimStart()[0];
  return first === "{" || first === "[" ? parseJson(body, source) : parseYaml(body, source);
}

/**
 * Parses JSON text; a syntax error says where (line and column) and what was found. The value is then
 * checked against the nesting and number limits.
 */
export function parseJson(text: string, source: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    // Said first: the syntax error finder below recurses, and too deep a text is the better answer anyway.
    const deep = jsonDepthOffset(text);
    if (deep >= 0) throw nestingLimitError(source, MAX_NESTING_DEPTH, lineColumn(text, deep));
    const offset = jsonErrorOffset(text);
    const found =
      offset >= text.length ? "the document ends early" : `unexpected ${describeChar(text, offset)}`;
    const detail = offset < 0 ? (error as Error).message : `${found} (${lineColumn(text, offset)})`;
    throw new CipError("CIP_PARSE", `Cannot parse ${source} as JSON: ${detail}`, {
      hint: "Fix the JSON syntax at that place (a missing comma, quote or bracket is the usual cause).",
    });
  }
  // JSON.parse itself does not recurse; what comes after (validators, JSON.stringify) does.
  const violation = findLimitViolation(value);
  if (violation?.kind === "number") throw numberLimitError(source, violation.path, violation.value);
  if (violation) {
    throw nestingLimitError(source, MAX_NESTING_DEPTH, lineColumn(text, Math.max(0, jsonDepthOffset(text))));
  }
  return value;
}

function parseYaml(text: string, source: string): unknown {
  if (text.length > MAX_YAML_CHARS) throw yamlTooLargeError(source, text.length);
  const lexicalDeep = yamlLexicalDepthOffset(text);
  if (lexicalDeep >= 0) throw nestingLimitError(source, MAX_NESTING_DEPTH, lineColumn(text, lexicalDeep));
  const lines = new LineCounter();
  // The CST parser does not recurse; the composer does, so nesting is measured on the CST first.
  const tokens = Array.from(new Parser(lines.addNewLine).parse(text));
  const nesting = yamlNesting(tokens);
  const at = (offset: number) => {
    const pos = lines.linePos(offset);
    return `line ${Math.max(1, pos.line)}, column ${pos.col}`;
  };
  if (nesting.deepAt >= 0) throw nestingLimitError(source, MAX_NESTING_DEPTH, at(nesting.deepAt));
  let doc: Document.Parsed | undefined;
  let documents = 0;
  // The composer's own unique-key check compares every key pair: 30,000 keys take seconds. Ours is linear.
  for (const d of new Composer({ uniqueKeys: false }).compose(tokens, true, text.length)) {
    documents++;
    doc ??= d;
  }
  if (!doc)
    throw new CipError("CIP_PARSE", `Cannot parse ${source}: the document is empty`, {
      hint: "Give a JSON or YAML document.",
    });
  const error = doc.errors[0];
  if (error) {
    if (/Maximum call stack size exceeded/.test(error.message)) {
      throw nestingLimitError(source, MAX_NESTING_DEPTH, at(error.pos[0]), true);
    }
    throw new CipError(
      "CIP_PARSE",
      `Cannot parse ${source} as YAML: ${firstLine(error.message)} (${at(error.pos[0])})`,
      { hint: "Fix the YAML syntax at that place (indentation and unquoted ':' are the usual causes)." },
    );
  }
  const duplicate = duplicateKeyOffset(doc);
  if (duplicate >= 0) {
    throw new CipError(
      "CIP_PARSE",
      `Cannot parse ${source} as YAML: Map keys must be unique (${at(duplicate)})`,
      {
        hint: "Remove or rename the repeated key at that place.",
      },
    );
  }
  if (documents > 1) {
    throw new CipError(
      "CIP_PARSE",
      `Cannot parse ${source} as YAML: it holds ${documents} documents, not one`,
      {
        hint: "Keep one document per file (remove the `---` lines between documents).",
      },
    );
  }
  const value = yamlToJs(doc, source);
  const violation = findLimitViolation(value, MAX_NESTING_DEPTH, nesting.aliases);
  if (violation?.kind === "number") throw numberLimitError(source, violation.path, violation.value);
  if (violation) throw nestingLimitError(source, MAX_NESTING_DEPTH, "with its aliases expanded");
  return value;
}

/** Offset of the first key repeated in its mapping (scalar keys compared by type and value), or -1. */
function duplicateKeyOffset(doc: Document.Parsed): number {
  let found = -1;
  visit(doc, {
    Map(_, map) {
      const seen = new Set<string>();
      for (const pair of map.items) {
        const key = pair.key;
        if (!isScalar(key) || key.value === "<<") continue;
        const id = `${typeof key.value}:${String(key.value)}`;
        if (seen.has(id)) {
          found = key.range?.[0] ?? 0;
          return visit.BREAK;
        }
        seen.add(id);
      }
      return undefined;
    },
  });
  return found;
}

function yamlToJs(doc: Document.Parsed, source: string): unknown {
  try {
    return doc.toJS({ maxAliasCount: MAX_YAML_ALIAS_COUNT });
  } catch (error) {
    const message = (error as Error).message;
    if (/Excessive alias count/.test(message)) throw aliasLimitError(source, MAX_YAML_ALIAS_COUNT);
    if (error instanceof RangeError) throw nestingLimitError(source, MAX_NESTING_DEPTH, undefined, true);
    // Unresolved aliases and the like: the document is wrong, not the program.
    throw new CipError("CIP_PARSE", `Cannot parse ${source} as YAML: ${firstLine(message)}`, {
      hint: "Fix the YAML at that place (an alias *name needs an anchor &name before it).",
      cause: error,
    });
  }
}

function lineColumn(text: string, offset: number): string {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return `line ${line}, column ${offset - lineStart + 1}`;
}

function firstLine(message: string): string {
  return (message.split("\n")[0] ?? message).replace(/ at line \d+, column \d+:?$/, "");
}

function describeChar(text: string, offset: number): string {
  const c = text[offset] ?? "";
  return c.trim() === ""
    ? `whitespace character U+${c.charCodeAt(0).toString(16).padStart(4, "0")}`
    : `'${c}'`;
}
