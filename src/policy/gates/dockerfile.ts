import { DOCKERFILE_DIRECTIVES, type ImageFacts } from "../../model/index.js";
import { compileParamRegex } from "../eval-regex.js";
import { type GateSpec, ParamValueError, type TriggerContext } from "../gate-types.js";
import { pythonMatch } from "../python-regex.js";

const CHECKS: readonly string[] = ["=", "!=", "exists", "not_exists", "like", "not_like", "in", "not_in"];
const CHECKS_NEEDING_VALUE = new Set(["=", "!=", "like", "not_like", "in", "not_in"]);

/** The image's Dockerfile as the dockerfile triggers read it, prepared once per image. */
export interface PreparedDockerfile {
  /**
   * Text after the directive (trimmed) of each instruction, by upper-case directive, in file order.
   * Null when there is nothing to evaluate: no Dockerfile facts, mode unknown, or no instructions.
   */
  lines: ReadonlyMap<string, readonly string[]> | null;
  /** True when the user supplied the Dockerfile (mode `actual`). */
  actual: boolean;
}

/** Indexes the Dockerfile facts by directive, the way anchore-engine's gate prepares its context. */
export function prepareDockerfile(facts: ImageFacts): PreparedDockerfile {
  const dockerfile = facts.dockerfile;
  const mode = dockerfile?.mode?.toLowerCase();
  const actual = mode === "actual";
  // anchore leaves its context empty for an unknown mode, and an empty Dockerfile reads as none at all.
  if (!dockerfile || !mode || mode === "unknown" || dockerfile.instructions.length === 0) {
    return { lines: null, actual };
  }
  const lines = new Map<string, string[]>();
  for (const instruction of dockerfile.instructions) {
    const directive = instruction.directive.trim().toUpperCase();
    const bucket = lines.get(directive) ?? [];
    bucket.push(instruction.value.trim());
    lines.set(directive, bucket);
  }
  return { lines, actual };
}

/** The prepared lines, or null when a trigger must not evaluate (nothing to read, or guessed while actual-only). */
function readableLines(
  ctx: TriggerContext<PreparedDockerfile>,
  actualOnly: boolean,
): ReadonlyMap<string, readonly string[]> | null {
  const prepared = ctx.gate ?? prepareDockerfile(ctx.facts);
  if (!prepared.lines) {
    ctx.noData(
      "no Dockerfile is known (none was given with --dockerfile or in the facts, and no image history was read)",
    );
    return null;
  }
  if (actualOnly && !prepared.actual) {
    ctx.noData("it reads only an actual Dockerfile, and the one known was rebuilt from the image history");
    return null;
  }
  return prepared.lines;
}

type LineTest = (line: string) => boolean;

function instructionTest(check: string, value: string | undefined): LineTest {
  const v = value ?? "";
  switch (check) {
    case "=":
      return (line) => line === v;
    case "!=":
      return (line) => line !== v;
    case "exists":
      return () => true;
    case "not_exists":
      return () => false;
    case "like":
    case "not_like": {
      const regex = compileParamRegex("value", v);
      return check === "like" ? (line) => pythonMatch(regex, line) : (line) => !pythonMatch(regex, line);
    }
    case "in":
    case "not_in": {
      // anchore splits on every comma and trims each item, keeping empty items.
      const items = v.split(",").map((item) => item.trim());
      return check === "in" ? (line) => items.includes(line) : (line) => !items.includes(line);
    }
    default:
      throw new ParamValueError("check", `parameter "check" has unknown value ${JSON.stringify(check)}`);
  }
}

const ACTUAL_ONLY_PARAM = {
  name: "actual_dockerfile_only",
  description:
    "Set to true to run this check only when the user supplied the real Dockerfile (mode actual), ignoring a Dockerfile reconstructed from the layer history.",
  kind: "boolean",
  default: "false",
  example: "true",
} as const;

const LIST_TYPES = ["whitelist", "blacklist"] as const;

// The line anchore reads a user name from: `USER name`, `USER [name]`, `USER name:group`.
const USER_LINE = /\s*USER\s+\[?([^\]]+)\]?\s*/;

/**
 * `dockerfile` gate, after anchore-engine: checks the Dockerfile supplied with the image or the one rebuilt
 * from its history. `instruction`, `effective_user` and `exposed_ports` do nothing while the Dockerfile is
 * unknown or empty; `no_dockerfile_provided` fires whenever no actual Dockerfile was supplied.
 */
export const dockerfileGate: GateSpec<PreparedDockerfile> = {
  name: "dockerfile",
  // The Dockerfile is rebuilt from the image history in the config (or given by the user).
  needs: ["config"],
  description:
    "Inspects the instructions of the Dockerfile given with the image or, failing that, of one reconstructed from its layer history.",
  prepare: (facts) => prepareDockerfile(facts),
  triggers: [
    {
      name: "instruction",
      description:
        "Fires once for every line of the chosen instruction that passes the check; not_exists fires once when the instruction is absent.",
      params: [
        {
          name: "instruction",
          description: "The Dockerfile instruction to check (upper case).",
          kind: "enum",
          values: DOCKERFILE_DIRECTIVES,
          required: true,
          example: "FROM",
        },
        {
          name: "check",
          description:
            "How to compare the text after the instruction with the value: = and != compare exactly, like and not_like match a regular expression at the start, in and not_in look the text up in a comma-separated list.",
          kind: "enum",
          values: CHECKS,
          required: true,
          example: "=",
        },
        {
          name: "value",
          description: "The value to compare with; required by every check except exists and not_exists.",
          kind: "string",
          example: "scratch",
        },
        ACTUAL_ONLY_PARAM,
      ],
      compile(params) {
        const directive = params.string("instruction") ?? "";
        const check = params.string("check") ?? "";
        const value = params.string("value");
        const actualOnly = params.boolean("actual_dockerfile_only") ?? false;
        // anchore accepts such a rule and then never fires it; rejecting it surfaces the mistake.
        if (CHECKS_NEEDING_VALUE.has(check) && value === undefined) {
          throw new ParamValueError("value", `parameter "value" is required when check is "${check}"`);
        }
        const test = instructionTest(check, value);
        return (ctx) => {
          const lines = readableLines(ctx, actualOnly);
          if (!lines) return;
          for (const line of lines.get(directive) ?? []) {
            if (test(line)) {
              ctx.fire({
                message: `Dockerfile directive '${directive}' check '${check}' matched against '${value || ""}' for line '${line}'`,
              });
            }
          }
          if (check === "not_exists" && !lines.has(directive)) {
            ctx.fire({
              message: `Dockerfile directive '${directive}' not found, matching condition '${check}' check`,
            });
          }
        };
      },
    },
    {
      name: "effective_user",
      description:
        "Checks the user the image runs as (the last USER instruction; root when there is none) against a list of allowed or denied users.",
      params: [
        {
          name: "users",
          description: "Comma-separated user names to compare the effective user with.",
          kind: "string-list",
          required: true,
          example: "root,docker",
        },
        {
          name: "type",
          description:
            "whitelist: fire when the effective user is not listed; blacklist: fire when it is listed.",
          kind: "enum",
          values: LIST_TYPES,
          required: true,
          example: "blacklist",
        },
      ],
      compile(params) {
        const users = params.list("users") ?? [];
        const allowList = params.string("type") === "whitelist";
        return (ctx) => {
          const lines = readableLines(ctx, false);
          if (!lines) return;
          const userLines = lines.get("USER") ?? [];
          const last = userLines.length > 0 ? userLines[userLines.length - 1] : "root";
          const user = USER_LINE.exec(`USER ${last}`)?.[1];
          // anchore skips a USER line it cannot read rather than guessing.
          if (!user) return;
          if (allowList && !users.includes(user)) {
            ctx.fire({ message: `User ${user} found as effective user, which is not on the allowed list` });
          } else if (!allowList && users.includes(user)) {
            ctx.fire({ message: `User ${user} found as effective user, which is explicity not allowed` });
          }
        };
      },
    },
    {
      name: "exposed_ports",
      description:
        "Checks the ports of every EXPOSE instruction against a list; a port number p also matches p/tcp and p/udp.",
      params: [
        {
          name: "ports",
          description: "Comma-separated port numbers.",
          kind: "int-list",
          required: true,
          example: "80,8080,8088",
        },
        {
          name: "type",
          description:
            "whitelist: fire for each exposed port not listed; blacklist: fire for each listed port exposed.",
          kind: "enum",
          values: LIST_TYPES,
          required: true,
          example: "blacklist",
        },
        ACTUAL_ONLY_PARAM,
      ],
      compile(params) {
        const ports = (params.intList("ports") ?? []).map(String);
        const allowList = params.string("type") === "whitelist";
        const actualOnly = params.boolean("actual_dockerfile_only") ?? false;
        return (ctx) => {
          const lines = readableLines(ctx, actualOnly);
          if (!lines) return;
          for (const line of lines.get("EXPOSE") ?? []) {
            if (line === "") continue;
            const exposed = line.split(/\s+/);
            if (allowList) {
              for (const port of unlistedPorts(exposed, ports)) {
                ctx.fire({
                  message: `Dockerfile exposes port (${port}) which is not in policy file ALLOWEDPORTS list`,
                });
              }
            } else {
              for (const port of ports) {
                const found = [port, `${port}/tcp`, `${port}/udp`].find((form) => exposed.includes(form));
                if (found) {
                  ctx.fire({
                    message: `Dockerfile exposes port (${found}) which is in policy file DENIEDPORTS list`,
                  });
                }
              }
            }
          }
        };
      },
    },
    {
      name: "no_dockerfile_provided",
      description:
        "Fires when the image was not evaluated with a Dockerfile supplied by the user (mode actual).",
      params: [],
      compile: () => (ctx) => {
        if (ctx.facts.dockerfile?.mode?.toLowerCase() !== "actual") {
          ctx.fire({ message: "Image was not analyzed with an actual Dockerfile" });
        }
      },
    },
  ],
};

/**
 * The exposed ports left after removing the allowed ones, with anchore-engine's removal rounds: each round
 * removes one `p`, one `p/tcp` and one `p/udp`, and another round runs only when a `p/udp` was removed.
 */
function unlistedPorts(exposed: readonly string[], allowed: readonly string[]): string[] {
  const remaining = [...exposed];
  const removeOne = (form: string): boolean => {
    const at = remaining.indexOf(form);
    if (at < 0) return false;
    remaining.splice(at, 1);
    return true;
  };
  for (const port of allowed) {
    let again = true;
    while (again) {
      removeOne(port);
      removeOne(`${port}/tcp`);
      again = removeOne(`${port}/udp`);
    }
  }
  return remaining;
}
