import { createHash, timingSafeEqual } from "node:crypto";
import { CipError } from "../model/index.js";
import { readConfiguredSecret } from "./config-secret.js";

/** A configured API token and the name that the handlers and the records see. */
export interface NamedToken {
  name: string;
  token: string;
}

/** A token as the config gives it: inline, from a file (a mounted secret), or from an environment variable. */
export interface TokenSource {
  name: string;
  token?: string;
  tokenFile?: string;
  tokenEnv?: string;
}

/**
 * Reads every token's value (file contents are trimmed of a final newline). An empty or missing value is
 * CIP_CONFIG_INVALID naming the token, since a server that silently accepts no token would lock users out.
 */
export function resolveTokens(
  sources: readonly TokenSource[],
  env: NodeJS.ProcessEnv = process.env,
): NamedToken[] {
  return sources.map((source) => {
    const token = readConfiguredSecret(
      { inline: source.token, env: source.tokenEnv, file: source.tokenFile },
      `API token "${source.name}"`,
      "auth.tokens",
      env,
    );
    // The schema requires one source, so a token is always read here
    return { name: source.name, token: token ?? "" };
  });
}

/** Checks `Authorization: Bearer …` against the configured tokens in constant time. */
export class BearerAuth {
  private readonly digests: { name: string; digest: Buffer }[];

  constructor(tokens: readonly NamedToken[]) {
    // Comparing fixed-length digests hides the tokens' lengths as well as their contents.
    this.digests = tokens.map((t) => ({ name: t.name, digest: sha256(t.token) }));
  }

  /** True when at least one token is configured. */
  get enabled(): boolean {
    return this.digests.length > 0;
  }

  /** The name of the token the header carries, or undefined. Every token is compared, match or not. */
  check(authorization: string | undefined): string | undefined {
    if (authorization === undefined || authorization.length < 8) return undefined;
    if (authorization.slice(0, 7).toLowerCase() !== "bearer ") return undefined;
    const given = sha256(authorization.slice(7).trim());
    let found: string | undefined;
    for (const { name, digest } of this.digests) {
      if (timingSafeEqual(given, digest) && found === undefined) found = name;
    }
    return found;
  }
}

/** The error for a missing or wrong token (answered 401 with `WWW-Authenticate: Bearer`). */
export function unauthorized(hadHeader: boolean, configured: boolean): CipError {
  if (!configured) {
    return new CipError("CIP_UNAUTHORIZED", "Cannot authorize the request: the server has no API tokens", {
      hint: "Add tokens under auth.tokens in the server configuration.",
    });
  }
  return new CipError(
    "CIP_UNAUTHORIZED",
    hadHeader
      ? "Cannot authorize the request: the bearer token is not valid"
      : "Cannot authorize the request: no bearer token (Authorization header)",
    { hint: "Send `Authorization: Bearer <token>` with a token from the server's auth.tokens." },
  );
}

function sha256(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}
