import { createHmac, timingSafeEqual } from "node:crypto";
import { isIPv4, isIPv6 } from "node:net";
import { BearerAuth, type NamedToken } from "../auth.js";
import { isLoopback } from "../http-server.js";

/** The session cookie `/ui/login` sets; it holds a signed expiry, never the token itself. */
export const SESSION_COOKIE = "cipolice_token";
/** How long a dashboard session lasts. */
export const SESSION_MS = 8 * 3_600_000;

/** Who may read the dashboard, decided once from the configuration. */
export interface UiAccessOptions {
  /** The API tokens (`auth.tokens`): any of them opens the dashboard. */
  tokens: readonly NamedToken[];
  /** `ui.public`: true serves without a token, false always asks one; unset, without one only on loopback. */
  public?: boolean;
  /** The address the server listens on. */
  host: string;
  /** The server speaks TLS itself. */
  tls: boolean;
}

/** What a request gets: in (and how), or the login page. */
export type UiAccess =
  | { allowed: true; via: "open" | "bearer" | "session" }
  | { allowed: false; why: string };

/**
 * The dashboard's access check. Open (no token) when `ui.public` is true, or when it is unset and the server
 * listens on loopback; then, unless `ui.public` said so, the Host header must name a loopback address too, so
 * that a web page whose name was rebound to 127.0.0.1 cannot read it. Otherwise a request needs an API token,
 * as `Authorization: Bearer` (from a proxy) or as the session cookie that `/ui/login` set.
 */
export class UiAuth {
  private readonly bearer: BearerAuth;
  private readonly keys: Buffer[];
  /** True when no token is needed. */
  readonly open: boolean;
  /** True when the session cookie must be `Secure` (the browser reaches the server over HTTPS). */
  readonly secureCookie: boolean;
  private readonly checkHost: boolean;

  constructor(options: UiAccessOptions) {
    this.bearer = new BearerAuth(options.tokens);
    // One key per token: a cookie made with a token stops working when that token is removed
    this.keys = options.tokens.map((t) => Buffer.from(`cipolice-ui\u0000${t.token}`));
    const loopback = isLoopback(options.host);
    this.open = options.public ?? loopback;
    this.checkHost = this.open && options.public === undefined;
    // Plain HTTP on loopback is what a browser reaches directly; elsewhere TLS ends here or at a proxy
    this.secureCookie = options.tls || !loopback;
  }

  /** True when at least one token is configured, so that signing in is possible. */
  get canSignIn(): boolean {
    return this.bearer.enabled;
  }

  /** Decides a request from its Host, Authorization and Cookie headers. */
  check(headers: { host?: string; authorization?: string; cookie?: string }, now: Date): UiAccess {
    if (this.open) {
      if (this.checkHost && !loopbackHost(headers.host)) {
        return {
          allowed: false,
          why: "the dashboard is served without a token on loopback only, and this request names another host",
        };
      }
      return { allowed: true, via: "open" };
    }
    if (headers.authorization !== undefined && this.bearer.check(headers.authorization) !== undefined) {
      return { allowed: true, via: "bearer" };
    }
    const session = readCookie(headers.cookie, SESSION_COOKIE);
    if (session !== undefined && this.verifySession(session, now)) return { allowed: true, via: "session" };
    if (!this.bearer.enabled) return { allowed: false, why: "the server has no API tokens (auth.tokens)" };
    return {
      allowed: false,
      why: session === undefined ? "sign in with an API token" : "the session has ended; sign in again",
    };
  }

  /** True when `token` is one of the configured tokens (constant time). */
  validToken(token: string): boolean {
    return token !== "" && this.bearer.check(`Bearer ${token}`) !== undefined;
  }

  /** The session value for a valid token: `v1.<expiry ms>.<HMAC of the expiry keyed by the token>`. */
  makeSession(token: string, now: Date): string {
    const expires = now.getTime() + SESSION_MS;
    return `v1.${expires}.${mac(Buffer.from(`cipolice-ui\u0000${token}`), expires)}`;
  }

  /** The Set-Cookie value of a new session, or of its removal (`value` undefined). */
  cookieHeader(value: string | undefined): string {
    const parts = [
      `${SESSION_COOKIE}=${value ?? ""}`,
      "Path=/ui",
      "HttpOnly",
      "SameSite=Strict",
      `Max-Age=${value === undefined ? 0 : SESSION_MS / 1000}`,
    ];
    if (this.secureCookie) parts.push("Secure");
    return parts.join("; ");
  }

  /** True when a session value is well formed, not expired, and signed with a configured token. */
  verifySession(value: string, now: Date): boolean {
    const m = /^v1\.(\d{1,15})\.([A-Za-z0-9_-]{43})$/.exec(value);
    if (!m) return false;
    const expires = Number(m[1]);
    const left = expires - now.getTime();
    if (left <= 0 || left > SESSION_MS) return false;
    const given = Buffer.from(m[2] as string);
    let ok = false;
    // Every key is tried, match or not, so the time taken says nothing of which token signed it
    for (const key of this.keys) {
      const expected = Buffer.from(mac(key, expires));
      if (timingSafeEqual(given, expected)) ok = true;
    }
    return ok;
  }
}

function mac(key: Buffer, expires: number): string {
  return createHmac("sha256", key).update(`session\u0000${expires}`).digest("base64url");
}

/** The value of one cookie in a Cookie header (bounded: at most 64 pairs read). */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  const pairs = header.split(";", 64);
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq < 0) continue;
    if (pair.slice(0, eq).trim() === name) return pair.slice(eq + 1).trim();
  }
  return undefined;
}

/** True when a Host header names a loopback address (`localhost`, `127.0.0.1:8080`, `[::1]:8080`). */
export function loopbackHost(host: string | undefined): boolean {
  if (host === undefined || host === "") return false;
  const name = (
    host.startsWith("[") ? host.slice(1, host.indexOf("]")) : host.replace(/:\d*$/, "")
  ).toLowerCase();
  // Names are compared exactly: `127.0.0.1.example.com` resolves wherever its owner wants
  if (name === "localhost") return true;
  if (isIPv4(name)) return name.startsWith("127.");
  return isIPv6(name) && (name === "::1" || name === "::ffff:127.0.0.1");
}
