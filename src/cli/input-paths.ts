import { parseImageArgument } from "../service/image-argument.js";
import type { InputPath } from "./output-conflicts.js";
import { expandReportPaths } from "./read-input.js";
import { DEFAULT_BUNDLE_PATH } from "./shipped-files.js";

/** The options of `check` and `facts` that name files to read. */
export interface InputOptions {
  facts?: string;
  report: string[];
  vex: string[];
  dockerfile?: string;
  caFile?: string[];
  policy?: string;
  whitelist?: string;
}

/**
 * Every file a command will read, by the option that names it: facts, reports (a directory as its files),
 * VEX, Dockerfile, CA files, the policy (the shipped bundle when none is given, unless `withPolicy` is false)
 * or whitelist, and an OCI layout or docker-archive named as the image.
 */
export function inputPaths(image: string | undefined, opts: InputOptions, withPolicy = false): InputPath[] {
  const inputs: InputPath[] = [];
  if (opts.facts !== undefined) inputs.push({ path: opts.facts, option: "--facts" });
  for (const path of expandReportPaths(opts.report)) inputs.push({ path, option: "--report" });
  for (const path of opts.vex) inputs.push({ path, option: "--vex" });
  if (opts.dockerfile !== undefined) inputs.push({ path: opts.dockerfile, option: "--dockerfile" });
  for (const path of opts.caFile ?? []) inputs.push({ path, option: "--ca-file" });
  if (opts.whitelist !== undefined && !opts.whitelist.startsWith("json://")) {
    inputs.push({ path: opts.whitelist, option: "--whitelist" });
  } else if (withPolicy && opts.whitelist === undefined) {
    inputs.push({
      path: opts.policy ?? DEFAULT_BUNDLE_PATH,
      option: opts.policy ? "--policy" : "the default policy",
    });
  }
  if (image !== undefined) {
    const argument = parseImageArgument(image);
    if (argument.kind === "oci-layout")
      inputs.push({ path: argument.path, option: "the image argument", tree: true });
    if (argument.kind === "docker-archive")
      inputs.push({ path: argument.path, option: "the image argument" });
  }
  return inputs;
}
