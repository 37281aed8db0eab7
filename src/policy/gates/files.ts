import type { FileEntry, ImageFacts } from "../../model/index.js";
import { checkEvalRegex, compileEvalRegex } from "../eval-regex.js";
import type { GateSpec } from "../gate-types.js";
import { pyIntBase8, pyOct } from "../python-format.js";
import { pythonMatch } from "../python-regex.js";

const S_ISUID = 0o4000;
const S_ISGID = 0o2000;

/** Files by path, in the order the facts list them. */
type FilesData = Map<string, FileEntry>;

function indexFiles(facts: ImageFacts): FilesData {
  return new Map((facts.files ?? []).map((f) => [f.path, f]));
}

/** Content matches as (path, regex entry) pairs, grouped by file as anchore-engine walks them. */
function contentMatchesByFile(matches: Record<string, string[]>): [string, string[]][] {
  const byFile = new Map<string, string[]>();
  for (const [entry, paths] of Object.entries(matches)) {
    for (const path of paths) {
      const list = byFile.get(path) ?? [];
      if (!list.includes(entry)) list.push(entry);
      byFile.set(path, list);
    }
  }
  return [...byFile];
}

/**
 * `files`: checks on the files a layer analysis listed (names, modes, checksums, setuid bits) and on the
 * content regular expressions that matched, after anchore-engine's gate of that name. Without file data
 * nothing fires, except `attribute_match` with `skip_missing=false`, which then finds no file.
 */
export const filesGate: GateSpec<FilesData> = {
  name: "files",
  // File lists and content matches come from a layer analysis.
  needs: ["reports"],
  description:
    "Inspects the files listed by layer analysis: their paths, permission bits, checksums, and content matched by the analyzer's content expressions.",
  needsLayerAnalysis: true,
  prepare: indexFiles,
  triggers: [
    {
      name: "content_regex_match",
      description:
        "Fires once for each pair of file and content regular expression that the analyzer's content search reported as matching. Use regex_name to consider a single expression only.",
      params: [
        {
          name: "regex_name",
          description:
            "Restricts the trigger to one of the analyzer's content expressions, identified by its name, its pattern, or the whole NAME=pattern entry. When omitted, matches of every expression count.",
          kind: "string",
          example: ".*password.*",
        },
      ],
      compile(params) {
        const wanted = params.string("regex_name");
        return (ctx) => {
          for (const [path, entries] of contentMatchesByFile(ctx.facts.contentMatches ?? {})) {
            for (const entry of entries) {
              // An entry is `NAME=regex` (anchore's analyzer config) or a bare name; either part selects it.
              const eq = entry.indexOf("=");
              const name = eq >= 0 ? entry.slice(0, eq) : undefined;
              const regex = eq >= 0 ? entry.slice(eq + 1) : entry;
              if (wanted && regex !== wanted && entry !== wanted && name !== wanted) continue;
              ctx.fire({
                message: `File content analyzer found regexp match in container: file=${path} regexp=${entry}`,
              });
            }
          }
        };
      },
    },
    {
      name: "name_match",
      description:
        "Fires for each file in the image whose full path matches the regular expression. Every path is tested, which can slow evaluation of large images.",
      params: [
        {
          name: "regex",
          description:
            "Regular expression (Python syntax) matched from the first character of each absolute file path; start it with .* to match anywhere in the path.",
          // A string, as anchore-engine declares it: a bad regex fails at evaluation, not at validation.
          kind: "string",
          required: true,
          example: ".*\\.pem",
        },
      ],
      compile(params) {
        const source = params.string("regex") ?? "";
        checkEvalRegex("regex", source);
        return (ctx) => {
          if (ctx.gate.size === 0) return;
          const regex = compileEvalRegex("regex", source);
          for (const path of ctx.gate.keys()) {
            if (pythonMatch(regex, path)) {
              ctx.fire({
                message: `Application of regex matched file found in container: file=${path} regexp=${source}`,
              });
            }
          }
        };
      },
    },
    {
      name: "attribute_match",
      description:
        "Fires when the named file passes every check that is set (checksum, mode); with none set it never fires for an existing file. With skip_missing false, it also fires when the file is absent.",
      params: [
        {
          name: "filename",
          description: "Absolute path of the file to inspect.",
          kind: "string",
          required: true,
          example: "/etc/passwd",
        },
        {
          name: "checksum_algorithm",
          description: "Hash algorithm used for checksum; sha256 is the only one supported.",
          kind: "enum",
          values: ["sha256"],
          default: "sha256",
          example: "sha256",
        },
        {
          name: "checksum",
          description:
            "Expected hex digest of the file's content; when omitted, the checksum is not checked.",
          kind: "string",
          example: "832cd0f75b227d13aac82b1f70b7f90191a4186c151f9db50851d209c45ede11",
        },
        {
          name: "checksum_match",
          description:
            "equals: the check passes when the file's digest is checksum; not_equals: it passes when the digest differs.",
          kind: "enum",
          values: ["equals", "not_equals"],
          default: "equals",
          example: "equals",
        },
        {
          name: "mode",
          description:
            "Permission bits to compare with the file's own (setuid, setgid and sticky included), in octal as Python's int(value, 8) parses it; when omitted, the mode is not checked.",
          kind: "string",
          example: "00644",
        },
        {
          name: "mode_op",
          description:
            "equals: the check passes when the file's permission bits are mode; not_equals: it passes when they differ.",
          kind: "enum",
          values: ["equals", "not_equals"],
          default: "equals",
          example: "equals",
        },
        {
          name: "skip_missing",
          description:
            "Controls what happens when the file is not in the image: true (default) stays silent, false fires regardless of the other parameters.",
          kind: "boolean",
          default: "true",
          example: "true",
        },
      ],
      compile(params) {
        const filename = params.string("filename") ?? "";
        const algorithm = params.string("checksum_algorithm") ?? "sha256";
        const checksum = params.string("checksum");
        const checksumOp = params.string("checksum_match") ?? "equals";
        const mode = params.string("mode");
        const modeOp = params.string("mode_op") ?? "equals";
        const skipMissing = params.boolean("skip_missing") ?? true;
        return (ctx) => {
          const file = ctx.gate.get(filename);
          const parts: string[] = [];
          if (!file) {
            if (skipMissing) return;
            parts.push("skip_missing=False");
          } else {
            if (checksum) {
              const actual = file.checksums?.[algorithm] ?? "";
              if ((actual === checksum) !== (checksumOp === "equals")) return;
              parts.push(`checksum=${actual} op=${checksumOp} specified_checksum=${checksum}`);
            }
            if (mode) {
              // Permission bits only (S_IMODE), compared as Python's oct() prints them.
              const actual = pyOct(file.mode & 0o7777);
              const specified = pyOct(pyIntBase8(mode));
              if ((actual === specified) !== (modeOp === "equals")) return;
              parts.push(`mode=${actual} op=${modeOp} specified_mode=${specified}`);
            }
          }
          if (parts.length > 0) ctx.fire({ message: [`filename=${filename}`, ...parts].join(" and ") });
        };
      },
    },
    {
      name: "suid_or_guid_set",
      description: "Fires for each file whose setuid or setgid permission bit is on.",
      params: [],
      compile: () => (ctx) => {
        for (const file of ctx.gate.values()) {
          if ((file.mode & (S_ISUID | S_ISGID)) !== 0) {
            ctx.fire({ message: `SUID or SGID found set on file ${file.path}. Mode: ${pyOct(file.mode)}` });
          }
        }
      },
    },
  ],
};
