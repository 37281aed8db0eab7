import type { ImageFacts } from "../../model/index.js";
import type { GateSpec } from "../gate-types.js";
import { prepareDockerfile } from "./dockerfile.js";

/** The user part of a `user[:group]` value; an empty value means root, as the runtime does. */
function userPart(value: string): string {
  return value.split(":")[0]?.trim() || "root";
}

/** The last USER of the Dockerfile (given or rebuilt from history): "" when it has none, undefined when unknown. */
function lastDockerfileUser(facts: ImageFacts): string | undefined {
  const lines = prepareDockerfile(facts).lines;
  if (!lines) return undefined;
  const users = lines.get("USER") ?? [];
  return users[users.length - 1] ?? "";
}

/**
 * CIPolicE's image config gate: checks of the runtime configuration itself, which reports, registries and
 * archives give, rather than of a Dockerfile, which they rarely carry (anchore's dockerfile gate then sees
 * nothing, or a history line that says otherwise).
 */
export const imageConfigGate: GateSpec = {
  name: "image_config",
  // Reads the image config, or the Dockerfile rebuilt from its history.
  needs: ["config"],
  description:
    "Checks the image's runtime configuration (CIPolicE extension): the user it runs as, from its config when known, else from its Dockerfile.",
  triggers: [
    {
      name: "runs_as_root",
      description:
        "Fires when the image runs as root: its config's User is empty, root or uid 0 (the config decides when known, and a Dockerfile USER that says otherwise is named in the message); without a config, the last USER of the Dockerfile decides. Without either, nothing is known and it does not fire.",
      params: [
        {
          name: "users",
          description: "User names that count as root besides uid 0.",
          kind: "string-list",
          default: "root",
          example: "root,toor",
        },
      ],
      compile(params) {
        const rootNames = new Set(params.list("users") ?? ["root"]);
        const isRoot = (user: string) => user === "0" || rootNames.has(user);
        return (ctx) => {
          const fromHistory = lastDockerfileUser(ctx.facts);
          const config = ctx.facts.config;
          if (config !== undefined) {
            const raw = config.user ?? "";
            if (!isRoot(userPart(raw))) return;
            const said =
              raw.trim() === "" ? "its config sets no User" : `its config User is ${JSON.stringify(raw)}`;
            // The config is what the runtime uses; a history line can be forged or stale
            const contradicted =
              fromHistory !== undefined && fromHistory !== "" && !isRoot(userPart(fromHistory))
                ? `; the Dockerfile's last USER ${JSON.stringify(fromHistory)} says otherwise, but the config is what runs`
                : "";
            ctx.fire({ message: `Image runs as root: ${said}${contradicted}` });
            return;
          }
          if (fromHistory === undefined) {
            ctx.noData(
              "neither the image config nor a Dockerfile is known (give a report with the image config, or IMAGE to read it)",
            );
            return;
          }
          if (!isRoot(userPart(fromHistory))) return;
          ctx.fire({
            message:
              fromHistory === ""
                ? "Image runs as root: its Dockerfile has no USER instruction"
                : `Image runs as root: its Dockerfile's last USER is ${JSON.stringify(fromHistory)}`,
          });
        };
      },
    },
  ],
};
