import type { FileEntry, ImageFacts } from "../../model/index.js";
import { compileEvalRegex } from "../eval-regex.js";
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
  description:
    "Checks against files in the analyzed image including file content, file names, and filesystem attributes.",
  needsLayerAnalysis: true,
  prepare: indexFiles,
  triggers: [
    {
      name: "content_regex_match",
      description:
        'Triggers for each file where the content search analyzer has found a match using configured regexes in the analyzer_config.yaml "content_search" section. If the parameter is set, the trigger will only fire for files that matched the named regex. Refer to your analyzer_config.yaml for the regex values.',
      params: [
        {
          name: "regex_name",
          description:
            "Regex string that also appears in the FILECHECK_CONTENTMATCH analyzer parameter in analyzer configuration, to limit the check to. If set, will only fire trigger when the specific named regex was found in a file.",
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
        "Triggers if a file exists in the container that has a filename that matches the provided regex. This does have a performance impact on policy evaluation.",
      params: [
        {
          name: "regex",
          description: "Regex to apply to file names for match.",
          // A string, as anchore-engine declares it: a bad regex fails at evaluation, not at validation.
          kind: "string",
          required: true,
          example: ".*\\.pem",
        },
      ],
      compile(params) {
        const source = params.string("regex") ?? "";
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
        "Triggers if a filename exists in the container that has attributes that match those which are provided . This check has a performance impact on policy evaluation.",
      params: [
        {
          name: "filename",
          description: "Filename to check against provided checksum.",
          kind: "string",
          required: true,
          example: "/etc/passwd",
        },
        {
          name: "checksum_algorithm",
          description: "Checksum algorithm",
          kind: "enum",
          values: ["sha256"],
          default: "sha256",
          example: "sha256",
        },
        {
          name: "checksum",
          description: "Checksum of file.",
          kind: "string",
          example: "832cd0f75b227d13aac82b1f70b7f90191a4186c151f9db50851d209c45ede11",
        },
        {
          name: "checksum_match",
          description: "Checksum operation to perform.",
          kind: "enum",
          values: ["equals", "not_equals"],
          default: "equals",
          example: "equals",
        },
        {
          name: "mode",
          description: "File mode of file (octal, as Python's int(mode, 8) reads it).",
          kind: "string",
          example: "00644",
        },
        {
          name: "mode_op",
          description: "File mode operation to perform.",
          kind: "enum",
          values: ["equals", "not_equals"],
          default: "equals",
          example: "equals",
        },
        {
          name: "skip_missing",
          description:
            "If set to true, do not fire this trigger if the file is not present.  If set to false, fire this trigger ignoring the other parameter settings.",
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
      description: "Fires for each file found to have suid or sgid bit set.",
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
