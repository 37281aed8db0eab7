import type { RuleMessage } from "../rule-types.js";

/**
 * Variables of our own environment that action processes inherit: what a program needs to run (PATH,
 * locale, home, temp dir, a Python or Node setup), never the rest, which can hold the server's credentials.
 */
const INHERITED =
  /^(PATH|HOME|USER|LOGNAME|LANG|LANGUAGE|LC_[A-Z]+|TZ|TMPDIR|PYENV_[A-Z_]+|VIRTUAL_ENV|PYTHONPATH)$/;

/** An environment value longer than this is left out (the kernel refuses one string over 128 KiB). */
export const MAX_ENV_VALUE_BYTES = 64 * 1024;

/** An action process's environment, or why the message cannot be put into one. */
export interface ActionEnvironment {
  env: Record<string, string>;
  /** Fields whose value holds a NUL byte, which no environment variable can carry. */
  nulFields: string[];
  /** Variables left out because they are too long (the message on stdin has them in full). */
  omitted: string[];
}

/** The environment variable name of a top-level message field: `size-mb` → `CIPOLICE_SIZE_MB`. */
export function envName(field: string): string {
  return `CIPOLICE_${field.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`;
}

/**
 * Builds an action process's environment: the inherited base, the operator's variables, then
 * `CIPOLICE_IMAGE`, `CIPOLICE_MESSAGE` (the message as JSON) and, with `perField`, `CIPOLICE_<FIELD>`
 * for each top-level scalar field. The two fixed names win over fields that map to them.
 */
export function actionEnvironment(
  message: RuleMessage,
  image: string,
  extra: Record<string, string>,
  perField: boolean,
): ActionEnvironment {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && INHERITED.test(name)) env[name] = value;
  }
  Object.assign(env, extra);
  const nulFields: string[] = [];
  const omitted: string[] = [];
  const put = (name: string, value: string, field: string) => {
    if (value.includes("\0")) nulFields.push(field);
    else if (Buffer.byteLength(value) > MAX_ENV_VALUE_BYTES) omitted.push(name);
    else env[name] = value;
  };
  if (perField) {
    for (const [field, value] of Object.entries(message)) {
      const name = envName(field);
      if (name === "CIPOLICE_IMAGE" || name === "CIPOLICE_MESSAGE") continue;
      if (typeof value === "string") put(name, value, field);
      else if (typeof value === "number" || typeof value === "boolean") put(name, String(value), field);
    }
    put("CIPOLICE_IMAGE", image, "image");
  }
  // JSON escapes NUL, so the whole message always fits an environment variable but for its size
  put("CIPOLICE_MESSAGE", JSON.stringify(message), "message");
  return { env, nulFields, omitted };
}
