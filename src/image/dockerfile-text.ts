import type { DockerfileInstruction } from "../model/index.js";

/** Instructions that take heredocs (`RUN <<EOF`), as the Dockerfile reference allows. */
const HEREDOC_DIRECTIVES: ReadonlySet<string> = new Set(["RUN", "COPY", "ADD"]);
const HEREDOC = /<<(-?)(["']?)([A-Za-z_][A-Za-z0-9_]*)\2/g;
const PARSER_DIRECTIVE = /^#\s*([a-zA-Z][a-zA-Z0-9_-]*)\s*=\s*(.*?)\s*$/;

/**
 * Parses Dockerfile text into instructions (directive upper case, value as written, 1-based start line):
 * parser directives (`# escape=\``) at the top are honoured and not returned; comment lines are dropped, also
 * inside continuations; a line ending in the escape character continues on the next (joined with one
 * space); heredoc bodies stay in the instruction's value, lines joined with `\n`.
 */
export function parseDockerfileText(text: string): DockerfileInstruction[] {
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  let escapeChar = "\\";
  let i = 0;
  // Parser directives only count before the first comment, blank line or instruction.
  const seen = new Set<string>();
  for (; i < lines.length; i++) {
    const m = PARSER_DIRECTIVE.exec(lines[i] ?? "");
    if (m === null) break;
    const key = (m[1] as string).toLowerCase();
    if (seen.has(key)) break;
    seen.add(key);
    if (key === "escape" && (m[2] === "`" || m[2] === "\\")) escapeChar = m[2];
  }

  const out: DockerfileInstruction[] = [];
  while (i < lines.length) {
    const first = lines[i] as string;
    const trimmed = first.trim();
    if (trimmed === "" || trimmed.startsWith("#")) {
      i++;
      continue;
    }
    const start = i + 1;
    let logical = "";
    let line = first;
    for (;;) {
      const body = line.replace(/\s+$/, "");
      if (body.endsWith(escapeChar) && i + 1 < lines.length) {
        logical = join(logical, body.slice(0, -escapeChar.length));
        i++;
        // Comment and empty lines inside a continuation are skipped, as Docker does.
        while (i < lines.length && /^\s*(#.*)?$/.test(lines[i] as string) && i + 1 < lines.length) i++;
        line = lines[i] as string;
        continue;
      }
      logical = join(logical, body.endsWith(escapeChar) ? body.slice(0, -escapeChar.length) : body);
      i++;
      break;
    }
    const match = /^\s*(\S+)\s*([\s\S]*)$/.exec(logical);
    if (match === null) continue;
    const directive = (match[1] as string).toUpperCase();
    let value = (match[2] as string).trim();
    if (HEREDOC_DIRECTIVES.has(directive)) {
      for (const h of value.matchAll(HEREDOC)) {
        const strip = h[1] === "-";
        const word = h[3] as string;
        const body: string[] = [];
        while (i < lines.length) {
          const l = lines[i] as string;
          i++;
          body.push(l);
          if ((strip ? l.replace(/^\t+/, "") : l) === word) break;
        }
        value = `${value}\n${body.join("\n")}`;
      }
    }
    out.push({ directive, value, line: start });
  }
  return out;
}

function join(a: string, b: string): string {
  const left = a.replace(/\s+$/, "");
  const right = b.replace(/^\s+/, "");
  if (left === "") return right;
  if (right === "") return left;
  return `${left} ${right}`;
}
