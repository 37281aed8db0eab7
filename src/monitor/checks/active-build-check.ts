import type { ContainerSnapshot } from "../container-snapshot.js";
import type { CheckDefinition, CheckFactory } from "./check-types.js";

/** Programs that only ever run to build images (or serve builds): any invocation counts. */
const BUILDER_PROGRAMS = new Set(["buildah", "buildkitd", "buildctl", "buildctl-daemonless.sh", "kaniko"]);
/** Full paths of builders whose file name alone says nothing (kaniko's is `executor`). */
const BUILDER_PATHS = new Set(["/kaniko/executor"]);
/** Front ends that build only with a build subcommand: `docker build`, `podman image build`, `docker buildx build`. */
const FRONT_ENDS = new Set(["docker", "podman", "nerdctl", "img"]);
/** Subcommands that lead to `build`; `buildx bake` builds too. */
const BUILD_PATHS = [
  ["build"],
  ["image", "build"],
  ["builder", "build"],
  ["buildx", "build"],
  ["buildx", "bake"],
];

/** A label that marks building containers: `key` (any value) or `key=value`. */
interface LabelRule {
  key: string;
  value?: string;
}

/**
 * Why a container is building an image, or undefined when it is not: its command is an image builder
 * (buildah, BuildKit's buildkitd/buildctl, kaniko's /kaniko/executor, `docker|podman|nerdctl|img build`,
 * plus the `commands` named in the section), or it carries one of the section's `labels`.
 */
export function buildingReason(
  container: ContainerSnapshot,
  extraPrograms: ReadonlySet<string>,
  labels: readonly LabelRule[],
): string | undefined {
  const [program, ...args] = container.command;
  if (program !== undefined) {
    const name = program.slice(program.lastIndexOf("/") + 1);
    if (BUILDER_PROGRAMS.has(name) || BUILDER_PATHS.has(program) || extraPrograms.has(name)) {
      return `its command ${name} builds images`;
    }
    if (FRONT_ENDS.has(name)) {
      // Global flags may come before the subcommand (`docker --debug build`, `--host=x`): skip them
      const words = args.filter((arg) => !arg.startsWith("-"));
      if (BUILD_PATHS.some((path) => path.every((word, i) => words[i] === word))) {
        return `its command runs ${name} ${words.slice(0, 2).join(" ")}`.trimEnd();
      }
    }
  }
  for (const rule of labels) {
    const value = container.labels[rule.key];
    if (value !== undefined && (rule.value === undefined || value === rule.value)) {
      return `it has the label ${rule.value === undefined ? rule.key : `${rule.key}=${rule.value}`}`;
    }
  }
  return undefined;
}

/** Comma- or whitespace-separated words of a setting. */
function words(value: string | undefined): string[] {
  return (value ?? "").split(/[\s,]+/).filter((word) => word !== "");
}

/**
 * `docker_monitor.checks.ActiveBuildCheck`: PASS_FAST for a container that is building an image, so the
 * checks after it do not run; PASS otherwise. The seed's own check is a stub that always passes (its
 * PASS_FAST is commented out); this one decides with {@link buildingReason}. Optional settings (the seed's
 * section has none): `commands` adds program names that count as builders, `labels` lists `key` or
 * `key=value` labels that mark a building container (none by default: any user could set a label).
 */
export const activeBuildCheck: CheckFactory = (settings): CheckDefinition => {
  const extra = new Set(words(settings.commands));
  const labels = words(settings.labels).map((word): LabelRule => {
    const eq = word.indexOf("=");
    return eq < 0 ? { key: word } : { key: word.slice(0, eq), value: word.slice(eq + 1) };
  });
  const bad = labels.find((rule) => rule.key === "");
  if (bad !== undefined) throw new Error(`labels: "=${bad.value ?? ""}" names no label key`);
  return {
    description: "is actively building",
    run: async (container) => {
      const reason = buildingReason(container, extra, labels);
      return reason === undefined
        ? { result: "PASS", message: "not building an image" }
        : { result: "PASS_FAST", message: `building an image: ${reason}; later checks skipped` };
    },
  };
};
