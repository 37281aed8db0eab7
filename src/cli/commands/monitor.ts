import { Command, Option } from "@commander-js/extra-typings";
import { CipError } from "../../model/index.js";
import { readInputFile } from "../read-input.js";
import { DEFAULT_BUNDLE_PATH } from "../shipped-files.js";
import { parseNow } from "./parse-now.js";

/** Reads `--interval`: `60`, `60s`, `5m`, `1h`, `500ms`; at least 1 s. */
export function parseInterval(text: string): number {
  const match = /^\s*(\d+)\s*(ms|s|m|h)?\s*$/.exec(text);
  const unit = match?.[2] ?? "s";
  const ms =
    match === null ? Number.NaN : Number(match[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[unit as "s"];
  if (!Number.isFinite(ms) || ms < 1000 || ms > 86_400_000) {
    throw new CipError("CIP_USAGE", `Cannot use --interval ${JSON.stringify(text)}: expected 1s to 24h`, {
      hint: "Write for example --interval 60s or --interval 5m.",
    });
  }
  return ms;
}

/** Where failed containers are told, with the token from its file or CIPOLICE_EVENTS_TOKEN. */
function eventsTarget(url: string, tokenFile: string | undefined): { url: string; token?: string } {
  const token =
    tokenFile !== undefined
      ? readInputFile(tokenFile, "events token", 64 * 1024).trim()
      : process.env.CIPOLICE_EVENTS_TOKEN;
  return { url, ...(token ? { token } : {}) };
}

/**
 * `cipolice monitor -f FILE`: checks the containers running on a Docker-API engine (Docker, podman) with the
 * CFPB Docker Monitor's INI configuration, once (`--once`, for cron) or continuously.
 */
export function monitorCommand(setExitCode: (code: number) => void) {
  return new Command("monitor")
    .description(
      "Check the running containers of a Docker or podman engine with a CFPB Docker Monitor INI file; once, or continuously with the engine's events",
    )
    .requiredOption("-f, --file <ini>", "the monitor configuration (CFPB Docker Monitor INI format)")
    .option("--once", "check every running container once and exit (1 when any failed), for cron")
    .option("--interval <duration>", "time between full passes in loop mode (60s, 5m)", "60s")
    .addOption(
      new Option("--format <name>", "output, one line per container")
        .choices(["text", "json"])
        .default("text"),
    )
    .addOption(
      new Option(
        "--enforce <action>",
        "what to do to a container that fails (never done by default)",
      ).choices(["stop", "pause", "kill"]),
    )
    .option(
      "-H, --host <url>",
      "the engine: unix:///path or tcp://host:port (default DOCKER_HOST, else /var/run/docker.sock)",
    )
    .option(
      "--store <spec>",
      "sqlite:PATH or postgres://…: record checks and decisions, keep grace clocks (share it with serve)",
    )
    .option("--now <time>", "evaluate as of this RFC 3339 time (grace clocks, reproducible runs)")
    .option(
      "--events <url>",
      "tell the rules of a `cipolice serve` at this URL of each failed container (POST /events/cipolice)",
    )
    .option("--events-token-file <file>", "the bearer token for --events (or CIPOLICE_EVENTS_TOKEN)")
    .action(async (opts) => {
      const { runMonitor } = await import("../../monitor/run-monitor.js");
      const stop = new AbortController();
      const onSignal = () => stop.abort();
      process.once("SIGINT", onSignal);
      process.once("SIGTERM", onSignal);
      try {
        const code = await runMonitor({
          configFile: opts.file,
          once: opts.once === true,
          intervalMs: parseInterval(opts.interval),
          format: opts.format as "text" | "json",
          ...(opts.enforce !== undefined ? { enforce: opts.enforce as "stop" | "pause" | "kill" } : {}),
          ...(opts.host !== undefined ? { host: opts.host } : {}),
          ...(opts.store !== undefined ? { store: opts.store } : {}),
          ...(opts.now !== undefined ? { now: parseNow(opts.now) } : {}),
          ...(opts.events !== undefined ? { events: eventsTarget(opts.events, opts.eventsTokenFile) } : {}),
          defaultBundlePath: DEFAULT_BUNDLE_PATH,
          env: process.env,
          write: (text) => process.stdout.write(text),
          warn: (text) => process.stderr.write(text),
          signal: stop.signal,
        });
        setExitCode(code);
      } finally {
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
      }
    });
}
