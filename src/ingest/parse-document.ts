import { parseDocument } from "yaml";
import { CipError } from "../model/index.js";
import { jsonErrorOffset } from "./json-error-offset.js";

/**
 * Parses a JSON or YAML document (JSON when it starts with `{` or `[`, YAML otherwise). Errors name the
 * source and the line and column: "Cannot parse policy.yaml: … (line 3, column 7)".
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

/** Parses JSON text; a syntax error says where (line and column) and what was found. */
export function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const offset = jsonErrorOffset(text);
    const found =
      offset >= text.length ? "the document ends early" : `unexpected ${describeChar(text, offset)}`;
    const detail = offset < 0 ? (error as Error).message : `${found} (${lineColumn(text, offset)})`;
    throw new CipError("CIP_PARSE", `Cannot parse ${source} as JSON: ${detail}`, {
      hint: "Fix the JSON syntax at that place (a missing comma, quote or bracket is the usual cause).",
    });
  }
}

function parseYaml(text: string, source: string): unknown {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  const error = doc.errors[0];
  if (error) {
    const pos = error.linePos?.[0];
    const where = pos ? ` (line ${pos.line}, column ${pos.col})` : "";
    throw new CipError("CIP_PARSE", `Cannot parse ${source} as YAML: ${firstLine(error.message)}${where}`, {
      hint: "Fix the YAML syntax at that place (indentation and unquoted ':' are the usual causes).",
    });
  }
  return doc.toJS({ maxAliasCount: 1000 });
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
