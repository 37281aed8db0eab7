import { Option } from "@commander-js/extra-typings";
import { type GatheredFacts, type GatherInput, gatherFacts } from "../service/gather-facts.js";
import { progressOnStderr } from "./progress.js";
import { expandReportPaths, readInputFile } from "./read-input.js";

/** Appends a repeatable option's values. */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** The options that say where facts come from, shared by `check` and `facts`. */
export const GATHER_OPTIONS = [
  new Option("--facts <file>", "normalized image facts (JSON or YAML; - for standard input)"),
  new Option("--report <file|dir>", "scanner report or SBOM (repeatable; a directory means its .json files)")
    .argParser(collect)
    .default([] as string[]),
  new Option("--report-format <id>", "read every --report as this format instead of detecting it"),
  new Option("--vex <file>", "OpenVEX, CycloneDX VEX or CSAF VEX document (repeatable)")
    .argParser(collect)
    .default([] as string[]),
] as const;

/** Reads the files the gather options name into the service's input. */
export function gatherInput(
  image: string | undefined,
  opts: { facts?: string; report: string[]; reportFormat?: string; vex: string[] },
  maxBytes: number,
): GatherInput {
  const read = (path: string, what: string) => ({
    text: readInputFile(path, what, maxBytes),
    source: path === "-" ? "standard input" : path,
  });
  return {
    ...(image !== undefined ? { image } : {}),
    ...(opts.facts !== undefined ? { facts: read(opts.facts, "facts") } : {}),
    reports: expandReportPaths(opts.report).map((p) => read(p, "report")),
    ...(opts.reportFormat !== undefined ? { reportFormat: opts.reportFormat } : {}),
    vex: opts.vex.map((p) => read(p, "VEX document")),
  };
}

/** Gathers facts, showing progress through the reports when there are many. */
export function gatherWithProgress(input: GatherInput): GatheredFacts {
  const progress = progressOnStderr("reading reports");
  try {
    return gatherFacts({ ...input, onReport: (i, total, source) => progress.step(i, total, source) });
  } finally {
    progress.done();
  }
}
