import { spawnSync } from "node:child_process";
import { CipError } from "../../model/index.js";

/** What a credential helper returned: a user name and secret, or an identity (refresh) token. */
export type HelperCredentials = { username: string; password: string } | { identityToken: string };

/** Where a helper was configured, for messages: the config file and the config.json field that named it. */
export interface HelperOrigin {
  registry: string;
  configPath: string;
  /** `credHelpers["key"]` or `credsStore`. */
  field: string;
}

/** How long a helper may run; a helper that waits on a locked keychain must not hang CI. */
export const HELPER_TIMEOUT_MS = 10_000;

// The message docker-credential-helpers prints (on stdout) when it has nothing for the server.
const NOT_FOUND = /credentials not found/i;
// Docker stores identity tokens under this user name.
const TOKEN_USERNAME = "<token>";

/**
 * Runs `docker-credential-<name> get` with the server URL on stdin, as the Docker CLI does, and returns the
 * credentials it prints (`{"ServerURL","Username","Secret"}`; Username `<token>` means Secret is an identity
 * token). "credentials not found" (or an empty answer) gives undefined: anonymous access. The helper is
 * looked up on `env.PATH`. Messages name the helper, registry and config file, never a secret.
 */
export function runCredentialHelper(
  name: string,
  serverUrl: string,
  origin: HelperOrigin,
  env: NodeJS.ProcessEnv = process.env,
): HelperCredentials | undefined {
  const program = `docker-credential-${name}`;
  const where = `${origin.field} in ${origin.configPath}`;
  const fail = (what: string, hint: string, cause?: unknown) =>
    new CipError("CIP_REGISTRY", `Cannot get credentials for ${origin.registry}: ${what} (${where})`, {
      hint,
      cause,
    });
  // A name with a path in it would run a program that is not a helper on PATH.
  if (name === "" || /[/\\]/.test(name)) {
    throw fail(
      `credential helper name ${JSON.stringify(name)} is not a plain program suffix`,
      `Write the suffix of a docker-credential-* program on PATH (e.g. "pass"), or remove the entry.`,
    );
  }
  const result = spawnSync(program, ["get"], {
    input: serverUrl,
    env,
    encoding: "utf8",
    timeout: HELPER_TIMEOUT_MS,
    maxBuffer: 1024 * 1024,
    windowsHide: true,
  });
  const otherwise = `remove ${origin.field} from ${origin.configPath}, or pass --creds user:password`;
  if (result.error !== undefined) {
    const code = (result.error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") {
      throw fail(
        `credential helper ${program} is not on PATH`,
        `Install ${program}, or ${otherwise}.`,
        result.error,
      );
    }
    if (code === "ETIMEDOUT") {
      throw fail(
        `credential helper ${program} did not answer within ${HELPER_TIMEOUT_MS / 1000} s`,
        `Unlock the store ${program} reads (it may be waiting for a password), or ${otherwise}.`,
        result.error,
      );
    }
    throw fail(
      `credential helper ${program} could not run: ${result.error.message}`,
      `Check that ${program} is executable, or ${otherwise}.`,
      result.error,
    );
  }
  const stdout = result.stdout ?? "";
  const stderr = result.stderr ?? "";
  if (result.status !== 0) {
    // Helpers print their errors on stdout; a failed helper prints no credentials there.
    if (NOT_FOUND.test(stdout) || NOT_FOUND.test(stderr)) return undefined;
    const said = firstLine(stderr) || firstLine(stdout);
    const how = result.signal !== null ? `was killed by ${result.signal}` : `exited with ${result.status}`;
    throw fail(
      `credential helper ${program} ${how}${said === "" ? "" : `: ${said}`}`,
      `Run "echo ${serverUrl} | ${program} get" to see the problem, or ${otherwise}.`,
    );
  }
  if (stdout.trim() === "") return undefined;
  return parseAnswer(stdout, stderr, program, fail, otherwise);
}

function parseAnswer(
  stdout: string,
  stderr: string,
  program: string,
  fail: (what: string, hint: string, cause?: unknown) => CipError,
  otherwise: string,
): HelperCredentials | undefined {
  let answer: unknown;
  try {
    answer = JSON.parse(stdout);
  } catch (error) {
    // The output itself is not quoted: it may hold a secret.
    const said = firstLine(stderr);
    throw fail(
      `credential helper ${program} printed output that is not JSON${said === "" ? "" : ` (stderr: ${said})`}`,
      `Check that ${program} is a Docker credential helper, or ${otherwise}.`,
      error,
    );
  }
  const { Username: username, Secret: secret } = (answer ?? {}) as { Username?: unknown; Secret?: unknown };
  if (typeof answer !== "object" || answer === null || typeof secret !== "string") {
    throw fail(
      `credential helper ${program} printed JSON without a "Secret" string`,
      `Check that ${program} is a Docker credential helper, or ${otherwise}.`,
    );
  }
  const user = typeof username === "string" ? username : "";
  // No secret is nothing to authenticate with, as Docker's empty answer.
  if (secret === "") return undefined;
  if (user === TOKEN_USERNAME) return { identityToken: secret };
  return { username: user, password: secret };
}

function firstLine(text: string): string {
  const line = text.trim().split(/\r?\n/, 1)[0] ?? "";
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}
