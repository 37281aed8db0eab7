import type { RegistryCredentials } from "./docker-config.js";
import type { HttpResponse } from "./http-request.js";
import { readLimitedBody } from "./read-body.js";
import { registryError, summariseErrorBody } from "./registry-errors.js";
import type { Transport } from "./transport.js";
import type { AuthChallenge } from "./www-authenticate.js";

/** Token lifetime the distribution token spec assumes when the server gives none. */
const DEFAULT_TOKEN_SECONDS = 60;
const MAX_TOKEN_RESPONSE_BYTES = 1024 * 1024;
const CLIENT_ID = "cipolice";

interface CachedToken {
  value: string;
  expiresAt: number;
}

/**
 * Authorization for registry requests, per the distribution token spec: Basic credentials for Basic
 * challenges; for Bearer challenges a token from the realm (GET with Basic credentials or anonymous;
 * POST grant_type=refresh_token with an identity token), cached per (registry, scope) until it expires.
 */
export class RegistryAuth {
  private readonly tokens = new Map<string, CachedToken>();

  constructor(
    private readonly transport: Transport,
    private readonly credentialsFor: (registry: string) => RegistryCredentials | undefined,
    private readonly plainHttpAllowed: (hostPort: string) => boolean,
    private readonly now: () => number = Date.now,
  ) {}

  /** The Authorization header value for a request under `scope`, or undefined to go anonymous. */
  async authorization(
    registry: string,
    challenges: AuthChallenge[],
    scope: string,
  ): Promise<string | undefined> {
    const bearer = challenges.find((c) => c.scheme === "bearer");
    if (bearer !== undefined) return `Bearer ${await this.token(registry, bearer, scope)}`;
    const basic = challenges.find((c) => c.scheme === "basic");
    const credentials = this.credentialsFor(registry);
    if (basic !== undefined && credentials !== undefined && "username" in credentials) {
      return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString("base64")}`;
    }
    return undefined;
  }

  /** Forgets the cached token for (registry, scope), after the registry refused it. */
  forget(registry: string, scope: string): void {
    this.tokens.delete(`${registry}|${scope}`);
  }

  /** True when credentials are known for the registry (to word hints). */
  hasCredentials(registry: string): boolean {
    return this.credentialsFor(registry) !== undefined;
  }

  private async token(registry: string, challenge: AuthChallenge, scope: string): Promise<string> {
    const key = `${registry}|${scope}`;
    const cached = this.tokens.get(key);
    if (cached !== undefined && cached.expiresAt > this.now()) return cached.value;
    const fetched = await this.fetchToken(registry, challenge, scope);
    this.tokens.set(key, fetched);
    return fetched.value;
  }

  private async fetchToken(registry: string, challenge: AuthChallenge, scope: string): Promise<CachedToken> {
    const action = `get a token for ${scope} from ${registry}`;
    const realm = challenge.params.realm;
    let url: URL;
    try {
      url = new URL(realm ?? "");
    } catch {
      throw registryError(
        `Cannot ${action}: the Bearer challenge has no usable realm URL ("${realm ?? ""}") (${registry})`,
        "The registry's authentication is misconfigured; report it to its operators.",
      );
    }
    const credentials = this.credentialsFor(registry);
    if (url.protocol !== "https:" && !(url.protocol === "http:" && this.plainHttpAllowed(url.host))) {
      throw registryError(
        `Cannot ${action}: the token realm ${url.origin} is not HTTPS (${registry})`,
        "Credentials are only sent over HTTPS, or plain HTTP to loopback and registries listed as insecure.",
      );
    }
    const service = challenge.params.service;
    let response: HttpResponse;
    if (credentials !== undefined && "identityToken" in credentials) {
      // OAuth2 refresh-token grant: how Docker exchanges an identity token for an access token
      const form = new URLSearchParams({
        grant_type: "refresh_token",
        refresh_token: credentials.identityToken,
      });
      if (service !== undefined) form.set("service", service);
      form.set("scope", scope);
      form.set("client_id", CLIENT_ID);
      response = await this.transport.send(action, url.toString(), {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: form.toString(),
      });
    } else {
      if (service !== undefined) url.searchParams.set("service", service);
      // One scope parameter per scope, as Docker sends them (a mount asks for two repositories)
      url.searchParams.delete("scope");
      for (const one of scope.split(" ").filter((s) => s !== "")) url.searchParams.append("scope", one);
      const headers: Record<string, string> = {};
      if (credentials !== undefined) {
        headers.authorization = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString("base64")}`;
      }
      response = await this.transport.send(action, url.toString(), { method: "GET", headers });
    }
    const where = url.origin + url.pathname;
    const body = await readLimitedBody(response, MAX_TOKEN_RESPONSE_BYTES, "the token response", where);
    const text = body.bytes.toString("utf8");
    if (!response.ok) {
      const detail = summariseErrorBody(text);
      throw registryError(
        `Cannot ${action}: the token server answered ${response.status}${detail === "" ? "" : ` (${detail})`} (${where})`,
        response.status === 401 || response.status === 403
          ? credentials === undefined
            ? `The registry wants credentials: run docker login ${registry}, or pass them explicitly.`
            : `The credentials for ${registry} were refused: check the user name and password or token.`
          : "The registry's token server is failing; retry later.",
      );
    }
    let parsed: { token?: unknown; access_token?: unknown; expires_in?: unknown };
    try {
      parsed = JSON.parse(text) as typeof parsed;
    } catch (error) {
      throw registryError(
        `Cannot ${action}: the token server's answer is not JSON (${where})`,
        "The registry's authentication is misconfigured; report it to its operators.",
        error,
      );
    }
    const value =
      typeof parsed.token === "string" && parsed.token !== ""
        ? parsed.token
        : typeof parsed.access_token === "string"
          ? parsed.access_token
          : "";
    if (value === "") {
      throw registryError(
        `Cannot ${action}: the token server's answer has neither "token" nor "access_token" (${where})`,
        "The registry's authentication is misconfigured; report it to its operators.",
      );
    }
    const seconds =
      typeof parsed.expires_in === "number" && parsed.expires_in > 0
        ? parsed.expires_in
        : DEFAULT_TOKEN_SECONDS;
    // Renew a little early so a token does not expire between check and use
    const margin = Math.min(10_000, seconds * 100);
    return { value, expiresAt: this.now() + seconds * 1000 - margin };
  }
}
