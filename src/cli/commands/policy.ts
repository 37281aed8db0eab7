import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { Command, Option } from "@commander-js/extra-typings";
import { CipError, isCipError } from "../../model/index.js";
import { terminalLine } from "../../model/terminal-safe.js";
import { EXIT } from "../exit-codes.js";
import { formatProblem } from "../print-error.js";
import { printValidationFailure } from "../print-validation.js";
import { DEFAULT_MAX_INPUT_BYTES, parseByteSize, readInputFile } from "../read-input.js";
import { DEFAULT_BUNDLE_PATH } from "../shipped-files.js";
import { formatGates } from "./format-gates.js";

/** `cipolice policy validate|gates|init`. */
export function policyCommand(setExitCode: (code: number) => void): Command {
  const policy = new Command("policy").description("Validate bundles, list the gate catalog, start a bundle");

  policy
    .command("validate")
    .description("Validate bundles against the gate catalog (exit 0 valid, 1 invalid, 2 unreadable)")
    .argument("<files...>", "bundle files (JSON or YAML)")
    .option("--no-strict", "accept gates anchore-engine retired (reported as warnings)")
    .option("--max-input-size <bytes>", "refuse files larger than this", String(DEFAULT_MAX_INPUT_BYTES))
    .action(async (files, opts) => {
      const maxBytes = parseByteSize(opts.maxInputSize, "--max-input-size");
      const { loadBundle } = await import("../../service/load-bundle.js");
      let worst: number = EXIT.pass;
      for (const file of files) {
        try {
          const bundle = loadBundle(readInputFile(file, "policy bundle", maxBytes), file, {
            strict: opts.strict,
          });
          const b = bundle.bundle;
          const rules = b.policies.reduce((n, p) => n + p.rules.length, 0);
          const items = b.allowlists.reduce((n, a) => n + a.items.length, 0);
          process.stdout.write(
            `${terminalLine(file)}: valid (${b.policies.length} policies, ${rules} rules, ${b.allowlists.length} allowlists with ${items} items, ${b.mappings.length} mappings)\n`,
          );
          for (const w of bundle.warnings) process.stdout.write(`  ${formatProblem(w)}\n`);
        } catch (error) {
          if (!isCipError(error)) throw error;
          const code = printValidationFailure(file, error, ["CIP_BUNDLE_INVALID", "CIP_BUNDLE_VERSION"]);
          worst = Math.max(worst, code);
        }
      }
      setExitCode(worst);
    });

  policy
    .command("gates")
    .description("List every gate, trigger and parameter the engine knows")
    .addOption(
      new Option("--format <name>", "output format").choices(["text", "json", "markdown"]).default("text"),
    )
    .action(async (opts) => {
      const { GATES } = await import("../../policy/catalog.js");
      process.stdout.write(formatGates(GATES, opts.format as "text" | "json" | "markdown"));
    });

  policy
    .command("init")
    .description(
      "Write the shipped default bundle to a file to start your own (YAML, or JSON for a .json name)",
    )
    .argument("[file]", "where to write it", "cipolice-policy.yaml")
    .option("--force", "overwrite an existing file")
    .action(async (file, opts) => {
      if (existsSync(file) && !opts.force) {
        throw new CipError("CIP_USAGE", `Cannot write ${file}: the file exists`, {
          hint: "Choose another name or pass --force.",
        });
      }
      const text = readFileSync(DEFAULT_BUNDLE_PATH, "utf8");
      // The shipped file points editors at the schema by a path inside this repository: not valid beside the user's copy.
      const yamlText = text.replace(/^# yaml-language-server: \$schema=.*\n/, "");
      const body = file.endsWith(".json")
        ? `${JSON.stringify((await import("yaml")).parse(yamlText), null, 2)}\n`
        : yamlText;
      try {
        writeFileSync(file, body);
      } catch (error) {
        throw new CipError("CIP_OUTPUT_WRITE", `Cannot write ${file}: ${(error as Error).message}`, {
          cause: error,
        });
      }
      process.stdout.write(
        `Wrote ${terminalLine(file)}. Check it with: cipolice policy validate ${terminalLine(file)}\n`,
      );
    });

  return policy;
}
