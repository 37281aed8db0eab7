import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { CipError } from "../../model/index.js";
import type { ContainerSnapshot } from "../container-snapshot.js";

/** Largest report a scanner command may print. */
export const MAX_SCANNER_REPORT_BYTES = 256 * 1024 * 1024;

/**
 * The argument list of a `scanner = …` setting: words split on blanks (no shell, no quoting), with `{image}`,
 * `{image_id}` and `{digest}` replaced by the container's; a program path with a `/` is read against `baseDir`.
 */
export function scannerArgv(
  setting: string,
  container: ContainerSnapshot,
  digest: string | undefined,
  baseDir: string,
): string[] {
  const words = setting
    .trim()
    .split(/\s+/)
    .filter((w) => w !== "");
  const argv = words.map((w) =>
    w
      .replaceAll("{image}", container.image)
      .replaceAll("{image_id}", container.imageId)
      .replaceAll("{digest}", digest ?? ""),
  );
  const program = argv[0];
  if (program?.includes("/") && !program.startsWith("/")) argv[0] = resolve(baseDir, program);
  return argv;
}

/**
 * Runs a scanner (Trivy, Grype, Syft, … any tool whose report CIPolicE reads) on a container's image and
 * returns what it printed, bounded; a tool that cannot start, fails or runs past the timeout is a CipError
 * naming it.
 */
export function runScannerReport(argv: readonly string[], timeoutMs: number, where: string): Promise<string> {
  const [file, ...args] = argv;
  if (file === undefined) {
    return Promise.reject(
      new CipError("CIP_CONFIG_INVALID", `Cannot run the scanner of ${where}: the setting is empty`),
    );
  }
  return new Promise((done, fail) => {
    execFile(
      file,
      args,
      { timeout: timeoutMs, maxBuffer: MAX_SCANNER_REPORT_BYTES, encoding: "utf8", killSignal: "SIGKILL" },
      (error, stdout, stderr) => {
        if (error === null) return done(stdout);
        const e = error as NodeJS.ErrnoException & { killed?: boolean; code?: string | number };
        const why =
          e.code === "ENOENT"
            ? "it is not found"
            : e.code === "ERR_CHILD_PROCESS_STDIO_MAXBUFFER"
              ? `it printed more than ${MAX_SCANNER_REPORT_BYTES} bytes`
              : e.killed
                ? `it ran past ${Math.round(timeoutMs / 1000)} s`
                : `it exited with ${e.code ?? "an error"}: ${String(stderr).trim().slice(-300)}`;
        fail(
          new CipError("CIP_REPORT_INVALID", `Cannot scan with ${file} (${where}): ${why}`, {
            hint: "Check the scanner setting: the program, its arguments, and that it prints its JSON report on standard output.",
          }),
        );
      },
    );
  });
}
