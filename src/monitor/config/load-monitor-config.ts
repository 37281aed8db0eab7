import { dirname, resolve } from "node:path";
import { readBounded } from "../../io/bounded-read.js";
import { CipError, type Problem } from "../../model/index.js";
import { builtinCheckRegistry, type CheckRegistry } from "../checks/check-registry.js";
import type { CheckDefinition, CheckFunction, CheckSectionInfo } from "../checks/check-types.js";
import { loadModuleCheck, MODULE_SECTION_PREFIX } from "../checks/module-check.js";
import { type AllowedImageId, parseAlwaysAllow } from "./always-allow.js";
import { type IniDocument, type IniValue, parseIni } from "./ini-parser.js";
import { interpolate } from "./interpolate.js";

/** A monitor INI file is a few kilobytes; this bounds a wrong path (a log, a device). */
export const MAX_CONFIG_BYTES = 1024 * 1024;
/** Checks per file: each runs on every container. */
export const MAX_CHECKS = 100;
/** A check's deadline unless it sets its own (PrismaScanCheck: its `timeout` and a margin). */
export const DEFAULT_CHECK_TIMEOUT_MS = 30_000;

/** Log levels as Python's logging names them, lowercased. */
export type MonitorLogLevel = "debug" | "info" | "warning" | "error" | "critical";

/** One check to run, from one section, ready. */
export interface CheckSpec {
  /** The section name as written: the dotted name or `module:PATH`. */
  section: string;
  /** Line of its header. */
  line: number;
  kind: "registered" | "module";
  /** The section's settings: `[DEFAULT]` keys, then its own; keys lowercased, `%(name)s` expanded. */
  settings: Readonly<Record<string, string>>;
  /** As the seed's `check.description`, for "passed check, …" log lines. */
  description: string;
  /** The check's deadline. */
  timeoutMs: number;
  run: CheckFunction;
}

/** A CFPB Docker Monitor configuration, read. */
export interface MonitorConfig {
  /** The file as messages name it. */
  file: string;
  /** Relative paths of the file are read against this folder. */
  configDir: string;
  /** `[policy] always_allow` entries as written. */
  alwaysAllow: string[];
  /** The same, as image id hex prefixes to match. */
  alwaysAllowIds: AllowedImageId[];
  /** `[logging]`: `log_file` as written (relative paths are the caller's to place), `level` normalized. */
  logging: { file?: string; level?: MonitorLogLevel };
  /** Check sections in file order (a repeated section once, at its first place). */
  checks: CheckSpec[];
  /** Said once at load: repeated sections or keys, ignored keys, settings a check will miss at run time. */
  warnings: string[];
}

/** Where the configuration comes from: a file, or text with a name for messages. */
export type MonitorConfigSource = { path: string } | { text: string; name?: string; baseDir?: string };

/** How to load. */
export interface LoadMonitorConfigOptions {
  /** Section names that are checks; default: the seed's three built-ins. */
  registry?: CheckRegistry;
  /** Deadline of checks that set none; default {@link DEFAULT_CHECK_TIMEOUT_MS}. */
  defaultTimeoutMs?: number;
}

/** Keys of the seed's own `[policy]` defaults that it never read; accepted, then ignored. */
const SEED_POLICY_KEYS = new Set(["allow_root", "action", "checks"]);
const LEVELS: Record<string, MonitorLogLevel> = {
  debug: "debug",
  "10": "debug",
  info: "info",
  "20": "info",
  warning: "warning",
  warn: "warning",
  "30": "warning",
  error: "error",
  "40": "error",
  critical: "critical",
  fatal: "critical",
  "50": "critical",
};

/**
 * Reads a CFPB Docker Monitor INI file unchanged (see {@link parseIni} for the syntax rules):
 * `[policy] always_allow` (comma-separated image ids), `[logging] log_file` and `level`, and every other
 * section a check, run in file order with its keys as settings. A check section is either a name the
 * registry knows (`docker_monitor.checks.ActiveBuildCheck`, `…RunningAsRootCheck`, `…PrismaScanCheck`,
 * and what the caller registered) or `[module:PATH]` / `[module:PATH#export]`: a JavaScript module, PATH
 * relative to the INI file's folder, whose default export (else its export `check`, or the named export)
 * is the check function. Values are expanded as configparser does (`%(key)s`, `%%`), `[DEFAULT]` keys
 * reach every section. Every problem found is listed (file:line, section) in one CIP_CONFIG_INVALID error;
 * an unknown check section names the known ones.
 */
export async function loadMonitorConfig(
  source: MonitorConfigSource,
  options: LoadMonitorConfigOptions = {},
): Promise<MonitorConfig> {
  const registry = options.registry ?? builtinCheckRegistry();
  const defaultTimeoutMs = options.defaultTimeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS;
  let text: string;
  let file: string;
  let configDir: string;
  if ("path" in source) {
    file = source.path;
    configDir = dirname(resolve(source.path));
    text = (
      await readBounded(source.path, {
        maxBytes: MAX_CONFIG_BYTES,
        what: `monitor config ${source.path}`,
        limitName: "monitor config",
        limitHint: "A monitor INI file is a few kilobytes: check that -f names it.",
      })
    ).toString("utf8");
  } else {
    file = source.name ?? "<config>";
    configDir = resolve(source.baseDir ?? ".");
    if (Buffer.byteLength(source.text, "utf8") > MAX_CONFIG_BYTES) {
      throw new CipError(
        "CIP_INPUT_TOO_LARGE",
        `Cannot load monitor config: it is over ${MAX_CONFIG_BYTES} bytes (${file})`,
      );
    }
    text = source.text;
  }
  // Kept with their lines so the error lists them in file order, whichever part found them
  const found: { line: number; where: string; message: string }[] = [];
  const at = (line: number, section: string | undefined) =>
    section === undefined ? `${file}:${line}` : `${file}:${line} [${section}]`;
  const fail = (line: number, section: string | undefined, message: string) =>
    found.push({ line, where: at(line, section), message });
  const { document, problems } = parseIni(text);
  for (const problem of problems) fail(problem.line, problem.section, problem.message);
  const warnings = document.warnings.map((warning) => `${file}: ${warning}`);
  const values = (sectionName: string, own: Map<string, IniValue> | undefined) =>
    sectionValues(document, own, (line, message) => fail(line, sectionName, message));

  const config: MonitorConfig = {
    file,
    configDir,
    alwaysAllow: [],
    alwaysAllowIds: [],
    logging: {},
    checks: [],
    warnings,
  };
  const checkSections = document.sections.filter(
    (section) => section.name !== "policy" && section.name !== "logging",
  );
  const policy = document.sections.find((section) => section.name === "policy");
  const policyValues = values("policy", policy?.values);
  const allowLine = policy?.values.get("always_allow")?.line ?? policy?.line ?? 0;
  const allowed = parseAlwaysAllow(policyValues.always_allow ?? "");
  for (const message of allowed.errors) fail(allowLine, "policy", `always_allow: ${message}`);
  config.alwaysAllowIds = allowed.ids;
  config.alwaysAllow = allowed.ids.map((id) => id.written);
  for (const [key, entry] of policy?.values ?? []) {
    if (key === "always_allow") continue;
    warnings.push(
      SEED_POLICY_KEYS.has(key)
        ? `${at(entry.line, "policy")}: ${key} is ignored (the seed never read it either: checks are sections, allow_root is RunningAsRootCheck's)`
        : `${at(entry.line, "policy")}: unknown key ${key} is ignored`,
    );
  }

  const logging = document.sections.find((section) => section.name === "logging");
  const loggingValues = values("logging", logging?.values);
  const logFile = loggingValues.log_file?.trim() ?? "";
  if (logFile !== "") config.logging.file = logFile;
  const levelText = loggingValues.level?.trim() ?? "";
  if (levelText !== "" && levelText.toLowerCase() !== "notset") {
    const level = LEVELS[levelText.toLowerCase()];
    const line = logging?.values.get("level")?.line ?? logging?.line ?? 0;
    if (level === undefined) {
      fail(
        line,
        "logging",
        `level = ${JSON.stringify(levelText)} is not DEBUG, INFO, WARNING, ERROR or CRITICAL`,
      );
    } else {
      config.logging.level = level;
    }
  }
  for (const [key, entry] of logging?.values ?? []) {
    if (key !== "log_file" && key !== "level")
      warnings.push(`${at(entry.line, "logging")}: unknown key ${key} is ignored`);
  }

  if (checkSections.length > MAX_CHECKS) {
    const first = checkSections[MAX_CHECKS];
    fail(
      first?.line ?? 0,
      first?.name,
      `${checkSections.length} check sections; at most ${MAX_CHECKS} are read`,
    );
  }
  for (const section of checkSections.slice(0, MAX_CHECKS)) {
    const settings = Object.freeze(values(section.name, section.values));
    const info: CheckSectionInfo = { section: section.name, line: section.line, file, configDir };
    let definition: CheckDefinition;
    try {
      if (section.name.startsWith(MODULE_SECTION_PREFIX)) {
        definition = await loadModuleCheck(info);
      } else {
        const factory = registry.get(section.name);
        if (factory === undefined) {
          fail(
            section.line,
            section.name,
            `no check is named ${section.name}; known checks: ${registry.names().join(", ")}, or [module:./file.mjs] for a JavaScript module`,
          );
          continue;
        }
        definition = await factory(settings, info);
      }
    } catch (error) {
      fail(section.line, section.name, `${error instanceof Error ? error.message : String(error)}`);
      continue;
    }
    for (const warning of definition.warnings ?? [])
      warnings.push(`${at(section.line, section.name)}: ${warning}`);
    config.checks.push({
      section: section.name,
      line: section.line,
      kind: section.name.startsWith(MODULE_SECTION_PREFIX) ? "module" : "registered",
      settings,
      description: definition.description,
      timeoutMs: definition.timeoutMs ?? defaultTimeoutMs,
      run: definition.run,
    });
  }
  if (found.length > 0) {
    const errors = found.sort((a, b) => a.line - b.line);
    const first = errors[0] as (typeof errors)[number];
    const more = errors.length > 1 ? `; ${errors.length - 1} more problem(s) listed` : "";
    throw new CipError(
      "CIP_CONFIG_INVALID",
      `Cannot load monitor config: ${first.message} (${first.where}${more})`,
      {
        hint: "Fix the lines named; the seed's syntax is configparser's: [section], key = value, # comments.",
        problems: errors.map(
          (error): Problem => ({
            level: "error",
            code: "CIP_CONFIG_INVALID",
            message: `${error.where}: ${error.message}`,
          }),
        ),
      },
    );
  }
  return config;
}

/** A section's values after `[DEFAULT]` (its own win), expanded; a value that cannot expand is reported. */
function sectionValues(
  document: IniDocument,
  own: Map<string, IniValue> | undefined,
  report: (line: number, message: string) => void,
): Record<string, string> {
  const merged = new Map<string, IniValue>(document.defaults);
  for (const [key, entry] of own ?? []) merged.set(key, entry);
  const lookup = (key: string) => merged.get(key)?.value;
  const out: Record<string, string> = Object.create(null);
  for (const [key, entry] of merged) {
    try {
      out[key] = interpolate(entry.value, lookup);
    } catch (error) {
      report(entry.line, `${key}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return out;
}
