import { type DestinationStream, type LevelWithSilent, type Logger, pino } from "pino";

/** The server's structured logger: pino, one JSON object per line. */
export type ServerLogger = Logger;

/** Log levels the config accepts, quietest last. */
export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;

/** How to make the server logger. */
export interface LoggerOptions {
  /** From the config's `log.level`; default `info`. */
  level?: LevelWithSilent;
  /** `--debug`: forces `debug` (stack traces of failed requests are logged at this level). */
  debug?: boolean;
  /** Where lines go; default standard output. Tests pass a stream to read them. */
  destination?: DestinationStream;
}

/** Makes the server logger. Lines carry `time`, `level` (as a name), `msg` and `service: "cipolice"`. */
export function createLogger(options: LoggerOptions = {}): ServerLogger {
  const level = options.debug ? "debug" : (options.level ?? "info");
  return pino(
    {
      level,
      base: { service: "cipolice" },
      // Level names, not numbers: operators grep for "warn", and log shippers map names.
      formatters: { level: (label) => ({ level: label }) },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination ?? pino.destination({ dest: 1, sync: false }),
  );
}

/** A logger that writes nothing: the default when a caller gives none (tests, embedded use). */
export function silentLogger(): ServerLogger {
  return pino({ level: "silent" });
}

let nextRequestId = 0;

/**
 * A child logger bound to one request, made only when a handler or the server logs about that request:
 * the hot path of a cached decision logs nothing and so allocates nothing here.
 */
export function requestLogger(base: ServerLogger, requestId: string | undefined): ServerLogger {
  return base.child({ reqId: requestId ?? `r${(++nextRequestId).toString(36)}` });
}
