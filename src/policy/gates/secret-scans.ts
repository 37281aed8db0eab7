import { compileEvalRegex } from "../eval-regex.js";
import type { GateSpec } from "../gate-types.js";
import { pythonMatch } from "../python-regex.js";

/**
 * anchore-engine's default `secret_search` regular expressions. Messages print a match as `NAME=regex`, so a
 * finding named after one of these prints as anchore-engine printed it, and gets the same trigger id.
 */
export const ANCHORE_SECRET_REGEXES: Readonly<Record<string, string>> = {
  AWS_ACCESS_KEY: "(?i).*aws_access_key_id( *=+ *).*(?<![A-Z0-9])[A-Z0-9]{20}(?![A-Z0-9]).*",
  AWS_SECRET_KEY:
    "(?i).*aws_secret_access_key( *=+ *).*(?<![A-Za-z0-9/+=])[A-Za-z0-9/+=]{40}(?![A-Za-z0-9/+=]).*",
  PRIV_KEY: "(?i)-+BEGIN(.*)PRIVATE KEY-+",
  DOCKER_AUTH: '(?i).*"auth": *".+"',
  API_KEY: "(?i).*api(-|_)key( *=+ *).*(?<![A-Z0-9])[A-Z0-9]{20,60}(?![A-Z0-9]).*",
};

/** The `NAME=regex` text of a finding's regex: as given when it has one, else from the defaults, else the name. */
function regexEntry(regexName: string): { entry: string; name?: string; regex: string } {
  const eq = regexName.indexOf("=");
  if (eq >= 0) return { entry: regexName, name: regexName.slice(0, eq), regex: regexName.slice(eq + 1) };
  const regex = ANCHORE_SECRET_REGEXES[regexName];
  return regex === undefined
    ? { entry: regexName, regex: regexName }
    : { entry: `${regexName}=${regex}`, name: regexName, regex };
}

/**
 * `secret_scans`: fires on secrets a content search found (or on none found), after anchore-engine's gate of
 * that name. `content_regex_name` selects findings whose regex name or regex appears within it, as
 * anchore-engine tests it (so a comma list works too). With no secret data, `notfound` fires.
 */
export const secretScansGate: GateSpec = {
  name: "secret_scans",
  description:
    'Checks for secrets and content found in the image using configured regexes found in the "secret_search" section of analyzer_config.yaml.',
  needsLayerAnalysis: true,
  triggers: [
    {
      name: "content_regex_checks",
      description:
        'Triggers if the secret content search analyzer has found any matches with the configured and named regexes. Checks can be configured to trigger if a match is found or is not found (selected using match_type parameter).  Matches are filtered by the content_regex_name and filename_regex if they are set. The content_regex_name shoud be a value from the "secret_search" section of the analyzer_config.yaml.',
      params: [
        {
          name: "content_regex_name",
          description: `Name of content regexps configured in the analyzer that match if found in the image, instead of matching all. Names available by default are: ${Object.keys(ANCHORE_SECRET_REGEXES).join(", ")}.`,
          kind: "string",
          example: "AWS_ACCESS_KEY",
        },
        {
          name: "filename_regex",
          description: "Regexp to filter the content matched files by.",
          kind: "string",
          example: "/etc/.*",
        },
        {
          name: "match_type",
          description: "Set to define the type of match - trigger if match is found (default) or not found.",
          kind: "enum",
          values: ["notfound", "found"],
          default: "found",
          example: "found",
        },
      ],
      compile(params) {
        const contentFilter = params.string("content_regex_name") ?? "";
        const nameFilter = params.string("filename_regex") ?? "";
        const matchType = params.string("match_type") ?? "found";
        return (ctx) => {
          const nameRegex = nameFilter ? compileEvalRegex("filename_regex", nameFilter) : undefined;
          const seen = new Set<string>();
          let oneFound = false;
          for (const finding of ctx.facts.secrets ?? []) {
            // One hit per file and regex, however many lines matched.
            const key = `${finding.path}\u0000${finding.regexName}`;
            if (seen.has(key)) continue;
            seen.add(key);
            if (nameRegex && !pythonMatch(nameRegex, finding.path)) continue;
            const { entry, name, regex } = regexEntry(finding.regexName);
            const selected =
              !contentFilter ||
              contentFilter.includes(regex) ||
              (name !== undefined && contentFilter.includes(name));
            if (!selected) continue;
            oneFound = true;
            if (matchType === "found") {
              ctx.fire({
                message: `Secret content search analyzer found regexp match in container: file=${finding.path} regexp=${entry}`,
              });
            }
          }
          if (!oneFound && matchType === "notfound") {
            ctx.fire({
              message: `Secret content search analyzer did not find regexp match in container: filename_regex=${nameFilter || "*"} content_regex_name=${contentFilter || "all"}`,
            });
          }
        };
      },
    },
  ],
};
