import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import { CipError } from "../../model/index.js";
import type { RequestHeaders } from "./detect-sender.js";
import { SENDERS, type Sender } from "./notification-types.js";

/**
 * How a sender proves itself:
 * - `header`: a header (default `Authorization`) carries the secret exactly. Harbor sends its webhook's
 *   "Auth Header" value as `Authorization`; the Distribution registry and Clair send the headers configured
 *   for the endpoint (`notifications.endpoints[].headers`, `notifier.webhook.headers`).
 * - `bearer`: `Authorization: Bearer <secret>`.
 * - `hmac`: a header (default `X-CIPolicE-Signature`) carries the hex HMAC-SHA256 of the raw body under the
 *   secret, optionally prefixed `sha256=` (CIPolicE's own publishers, CI, scanners that sign).
 * - `basic`: `Authorization: Basic base64(user:password)` with the secret `user:password` (Quay, whose
 *   webhooks carry only what the URL holds: `https://user:password@host/events/quay`).
 * - `path`: a secret token in the URL path (`/events/dockerhub/<token>`), which the server passes in: Docker
 *   Hub signs nothing and sends no configurable header.
 * - `jwt`: `Authorization: Bearer <JWT>` signed HS256 with Clair's pre-shared key (`auth.psk.key`, base64 in
 *   Clair's config: give it with `secretEncoding: base64`), within its `nbf`/`exp` (60 s leeway).
 */
export const AUTH_SCHEMES = ["header", "bearer", "hmac", "basic", "path", "jwt"] as const;

/** One of {@link AUTH_SCHEMES}. */
export type AuthScheme = (typeof AUTH_SCHEMES)[number];

/** The header an `hmac` check reads when the config names none. */
export const DEFAULT_SIGNATURE_HEADER = "x-cipolice-signature";

const nonEmpty = z.string().min(1, "must not be empty");

/**
 * The zod schema of one sender credential in the server configuration (`events.auth[]`), for
 * src/server/serve-config.ts to embed: `{sender, name?, scheme, header?, secret | secretEnv | secretFile,
 * secretEncoding?}`.
 */
export const senderAuthSchema = z
  .strictObject({
    sender: z.enum(SENDERS).describe("Whose notifications this credential admits."),
    name: nonEmpty
      .optional()
      .describe("A name for this credential, recorded as the principal (default: the sender)."),
    scheme: z
      .enum(AUTH_SCHEMES)
      .describe("How the sender proves itself (header, bearer, hmac, basic, path, jwt)."),
    header: z
      .string()
      .regex(/^[A-Za-z0-9-]+$/, "must be an HTTP header name")
      .optional()
      .describe(
        "The header that carries the secret (header: default Authorization) or signature (hmac: default X-CIPolicE-Signature).",
      ),
    secret: nonEmpty.optional().describe("The secret itself (prefer secretFile or secretEnv)."),
    secretEnv: nonEmpty.optional().describe("Environment variable holding the secret."),
    secretFile: nonEmpty
      .optional()
      .describe("File holding the secret (a mounted secret); a final newline is dropped."),
    secretEncoding: z
      .enum(["utf8", "base64"])
      .default("utf8")
      .describe("How the secret is written: base64 for Clair's PSK (jwt), utf8 otherwise."),
  })
  .superRefine((value, ctx) => {
    const given = (["secret", "secretEnv", "secretFile"] as const).filter((k) => value[k] !== undefined);
    if (given.length !== 1) {
      ctx.addIssue({
        code: "custom",
        path: [],
        message: `give exactly one of secret, secretEnv, secretFile (${given.length === 0 ? "none" : given.join(" and ")} given)`,
      });
    }
    if (value.header !== undefined && value.scheme !== "header" && value.scheme !== "hmac") {
      ctx.addIssue({
        code: "custom",
        path: ["header"],
        message: `is only used by the header and hmac schemes`,
      });
    }
  })
  .describe("One credential a notification sender must present.");

/** The schema of every sender credential (`events.auth`). */
export const eventsAuthSchema = z.array(senderAuthSchema).default([]);

/** A sender credential as the configuration gives it. */
export type SenderAuthConfig = z.input<typeof senderAuthSchema>;

/** A sender credential with its secret read: what {@link authenticateNotification} checks against. */
export interface SenderAuth {
  sender: Sender;
  /** The principal recorded for a request that passes (the config's name, else the sender). */
  name: string;
  scheme: AuthScheme;
  /** The header read by `header` and `hmac` checks, lower case. */
  header: string;
  secret: Buffer;
}

/**
 * Reads a credential's secret from where the configuration says (inline, environment, file), with the
 * reading functions passed in so this stays free of I/O of its own. An empty secret is CIP_CONFIG_INVALID:
 * a sender check that any request passes must never start.
 */
export function resolveSenderAuth(
  config: SenderAuthConfig,
  io: { env: Readonly<Record<string, string | undefined>>; readFile: (path: string) => string },
): SenderAuth {
  const result = senderAuthSchema.safeParse(config);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue?.path.length ? `events.auth.${issue.path.join(".")}` : "events.auth";
    throw new CipError(
      "CIP_CONFIG_INVALID",
      `Cannot use a sender credential: ${issue?.message ?? "invalid"} (${where})`,
      {
        hint: "Give sender, scheme and exactly one of secret, secretEnv, secretFile.",
      },
    );
  }
  const parsed = result.data;
  const name = parsed.name ?? parsed.sender;
  let text: string | undefined;
  let where: string;
  if (parsed.secret !== undefined) {
    text = parsed.secret;
    where = "the inline secret";
  } else if (parsed.secretEnv !== undefined) {
    text = io.env[parsed.secretEnv];
    where = `environment variable ${parsed.secretEnv}`;
  } else {
    where = `file ${parsed.secretFile}`;
    try {
      text = io.readFile(parsed.secretFile ?? "").replace(/\r?\n$/, "");
    } catch (error) {
      throw new CipError(
        "CIP_CONFIG_INVALID",
        `Cannot read the secret of sender credential "${name}": ${(error as Error).message} (events.auth)`,
        { hint: "Check secretFile's path and that the server may read it." },
      );
    }
  }
  if (text === undefined || text.trim() === "") {
    throw new CipError(
      "CIP_CONFIG_INVALID",
      `Cannot use sender credential "${name}": ${where} is empty (events.auth)`,
      {
        hint: "Give the secret a value; generate one with `openssl rand -hex 32`.",
      },
    );
  }
  const secret =
    parsed.secretEncoding === "base64" ? Buffer.from(text.trim(), "base64") : Buffer.from(text, "utf8");
  if (secret.length === 0) {
    throw new CipError(
      "CIP_CONFIG_INVALID",
      `Cannot use sender credential "${name}": ${where} is not base64 (events.auth)`,
      {
        hint: "Write the key as base64, as Clair's auth.psk.key is, or set secretEncoding: utf8.",
      },
    );
  }
  const header = (
    parsed.header ?? (parsed.scheme === "hmac" ? DEFAULT_SIGNATURE_HEADER : "authorization")
  ).toLowerCase();
  return { sender: parsed.sender, name, scheme: parsed.scheme, header, secret };
}

/** What a notification request presents: its headers, its raw body bytes, and the secret path token if any. */
export interface NotificationRequest {
  headers: RequestHeaders;
  /** The body exactly as received: HMAC is over these bytes, never over re-serialized JSON. */
  body: Uint8Array;
  /** The token of a `/events/<sender>/<token>` path, for the `path` scheme. */
  pathToken?: string;
  /** The time to check a JWT's `nbf` and `exp` against (default: now). */
  now?: Date;
}

/** The outcome of a sender check: who passed, or why not (the server answers 401 and runs nothing). */
export type AuthResult = { ok: true; principal: string } | { ok: false; reason: string };

/**
 * Checks a request against the credentials configured for its sender; it passes when any of them
 * matches. Every comparison of a secret is in constant time over fixed-length digests. No credential for
 * the sender fails: notifications are never accepted unauthenticated.
 */
export function authenticateNotification(
  request: NotificationRequest,
  sender: Sender,
  credentials: readonly SenderAuth[],
): AuthResult {
  const mine = credentials.filter((c) => c.sender === sender);
  if (mine.length === 0)
    return { ok: false, reason: `no credential is configured for ${sender} notifications` };
  let passed: string | undefined;
  const reasons: string[] = [];
  // Every credential is tried, match or not, so the time taken says nothing about which one matched.
  for (const credential of mine) {
    const reason = check(request, credential);
    if (reason === undefined) passed ??= `${sender}:${credential.name}`;
    else reasons.push(reason);
  }
  if (passed !== undefined) return { ok: true, principal: passed };
  return { ok: false, reason: [...new Set(reasons)].join("; ") };
}

// The reason the request fails this credential, or undefined when it passes.
function check(request: NotificationRequest, c: SenderAuth): string | undefined {
  const authorization = single(request.headers, "authorization");
  switch (c.scheme) {
    case "header": {
      const value = single(request.headers, c.header);
      if (value === null) return `the ${c.header} header is sent more than once`;
      if (value === undefined) return `no ${c.header} header`;
      return sameSecret(Buffer.from(value, "utf8"), c.secret)
        ? undefined
        : `the ${c.header} header does not match`;
    }
    case "bearer": {
      const token = bearer(authorization);
      if (typeof token !== "string") return token.reason;
      return sameSecret(Buffer.from(token, "utf8"), c.secret) ? undefined : "the bearer token does not match";
    }
    case "basic": {
      if (authorization === null) return "the authorization header is sent more than once";
      if (authorization === undefined) return "no authorization header";
      const m = /^basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization);
      if (m?.[1] === undefined) return "the authorization header is not Basic credentials";
      return sameSecret(Buffer.from(m[1], "base64"), c.secret)
        ? undefined
        : "the basic credentials do not match";
    }
    case "path": {
      if (request.pathToken === undefined || request.pathToken === "") return "no token in the request path";
      return sameSecret(Buffer.from(request.pathToken, "utf8"), c.secret)
        ? undefined
        : "the path token does not match";
    }
    case "hmac": {
      const value = single(request.headers, c.header);
      if (value === null) return `the ${c.header} header is sent more than once`;
      if (value === undefined) return `no ${c.header} header`;
      const hex = value.trim().replace(/^sha256=/i, "");
      if (!/^[0-9a-fA-F]{64}$/.test(hex)) return `the ${c.header} header is not a hex HMAC-SHA256`;
      const expected = createHmac("sha256", c.secret).update(request.body).digest();
      return timingSafeEqual(Buffer.from(hex, "hex"), expected)
        ? undefined
        : "the signature does not match the body";
    }
    case "jwt": {
      const token = bearer(authorization);
      if (typeof token !== "string") return token.reason;
      return verifyHs256(token, c.secret, request.now ?? new Date());
    }
  }
}

// A header sent once; null when sent more than once (a proxy's and a client's values could disagree).
function single(headers: RequestHeaders, name: string): string | undefined | null {
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== name || value === undefined) continue;
    if (typeof value === "string") return value;
    return value.length === 1 ? value[0] : null;
  }
  return undefined;
}

function bearer(authorization: string | undefined | null): string | { reason: string } {
  if (authorization === null) return { reason: "the authorization header is sent more than once" };
  if (authorization === undefined) return { reason: "no authorization header" };
  const m = /^bearer\s+(\S+)\s*$/i.exec(authorization);
  if (m?.[1] === undefined) return { reason: "the authorization header is not a bearer token" };
  return m[1];
}

// Digests first, so neither the contents nor the length of the secret shows in the time taken.
function sameSecret(given: Buffer, secret: Buffer): boolean {
  return timingSafeEqual(sha256(given), sha256(secret));
}

function sha256(data: Buffer): Buffer {
  return createHash("sha256").update(data).digest();
}

/** JWT leeway for `nbf` and `exp`, seconds (Clair's signer uses go-jose's default of one minute). */
const JWT_LEEWAY_SECONDS = 60;

function verifyHs256(token: string, key: Buffer, now: Date): string | undefined {
  const parts = token.split(".");
  if (parts.length !== 3) return "the bearer token is not a JWT";
  const [head, body, signature] = parts as [string, string, string];
  const header = decodePart(head);
  if (header === undefined || header.alg !== "HS256") return "the JWT is not signed with HS256";
  const expected = createHmac("sha256", key).update(`${head}.${body}`).digest();
  const given = Buffer.from(signature, "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return "the JWT signature does not match";
  const claims = decodePart(body);
  if (claims === undefined) return "the JWT claims are not a JSON object";
  const seconds = now.getTime() / 1000;
  if (typeof claims.exp !== "number") return "the JWT has no expiry (exp)";
  if (seconds > claims.exp + JWT_LEEWAY_SECONDS) return "the JWT has expired";
  if (typeof claims.nbf === "number" && seconds < claims.nbf - JWT_LEEWAY_SECONDS)
    return "the JWT is not valid yet";
  return undefined;
}

function decodePart(part: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
