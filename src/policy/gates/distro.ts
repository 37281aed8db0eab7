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
  // The distro is found by a scanner or a layer analysis, not in the image config.
  needs: ["reports"],
  description: "Blocks images by Linux distribution and distribution version.",
  triggers: [
    {
      name: "deny",
      description:
        "Fires when the image's distribution has the given name and its version satisfies the comparison; nothing fires when the distribution or its version is unknown.",
      params: [
        {
          name: "distro",
          description:
            "Distribution name as the os-release ID gives it (for example debian or alpine), compared case-insensitively.",
          kind: "string",
          required: true,
          example: "debian",
        },
        {
          name: "version",
          description:
            "Version compared with the image's distribution version, dot-separated part by part; only as many parts as given here are compared, so 9 also covers 9.13.",
          kind: "string",
          required: true,
          example: "9",
        },
        {
          name: "check",
          description:
            "Operator applied as `<image version> <check> <version>`; the trigger fires when it holds.",
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
