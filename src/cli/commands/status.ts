import { Command, Option } from "@commander-js/extra-typings";
import { EXIT } from "../exit-codes.js";
import { parseNow } from "./parse-now.js";

/** `cipolice status --store SPEC`: what the monitor saw running, each container's outcome, and the grace clocks. */
export function statusCommand(setExitCode: (code: number) => void) {
  return new Command("status")
    .description(
      "Show the running containers the monitor checked (newest check of each) and the grace clocks",
    )
    .requiredOption("--store <spec>", "sqlite:PATH or postgres://…: the store the monitor records in")
    .option("--limit <n>", "at most this many containers", "200")
    .option("--now <time>", "show clocks as of this RFC 3339 time")
    .addOption(new Option("--format <name>", "output format").choices(["text", "json"]).default("text"))
    .action(async (opts) => {
      const { readMonitorStatus, formatStatus } = await import("../../monitor/run-status.js");
      const limit = Math.max(1, Math.min(1000, Number.parseInt(opts.limit, 10) || 200));
      const status = await readMonitorStatus(opts.store, limit);
      process.stdout.write(
        opts.format === "json"
          ? `${JSON.stringify(status, null, 2)}\n`
          : formatStatus(status, parseNow(opts.now)),
      );
      setExitCode(EXIT.pass);
    });
}
