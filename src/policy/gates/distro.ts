import type { GateSpec } from "../gate-types.js";

const CHECKS = ["=", "!=", "<", ">", "<=", ">="] as const;

/**
 * Compares distro versions part by part (`.`-separated, numbers numerically), over as many parts as the
 * policy's version has: with version `9`, `9.13` counts as equal, so `< 9` means "older than 9.x".
 */
export function compareDistroVersions(actual: string, wanted: string): number {
  const a = actual.trim().split(".");
  const w = wanted.trim().split(".");
  for (let i = 0; i < w.length; i++) {
    const x = a[i] ?? "";
    const y = w[i] ?? "";
    const cmp =
      /^\d+$/.test(x) && /^\d+$/.test(y)
        ? Number(x) - Number(y)
        : x.localeCompare(y, "en", { numeric: true });
    if (cmp !== 0) return cmp < 0 ? -1 : 1;
  }
  return 0;
}

function holds(check: string, cmp: number): boolean {
  switch (check) {
    case "=":
      return cmp === 0;
    case "!=":
      return cmp !== 0;
    case "<":
      return cmp < 0;
    case ">":
      return cmp > 0;
    case "<=":
      return cmp <= 0;
    default:
      return cmp >= 0;
  }
}

/**
 * `distro/deny`, as Anchore Enterprise documents it: fires when the image's distro has the given name
 * and its version compares to the given one as `check` says. Nothing fires when the distro is unknown.
 */
export const distroGate: GateSpec = {
  name: "distro",
  description:
    "Denies images running on a given distribution, optionally below, above or at a given version.",
  triggers: [
    {
      name: "deny",
      description: "Triggers if the image distro and version match the criteria.",
      params: [
        {
          name: "distro",
          description: "Name of the distribution to match (os-release ID, any case).",
          kind: "string",
          required: true,
          example: "debian",
        },
        {
          name: "version",
          description: "Version of distribution to compare against.",
          kind: "string",
          required: true,
          example: "9",
        },
        {
          name: "check",
          description: "The comparison to use in the evaluation.",
          kind: "enum",
          values: CHECKS,
          required: true,
          example: "<",
        },
      ],
      compile(params) {
        const distro = (params.string("distro") ?? "").trim();
        const version = params.string("version") ?? "";
        const check = params.string("check") ?? "=";
        return (ctx) => {
          const actual = ctx.facts.distro;
          if (!actual || actual.name.toLowerCase() !== distro.toLowerCase()) return;
          // Without a version no comparison can hold; the distro is only "unknown version".
          if (actual.version === undefined || actual.version === "") return;
          if (!holds(check, compareDistroVersions(actual.version, version))) return;
          ctx.fire({
            message: `Image distro ${actual.name} ${actual.version} is denied by policy (distro ${distro} version ${check} ${version})`,
          });
        };
      },
    },
  ],
};
