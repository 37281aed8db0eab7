import type { ImageFacts, Package } from "../../model/index.js";
import type { GateSpec, TriggerSpec } from "../gate-types.js";
import { splitList } from "../trigger-params.js";

/** Packages of the image and of the previous image of its tag, keyed by type, name and location. */
interface DriftData {
  current: Map<string, Package[]>;
  previous?: Map<string, Package[]>;
}

function byKey(packages: readonly Package[]): Map<string, Package[]> {
  const map = new Map<string, Package[]>();
  for (const p of packages) {
    const key = `${p.type}\u0000${p.name}\u0000${p.path ?? ""}`;
    map.set(key, [...(map.get(key) ?? []), p]);
  }
  return map;
}

function prepareDrift(facts: ImageFacts): DriftData {
  const current = byKey(facts.packages ?? []);
  return facts.previousPackages ? { current, previous: byKey(facts.previousPackages) } : { current };
}

function describe(p: Package): string {
  return `${p.name}-${p.version} (${p.type}${p.path ? ` at ${p.path}` : ""})`;
}

function versionsOf(list: readonly Package[]): string {
  return [...new Set(list.map((p) => p.version))].sort().join(",");
}

const PACKAGE_TYPE = {
  name: "package_type",
  description:
    "Package types to consider, comma-separated and case-insensitive (for example apk or npm,python); when omitted, packages of every type are compared.",
  kind: "string",
  example: "apk",
} as const;

type Change = "added" | "removed" | "modified";

function driftTrigger(change: Change, description: string): TriggerSpec<DriftData> {
  return {
    name: `packages_${change}`,
    description,
    params: [PACKAGE_TYPE],
    compile(params) {
      const raw = params.string("package_type");
      const types = raw === undefined ? undefined : new Set(splitList(raw, ",").map((t) => t.toLowerCase()));
      return (ctx) => {
        const { current, previous } = ctx.gate;
        // No previous image of this tag: nothing to drift from.
        if (!previous) return;
        const wanted = (list: readonly Package[]) => !types || types.has((list[0]?.type ?? "").toLowerCase());
        if (change === "added" || change === "modified") {
          for (const [key, now] of current) {
            if (!wanted(now)) continue;
            const before = previous.get(key);
            if (change === "added" && !before) {
              for (const p of now)
                ctx.fire({ message: `Package added since the previous image of this tag: ${describe(p)}` });
            } else if (change === "modified" && before && versionsOf(before) !== versionsOf(now)) {
              const p = now[0] as Package;
              ctx.fire({
                message: `Package modified since the previous image of this tag: ${p.name} (${p.type}${p.path ? ` at ${p.path}` : ""}) ${versionsOf(before)} -> ${versionsOf(now)}`,
              });
            }
          }
        } else {
          for (const [key, before] of previous) {
            if (!wanted(before) || current.has(key)) continue;
            for (const p of before)
              ctx.fire({ message: `Package removed since the previous image of this tag: ${describe(p)}` });
          }
        }
      };
    },
  };
}

/**
 * `tag_drift`, as Anchore Enterprise documents it: packages added, removed or modified since the previous
 * image pushed under the same tag (`facts.previousPackages`). A package is its type, name and location;
 * a changed version is a modification. Nothing fires when the previous image is not known.
 */
export const tagDriftGate: GateSpec<DriftData> = {
  name: "tag_drift",
  // Compares the packages of this image and of the previous one of its tag.
  needs: ["reports"],
  description:
    "Reports package changes between the image and the one previously pushed under the same tag, a package being identified by type, name and location. Nothing fires when that earlier image is unknown.",
  prepare: prepareDrift,
  triggers: [
    driftTrigger("added", "Fires for each package that the previous image of the tag did not contain."),
    driftTrigger(
      "removed",
      "Fires for each package of the previous image of the tag that is no longer present.",
    ),
    driftTrigger(
      "modified",
      "Fires for each package whose set of versions differs from the previous image of the tag.",
    ),
  ],
};
