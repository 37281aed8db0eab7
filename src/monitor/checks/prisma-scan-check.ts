import { isAbsolute, resolve } from "node:path";
import type { CheckDefinition, CheckFactory, CheckOutcome } from "./check-types.js";
import { runScanner, type ScannerEnd } from "./run-scanner.js";

/** A twistcli scan uploads the image and waits for Prisma Cloud: minutes, not seconds. */
export const PRISMA_DEFAULT_TIMEOUT_S = 300;
/** The most a section may ask for. */
const MAX_TIMEOUT_S = 3600;
/** The verdict line twistcli prints; the seed passes a container when its output holds "…: PASS". */
const VERDICT = /Compliance threshold check results:\s*(PASS|FAIL)\b/;

/**
 * The id the seed gives twistcli: docker-py's `Image.short_id` without its `sha256:` prefix, i.e. the first
 * 10 hex digits of the image id.
 */
export function twistcliImageId(imageId: string): string {
  const hex = imageId.startsWith("sha256:") ? imageId.slice("sha256:".length) : imageId;
  return hex.slice(0, 10);
}

/** The verdict from a finished twistcli run: PASS only from a "Compliance threshold check results: PASS" line. */
export function prismaVerdict(end: ScannerEnd, program: string, timeoutS: number): CheckOutcome {
  if (end.spawnError !== undefined) {
    const why =
      end.spawnError.code === "ENOENT"
        ? "not found"
        : end.spawnError.code === "EACCES"
          ? "not executable"
          : end.spawnError.message;
    return { result: "FAIL", message: `cannot run twistcli ${JSON.stringify(program)}: ${why}` };
  }
  if (end.timedOut)
    return { result: "FAIL", message: `twistcli did not finish within ${timeoutS} s; stopped` };
  if (end.aborted) return { result: "FAIL", message: "twistcli was stopped: the check was cancelled" };
  const verdicts = end.matched.map((line) => VERDICT.exec(line)?.[1]);
  const exit = end.signal !== null ? `was killed by ${end.signal}` : `exited with code ${end.exitCode}`;
  if (verdicts.includes("FAIL")) {
    return { result: "FAIL", message: `Prisma compliance threshold check results: FAIL (twistcli ${exit})` };
  }
  if (verdicts.includes("PASS")) {
    // The seed reads only this line: twistcli exits 1 when the vulnerability threshold fails, which it ignores
    return {
      result: "PASS",
      message:
        end.exitCode === 0
          ? "Prisma compliance threshold check results: PASS"
          : `Prisma compliance threshold check results: PASS (twistcli ${exit})`,
    };
  }
  const last = end.tail.trim().split(/\r?\n/).slice(-3).join(" | ").slice(0, 300);
  return {
    result: "FAIL",
    message: `twistcli ${exit} without a "Compliance threshold check results" line${last === "" ? "" : `: ${last}`}`,
  };
}

/**
 * `docker_monitor.checks.PrismaScanCheck`: runs `<twistcli_path> images scan --token <token> --address <url>
 * <image short id>` as the seed does, but as one process without a shell (so a token is never read as shell
 * syntax), bounded in time (`timeout` seconds, default 300) and output, and passes the container only when
 * twistcli prints "Compliance threshold check results: PASS". Missing settings fail each container (the
 * seed raised mid-run) and are warned about at load, since the seed's own example leaves them empty. A
 * relative `twistcli_path` with a slash is read against the INI file's folder; a bare name is looked up
 * in PATH.
 */
export const prismaScanCheck: CheckFactory = (settings, info): CheckDefinition => {
  const path = settings.twistcli_path?.trim() ?? "";
  const url = settings.url?.trim() ?? "";
  const token = settings.token?.trim() ?? "";
  const missing = [
    ["twistcli_path", path],
    ["url", url],
    ["token", token],
  ]
    .filter(([, value]) => value === "")
    .map(([key]) => key);
  let timeoutS = PRISMA_DEFAULT_TIMEOUT_S;
  if (settings.timeout !== undefined && settings.timeout.trim() !== "") {
    timeoutS = Number(settings.timeout.trim());
    if (!Number.isFinite(timeoutS) || timeoutS <= 0 || timeoutS > MAX_TIMEOUT_S) {
      throw new Error(
        `timeout = ${JSON.stringify(settings.timeout)} is not a number of seconds from 1 to ${MAX_TIMEOUT_S}`,
      );
    }
  }
  const program = path.includes("/") && !isAbsolute(path) ? resolve(info.configDir, path) : path;
  const needs = `${missing.join(", ")} ${missing.length === 1 ? "is" : "are"} empty: PrismaScanCheck needs twistcli_path, url and token`;
  return {
    description: "Prisma compliance",
    // Room after the process's own timeout to stop it and read its verdict
    timeoutMs: timeoutS * 1000 + 3000,
    warnings: missing.length > 0 ? [`${needs}; every container will fail this check`] : [],
    run: async (container, _settings, context) => {
      if (missing.length > 0) return { result: "FAIL", message: needs };
      const imageId = twistcliImageId(container.imageId);
      if (!/^[0-9a-f]{10}$/.test(imageId)) {
        return {
          result: "FAIL",
          message: `the image id ${JSON.stringify(container.imageId)} is not sha256:<hex>`,
        };
      }
      const end = await runScanner({
        file: program,
        args: ["images", "scan", "--token", token, "--address", url, imageId],
        timeoutMs: timeoutS * 1000,
        signal: context.signal,
        watch: (line) => VERDICT.test(line),
      });
      return prismaVerdict(end, program, timeoutS);
    },
  };
};
