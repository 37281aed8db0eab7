import type { Problem } from "./decision.js";

/** Stable error codes. Exit codes and HTTP statuses are chosen from these in cli/ and server/ only. */
export const ERROR_CODES = {
  CIP_USAGE: "The command line or request is not valid",
  CIP_FILE_READ: "A file could not be read",
  CIP_INPUT_TOO_LARGE: "An input is larger than the configured limit",
  CIP_DECOMPRESSION_LIMIT: "A compressed stream or archive expands beyond its byte or entry limit",
  CIP_YAML_ALIAS_LIMIT: "A YAML document expands aliases beyond the limit (an alias bomb)",
  CIP_NESTING_LIMIT: "A document nests lists or objects deeper than the limit",
  CIP_NUMBER_LIMIT: "A document holds a number too large to represent",
  CIP_PARSE: "A document is not valid JSON or YAML",
  CIP_BUNDLE_INVALID: "A policy bundle does not validate",
  CIP_BUNDLE_VERSION: "A policy bundle has an unsupported version",
  CIP_FACTS_INVALID: "An image facts document does not validate",
  CIP_IMAGE_REF_INVALID: "An image reference cannot be parsed",
  CIP_IMAGE_INVALID: "An image manifest, index or config is not valid or not supported",
  CIP_REPORT_UNSUPPORTED: "A scanner report format is not supported",
  CIP_REPORT_INVALID: "A scanner report of a known format does not follow it",
  CIP_TRIGGER_ERROR: "A trigger failed while evaluating",
  CIP_GATE_RETIRED: "A policy uses a gate anchore-engine retired",
  CIP_EXPRESSION_INVALID: "A CEL expression does not compile",
  CIP_EXPRESSION_BUDGET: "A CEL expression exceeded its nesting or evaluation cost budget",
  CIP_REGEX_UNSUPPORTED: "A regular expression cannot run in linear time (RE2) or does not compile",
  CIP_ALLOWLIST_EXPIRED: "An allowlist item has expired",
  CIP_ALLOWLIST_EXPIRING: "An allowlist item expires soon",
  CIP_VEX_UNMATCHED: "VEX statements match no finding of the image",
  CIP_RULE_NO_DATA: "A rule had no data to decide on, so its silence means unknown, not fine",
  CIP_EXCEPTION_UNUSED: "Allowlist items or ignore-file rules suppressed nothing in this image",
  CIP_REPORT_IMAGE_MISMATCH: "A report is about another image than the one checked",
  CIP_REPORT_NOTE: "A report holds findings the facts do not model",
  CIP_NO_MAPPING: "No mapping of the bundle selects the image",
  CIP_OUTPUT_WRITE: "An output could not be written",
  CIP_OUTPUT_CONFLICT: "Two outputs go to one path, or an output path is one of the inputs",
  CIP_REGISTRY: "A container registry could not be reached or refused a request",
  CIP_STORE: "The report and decision store could not be reached or refused a request",
  CIP_CONFIG_INVALID: "A configuration file (server, monitor) does not validate",
  CIP_REQUEST_INVALID: "An HTTP request body is not valid for its endpoint",
  CIP_UNAUTHORIZED: "A request carries no valid bearer token",
  CIP_DEADLINE: "A request or evaluation did not finish before its deadline",
  CIP_KEY_INVALID: "A signing key cannot be read: damaged, wrong passphrase, or not ECDSA P-256",
  CIP_SIGNATURE_INVALID: "A signature, signed payload, attestation or signature manifest is not valid",
  CIP_QUEUE: "The message broker could not be reached or refused a request",
  CIP_BUSY: "The server holds as much work as it may queue; retry later",
  CIP_TRUST_ROOT_INVALID: "A Sigstore trusted root cannot be read or holds an unreadable key or certificate",
  CIP_ENGINE: "The container engine (Docker API) could not be reached or refused a request",
  CIP_PACKAGE_DB_INVALID: "A package database or package metadata file in an image cannot be read",
  CIP_ECOSYSTEM_UNSUPPORTED: "No version order is known for a package ecosystem",
  CIP_INTERNAL: "An unexpected internal error",
} as const;

/** One of the stable error codes. */
export type ErrorCode = keyof typeof ERROR_CODES;

/**
 * The one error class of CIPolicE. Messages read "Cannot <do X>: <what is wrong> (<where>)";
 * `hint` says what to do; `problems` lists every problem found when there are several.
 */
export class CipError extends Error {
  readonly code: ErrorCode;
  readonly hint?: string;
  readonly problems: Problem[];

  constructor(
    code: ErrorCode,
    message: string,
    options: { hint?: string; problems?: Problem[]; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "CipError";
    this.code = code;
    this.hint = options.hint;
    this.problems = options.problems ?? [];
  }
}

/** True when the value is a CipError (also across module copies). */
export function isCipError(value: unknown): value is CipError {
  return (
    value instanceof CipError || (value instanceof Error && value.name === "CipError" && "code" in value)
  );
}
