import type { ContainerSnapshot } from "../container-snapshot.js";

/** The three answers of a CFPB Docker Monitor check: go on, stop as passed, stop as failed. */
export type CheckResult = "PASS" | "PASS_FAST" | "FAIL";

/** What one check says of one container. */
export interface CheckOutcome {
  result: CheckResult;
  /** Why, for logs and `--format json`. */
  message?: string;
}

/** What a check is told besides the container and its section's settings. */
export interface CheckContext {
  /** The section that configured the check, as written in the INI file. */
  section: string;
  /** The folder of the INI file: relative paths in settings are read against it. */
  configDir: string;
  /** The check's deadline; past it the check is failed (and a module check's worker stopped). */
  timeoutMs: number;
  /** Aborted at the deadline or when the monitor stops (in-process checks only; not sent to module workers). */
  signal?: AbortSignal;
}

/**
 * A check: given a container snapshot, the settings of its section (keys lowercased, values as written,
 * `%(name)s` expanded) and the context, says PASS, PASS_FAST or FAIL. A throw or an answer of another
 * shape fails the container, never the monitor.
 */
export type CheckFunction = (
  container: ContainerSnapshot,
  settings: Record<string, string>,
  context: CheckContext,
) => Promise<CheckOutcome>;

/** A check made ready from its section by a factory. */
export interface CheckDefinition {
  run: CheckFunction;
  /** For log lines, as the seed's `description`: "is running as root". */
  description: string;
  /** Its own deadline when it needs longer than the default (a scanner), in milliseconds. */
  timeoutMs?: number;
  /** Said once at load: a setting that is empty but needed at run time, a setting no one reads. */
  warnings?: string[];
}

/** Where a factory's section is, for the checks that read files. */
export interface CheckSectionInfo {
  section: string;
  /** Line of the section header. */
  line: number;
  /** The INI file as messages name it. */
  file: string;
  configDir: string;
}

/**
 * Makes a check from its section's settings at load time; throws (a CipError, or an Error whose message
 * says what is wrong with a setting) when the section cannot work, which makes the whole file invalid.
 */
export type CheckFactory = (
  settings: Record<string, string>,
  info: CheckSectionInfo,
) => CheckDefinition | Promise<CheckDefinition>;

/** The result names a check may return, in the order of the seed's constants. */
export const CHECK_RESULTS: readonly CheckResult[] = ["FAIL", "PASS", "PASS_FAST"];

/** The most characters of a check's message kept: messages go to logs and the store. */
export const MAX_CHECK_MESSAGE = 4096;

/**
 * Reads what a check returned: a {@link CheckOutcome} (`{ result, message? }`) or a bare result string.
 * Returns undefined for anything else, for the caller to fail the container with a clear message.
 */
export function readCheckOutcome(value: unknown): CheckOutcome | undefined {
  if (typeof value === "string") {
    return (CHECK_RESULTS as readonly string[]).includes(value)
      ? { result: value as CheckResult }
      : undefined;
  }
  if (value === null || typeof value !== "object") return undefined;
  const { result, message } = value as { result?: unknown; message?: unknown };
  if (typeof result !== "string" || !(CHECK_RESULTS as readonly string[]).includes(result)) return undefined;
  if (message !== undefined && typeof message !== "string") return undefined;
  return message === undefined || message === ""
    ? { result: result as CheckResult }
    : { result: result as CheckResult, message: clip(message) };
}

/** A message cut to {@link MAX_CHECK_MESSAGE} characters. */
export function clip(message: string): string {
  return message.length > MAX_CHECK_MESSAGE ? `${message.slice(0, MAX_CHECK_MESSAGE - 3)}...` : message;
}

/** A short printable description of any value, for "returned …" messages. */
export function describeValue(value: unknown): string {
  if (value === undefined) return "undefined";
  if (typeof value === "function") return "a function";
  try {
    const text = JSON.stringify(value);
    return clip(text === undefined ? String(value) : text).slice(0, 200);
  } catch {
    return String(value).slice(0, 200);
  }
}
