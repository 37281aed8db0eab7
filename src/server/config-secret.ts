import { readFileSync } from "node:fs";
import { CipError } from "../model/index.js";

/** Where the configuration says a secret is: inline, in an environment variable, or in a file. */
export interface SecretSource {
  inline?: string | undefined;
  env?: string | undefined;
  file?: string | undefined;
}

/**
 * Reads a configured secret (a file's final newline dropped). A source that is named but empty or unreadable
 * is CIP_CONFIG_INVALID naming `what` and the field (`where`): a server must never start with a check or a
 * signature silently switched off. Undefined only when no source is named at all.
 */
export function readConfiguredSecret(
  source: SecretSource,
  what: string,
  where: string,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  let value: string | undefined;
  let from: string;
  if (source.inline !== undefined) {
    value = source.inline;
    from = "the inline value";
  } else if (source.env !== undefined) {
    value = env[source.env];
    from = `environment variable ${source.env}`;
  } else if (source.file !== undefined) {
    from = `file ${source.file}`;
    try {
      value = readFileSync(source.file, "utf8").replace(/\r?\n$/, "");
    } catch (error) {
      throw new CipError(
        "CIP_CONFIG_INVALID",
        `Cannot read ${what}: ${(error as Error).message} (${where})`,
        {
          hint: "Check the file's path and that the server may read it.",
        },
      );
    }
  } else {
    return undefined;
  }
  if (value === undefined || value.trim() === "") {
    throw new CipError("CIP_CONFIG_INVALID", `Cannot use ${what}: ${from} is empty (${where})`, {
      hint: "Give it a value, or remove the field to go without.",
    });
  }
  return value;
}
