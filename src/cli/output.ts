import { writeFileSync } from "node:fs";
import { CipError } from "../model/index.js";

/** Where a command writes: stdout, or a file given with --output. */
export interface OutputTarget {
  write(text: string): void;
  /** True when writing to an interactive terminal (colours allowed). */
  isTty: boolean;
}

/** Standard output (or a file), with colours allowed only on a TTY without NO_COLOR. */
export function outputTo(path: string | undefined): OutputTarget {
  if (path === undefined || path === "-") {
    return { write: (text) => process.stdout.write(text), isTty: Boolean(process.stdout.isTTY) };
  }
  return {
    write(text) {
      try {
        writeFileSync(path, text);
      } catch (error) {
        throw new CipError(
          "CIP_OUTPUT_WRITE",
          `Cannot write output file ${path}: ${(error as Error).message}`,
          {
            hint: "Check that the directory exists and is writable.",
            cause: error,
          },
        );
      }
    },
    isTty: false,
  };
}

/** Whether colours are wanted: a TTY, NO_COLOR unset, FORCE_COLOR set forces them on. */
export function useColor(target: OutputTarget): boolean {
  if (process.env.FORCE_COLOR && process.env.FORCE_COLOR !== "0") return true;
  return target.isTty && !process.env.NO_COLOR;
}
