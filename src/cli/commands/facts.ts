import { Command } from "@commander-js/extra-typings";
import { CipError } from "../../model/index.js";
import { terminalSafeJson } from "../../model/terminal-safe.js";
import { EXIT } from "../exit-codes.js";
import {
  ANALYZE_OPTIONS,
  GATHER_OPTIONS,
  gatherInput,
  gatherWithProgress,
  imageInputsFor,
} from "../gather-options.js";
import { inputPaths } from "../input-paths.js";
import { outputTo } from "../output.js";
import { checkOutputConflicts } from "../output-conflicts.js";
import { formatProblem } from "../print-error.js";
import { DEFAULT_MAX_INPUT_BYTES, parseByteSize } from "../read-input.js";

/** `cipolice facts`: print the normalized facts the policy would see, as JSON (a valid `--facts` document). */
export function factsCommand(setExitCode: (code: number) => void) {
  return new Command("facts")
    .description("Print the normalized facts that policies see, from reports, SBOMs, VEX and facts files")
    .argument("[image]", "the image the facts are about")
    .addOption(GATHER_OPTIONS[0])
    .addOption(GATHER_OPTIONS[1])
    .addOption(GATHER_OPTIONS[2])
    .addOption(GATHER_OPTIONS[3])
    .addOption(GATHER_OPTIONS[4])
    .addOption(GATHER_OPTIONS[5])
    .addOption(GATHER_OPTIONS[6])
    .addOption(GATHER_OPTIONS[7])
    .addOption(GATHER_OPTIONS[8])
    .addOption(GATHER_OPTIONS[9])
    .addOption(GATHER_OPTIONS[10])
    .addOption(GATHER_OPTIONS[11])
    .addOption(GATHER_OPTIONS[12])
    .addOption(GATHER_OPTIONS[13])
    .addOption(ANALYZE_OPTIONS[0])
    .addOption(ANALYZE_OPTIONS[1])
    .option("--output <file>", "write the facts to a file instead of standard output")
    .option(
      "--max-input-size <bytes>",
      "refuse input files larger than this",
      String(DEFAULT_MAX_INPUT_BYTES),
    )
    .action(async (image, opts) => {
      if (opts.facts === undefined && opts.report.length === 0 && image === undefined) {
        throw new CipError(
          "CIP_USAGE",
          `Cannot print facts about ${image ?? "an image"}: no input was given`,
          {
            hint: "Give scanner reports with --report FILE (or a facts file with --facts FILE).",
          },
        );
      }
      if (opts.output !== undefined && opts.output !== "-") {
        checkOutputConflicts([{ path: opts.output, format: "facts" }], inputPaths(image, opts));
      }
      const maxBytes = parseByteSize(opts.maxInputSize, "--max-input-size");
      const { imageFacts, analysis } = await imageInputsFor(image, opts, maxBytes);
      const { facts, notes } = await gatherWithProgress(
        gatherInput(image, opts, maxBytes, imageFacts, analysis),
      );
      for (const note of notes) process.stderr.write(`${formatProblem(note)}\n`);
      outputTo(opts.output).write(
        terminalSafeJson(`${JSON.stringify({ schemaVersion: "1", ...facts }, null, 2)}\n`),
      );
      setExitCode(EXIT.pass);
    });
}
