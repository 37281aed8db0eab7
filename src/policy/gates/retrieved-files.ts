import { compileEvalRegex } from "../eval-regex.js";
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
  description: "Checks against content and/or presence of files retrieved at analysis time from an image",
  needsLayerAnalysis: true,
  triggers: [
    {
      name: "content_not_available",
      description: "Triggers if the specified file is not present/stored in the evaluated image.",
      params: [
        {
          name: "path",
          description: "The path of the file to verify has been retrieved during analysis",
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
      description: "Evaluation of regex on retrieved file content",
      params: [
        {
          name: "path",
          description: "The path of the file to verify has been retrieved during analysis",
          kind: "string",
          required: true,
          example: "/etc/httpd.conf",
        },
        {
          name: "regex",
          description:
            "The regex to evaluate against the content of the file; it is matched at the start of each whitespace-separated word",
          kind: "string",
          required: true,
          example: ".*SSlEnabled.*",
        },
        {
          name: "check",
          description: "The type of check to perform with the regex",
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
