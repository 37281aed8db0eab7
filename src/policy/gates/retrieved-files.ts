import { checkEvalRegex, compileEvalRegex } from "../eval-regex.js";
import type { GateSpec, TriggerContext } from "../gate-types.js";
import { pySplitWhitespace } from "../python-format.js";
import { pythonMatch } from "../python-regex.js";

const NOT_AVAILABLE = "Cannot locate file in the image analysis";

/** The id of the rule being evaluated, when the engine passes one in the context. */
function ruleIdOf(ctx: TriggerContext): string | undefined {
  return ctx.ruleId;
}

/**
 * `retrieved_files`: checks on files a layer analysis kept the content of, after anchore-engine's gate of
 * that name. Without retrieved files only `content_not_available` fires.
 */
export const retrievedFilesGate: GateSpec = {
  name: "retrieved_files",
  // Retrieved files are read by a layer analysis.
  needs: ["reports"],
  description:
    "Inspects files whose content the layer analysis kept: whether a given file is there, and what it contains.",
  needsLayerAnalysis: true,
  triggers: [
    {
      name: "content_not_available",
      description:
        "Fires when the analysis kept no content for the file at path; it fires a second time when no file content was kept at all.",
      params: [
        {
          name: "path",
          description: "Absolute path of the file whose content the analysis must have kept.",
          kind: "string",
          required: true,
          example: "/etc/httpd.conf",
        },
      ],
      compile(params) {
        const path = params.string("path") ?? "";
        return (ctx) => {
          const files = ctx.facts.retrievedFiles ?? {};
          // anchore-engine fires once for "no files at all" and once more for "not this file": two rows.
          if (Object.keys(files).length === 0) ctx.fire({ message: NOT_AVAILABLE });
          if (!Object.hasOwn(files, path)) ctx.fire({ message: NOT_AVAILABLE });
        };
      },
    },
    {
      name: "content_regex",
      description:
        "Fires when the retrieved content of the file at path does (check match) or does not (check no_match) contain a word matching the regular expression. Nothing fires when that content is not available.",
      params: [
        {
          name: "path",
          description: "Absolute path of the retrieved file whose content is searched.",
          kind: "string",
          required: true,
          example: "/etc/httpd.conf",
        },
        {
          name: "regex",
          description:
            "Regular expression (Python syntax) tested against each whitespace-separated word of the file, from the first character of the word.",
          kind: "string",
          required: true,
          example: ".*SSlEnabled.*",
        },
        {
          name: "check",
          description: "match: fire when some word matches; no_match: fire when no word matches.",
          kind: "enum",
          values: ["match", "no_match"],
          required: true,
          example: "match",
        },
      ],
      compile(params) {
        const path = params.string("path") ?? "";
        const source = params.string("regex") ?? "";
        const check = params.string("check") ?? "match";
        checkEvalRegex("regex", source);
        return (ctx) => {
          const files = ctx.facts.retrievedFiles ?? {};
          if (Object.keys(files).length === 0) return;
          const regex = compileEvalRegex("regex", source);
          if (!Object.hasOwn(files, path)) return;
          const content = files[path] ?? "";
          const found = pySplitWhitespace(content).some((word) => pythonMatch(regex, word));
          if (found !== (check === "match")) return;
          ctx.fire({
            // anchore-engine formats a missing rule id as Python's None.
            instanceId: `${ruleIdOf(ctx) ?? "None"}+file://${path}`,
            message: `Content regex '${source}' check '${check}' found in retrieved file '${path}'`,
          });
        };
      },
    },
  ],
};
