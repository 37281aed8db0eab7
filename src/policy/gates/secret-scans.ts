import { checkEvalRegex, compileEvalRegex } from "../eval-regex.js";
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
  // Secrets are found by a layer analysis.
  needs: ["reports"],
  description:
    "Reports secrets, such as keys and credentials, that the analyzer's secret search found in the image's files.",
  needsLayerAnalysis: true,
  triggers: [
    {
      name: "content_regex_checks",
      description:
        "With match_type found, fires once for each file and secret pattern that matched; with notfound, fires once when nothing matched. Only findings that pass content_regex_name and filename_regex are considered.",
      params: [
        {
          name: "content_regex_name",
          description: `Considers only findings whose pattern name (or pattern) occurs within this value, so one name or a comma-separated list of names works; when omitted, every finding counts. Default pattern names: ${Object.keys(ANCHORE_SECRET_REGEXES).join(", ")}.`,
          kind: "string",
          example: "AWS_ACCESS_KEY",
        },
        {
          name: "filename_regex",
          description:
            "Regular expression (Python syntax) matched from the start of each finding's file path; only findings in matching files are considered.",
          kind: "string",
          example: "/etc/.*",
        },
        {
          name: "match_type",
          description:
            "found (default): fire for each finding; notfound: fire once when there is no finding.",
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
        checkEvalRegex("filename_regex", nameFilter);
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
