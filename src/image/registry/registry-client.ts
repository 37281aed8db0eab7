import { createHash } from "node:crypto";
import type { ImageRef, Platform } from "../../model/index.js";
import { CipError, isCipError } from "../../model/index.js";
import { type ClassifiedManifest, classifyManifest, MANIFEST_ACCEPT } from "../manifest.js";
import { defaultPlatform, selectPlatform } from "../platform.js";
import type { ResolvedImage } from "../resolved-image.js";
import { openBlobStream } from "./blob-stream.js";
import { parseCaCertificates, readCaFile } from "./ca-certificates.js";
import {
  defaultDockerConfigPath,
  type RegistryCredentials,
  readDockerConfigCredentials,
} from "./docker-config.js";
import type { HttpResponse } from "./http-request.js";
import { nextLink } from "./link-header.js";
import {
  type PushBlobOptions,
  type PushChannel,
  type PushedBlob,
  type PushTarget,
  pushBlob,
} from "./push-blob.js";
import { type ManifestTarget, pushManifest } from "./push-manifest.js";
import { digestAlgorithm, readLimitedBody, verifyDigest } from "./read-body.js";
import { RegistryAuth } from "./registry-auth.js";
import {
  isTlsCertificateError,
  networkErrorCode,
  registryError,
  summariseErrorBody,
} from "./registry-errors.js";
import { apiHost, plainHttpAllowed } from "./registry-host.js";
import { Transport, type TransportRequestInit } from "./transport.js";
import { type AuthChallenge, parseWwwAuthenticate } from "./www-authenticate.js";

/** Options of a RegistryClient; every one has a default. */
export interface RegistryClientOptions {
  /** Credentials for every registry this client talks to (from flags or environment); else config.json's. */
  credentials?: { username: string; password: string } | { identityToken: string };
  /** Docker's config.json; default `$DOCKER_CONFIG/config.json` or `~/.docker/config.json`. */
  dockerConfigPath?: string;
  /** Registries (host[:port], or host for every port) allowed over plain HTTP; loopback always is. */
  insecureRegistries?: string[];
  /** PEM text of CA certificates trusted besides Node's bundled roots (a private registry's CA). */
  caCertificates?: string[];
  /** PEM files of such CAs (`--ca-file`), read and checked when the client is made. */
  caFiles?: string[];
  /** Per request, default 30 000. */
  timeoutMs?: number;
  /** Largest manifest accepted, default 4 MiB. */
  maxManifestBytes?: number;
  /** Largest config blob (and tag or catalog page) accepted, default 16 MiB. */
  maxBlobBytes?: number;
  /** Retries on 429, 5xx and reset connections, default 3. */
  retries?: number;
  /** Platform chosen from indexes; default this machine's. */
  platform?: { os: string; architecture: string; variant?: string };
}

const MiB = 1024 * 1024;
const MAX_BLOB_REDIRECTS = 5;
/** Bound on Link pagination, so a registry that always answers "next" cannot loop the client forever. */
const MAX_PAGES = 10_000;
/** Indexes nested deeper than this are refused (a hostile or broken chain), as the OCI layout reader does. */
const MAX_INDEX_DEPTH = 8;

interface RegistryState {
  /** `https://host[:port]` or `http://…`, as the ping found it. */
  base: string;
  challenges: AuthChallenge[];
}

interface FetchedManifest {
  digest: string;
  mediaType: string;
  document: unknown;
  classified: ClassifiedManifest;
}

/** A fetched manifest that is not an index: what following indexes ends on. */
interface SingleManifest extends FetchedManifest {
  classified: Exclude<ClassifiedManifest, { kind: "index" }>;
}

/**
 * A Docker Registry HTTP API v2 / OCI distribution client over node:http(s): pings `/v2/`, answers
 * Basic and Bearer challenges, resolves indexes to one platform, and verifies every digest it reads.
 * Every failure is a CipError (CIP_REGISTRY; CIP_INPUT_TOO_LARGE for size limits).
 */
export class RegistryClient {
  private readonly transport: Transport;
  private readonly auth: RegistryAuth;
  private readonly registries = new Map<string, Promise<RegistryState>>();
  /** Base URLs of registries already pinged, for messages. */
  private readonly bases = new Map<string, string>();
  private readonly configCredentials = new Map<string, RegistryCredentials | undefined>();
  private readonly insecure: string[];
  private readonly timeoutMs: number;
  private readonly maxManifestBytes: number;
  private readonly maxBlobBytes: number;
  private readonly platform: Platform;
  private readonly retries: number;

  constructor(private readonly options: RegistryClientOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.maxManifestBytes = options.maxManifestBytes ?? 4 * MiB;
    this.maxBlobBytes = options.maxBlobBytes ?? 16 * MiB;
    this.insecure = options.insecureRegistries ?? [];
    this.platform = options.platform ?? defaultPlatform();
    this.retries = options.retries ?? 3;
    const caCertificates = [
      ...(options.caCertificates ?? []).flatMap((pem, i) =>
        parseCaCertificates(pem, `CA certificate ${i + 1}`),
      ),
      ...(options.caFiles ?? []).flatMap(readCaFile),
    ];
    this.transport = new Transport({
      timeoutMs: this.timeoutMs,
      retries: this.retries,
      caCertificates,
    });
    this.auth = new RegistryAuth(
      this.transport,
      (registry) => this.credentialsFor(registry),
      (hostPort) => plainHttpAllowed(hostPort, this.insecure),
    );
  }

  /** Closes the client's connections; a command calls it when done so that no socket keeps the process alive. */
  close(): void {
    this.transport.close();
  }

  /**
   * Resolves a reference to one single-platform image: its manifest (an index followed to the client's
   * platform, through nested indexes at most 8 deep), its config blob (digest verified) and its layer
   * descriptors. `indexDigest` is the digest of the index the reference points at, when it is one.
   * Throws CIP_USAGE when an index lacks the platform, CIP_IMAGE_INVALID when indexes nest too deep.
   */
  async resolveImage(ref: ImageRef): Promise<ResolvedImage> {
    const state = await this.ping(ref.registry);
    const reference = ref.digest ?? ref.tag ?? "latest";
    const top = await this.fetchManifest(ref, reference, ref.digest);
    const manifest = await this.followIndexes(ref, top, state.base);
    const classified = manifest.classified;
    const resolved: ResolvedImage = {
      ref,
      source: "registry",
      location: `${state.base}/v2/${ref.repository}`,
      manifestDigest: manifest.digest,
      manifestMediaType: manifest.mediaType,
      manifest: manifest.document,
      config: undefined,
      layers: [],
    };
    // The top index is what the reference names (its repo digest), however deep the chosen manifest is
    if (top.classified.kind === "index") resolved.indexDigest = top.digest;
    switch (classified.kind) {
      case "image": {
        resolved.configDigest = classified.config.digest;
        resolved.config = await this.fetchConfig(ref, classified.config.digest);
        resolved.layers = classified.layers;
        return resolved;
      }
      case "schema1":
        // Schema 1 has no config blob: its newest v1Compatibility entry carries the config
        resolved.config = classified.config;
        resolved.layers = classified.layers;
        return resolved;
      case "artifact":
        throw registryError(
          `Cannot resolve ${describeRef(ref)}: it is an artifact of type ${classified.artifactType}, not a container image (${state.base})`,
          "Point at a container image, not a signature, SBOM or other artifact.",
        );
    }
  }

  /**
   * Follows index → index → … → manifest (OCI lets an index entry be an index), choosing the client's
   * platform at each level as the OCI layout reader does. Each entry is fetched by its digest and verified
   * against it. Throws CIP_IMAGE_INVALID, naming the chain, past MAX_INDEX_DEPTH indexes or on a loop.
   */
  private async followIndexes(ref: ImageRef, top: FetchedManifest, base: string): Promise<SingleManifest> {
    const chain: string[] = [];
    let current = top;
    while (current.classified.kind === "index") {
      chain.push(current.digest);
      if (chain.length > MAX_INDEX_DEPTH) {
        throw nestingError(
          `Cannot resolve ${describeRef(ref)}: its indexes are nested more than ${MAX_INDEX_DEPTH} deep (${chain.join(" -> ")}) (${base})`,
        );
      }
      const where =
        chain.length === 1
          ? `index of ${describeRef(ref)} (${base})`
          : `index ${current.digest} of ${describeRef(ref)}, reached through ${chain.slice(0, -1).join(" -> ")} (${base})`;
      // Throws CIP_USAGE listing the platforms the index has
      const entry = selectPlatform(current.classified, this.platform, where);
      // Verified digests make a loop impossible short of a hash collision; refuse one rather than spin
      if (chain.includes(entry.digest)) {
        throw nestingError(
          `Cannot resolve ${describeRef(ref)}: its indexes loop (${[...chain, entry.digest].join(" -> ")}) (${base})`,
        );
      }
      current = await this.fetchManifest(ref, entry.digest, entry.digest);
    }
    return current as SingleManifest;
  }

  /** The digest of the manifest a reference points at (HEAD, Docker-Content-Digest; GET when absent). */
  async headDigest(ref: ImageRef): Promise<string> {
    const reference = ref.digest ?? ref.tag ?? "latest";
    const path = `/v2/${ref.repository}/manifests/${reference}`;
    const action = `get the digest of ${describeRef(ref)}`;
    const response = await this.request(ref.registry, pullScope(ref.repository), action, path, {
      method: "HEAD",
      headers: { accept: MANIFEST_ACCEPT },
    });
    await this.refuseRedirect(response, action, path, ref.registry);
    if (!response.ok) throw await this.statusError(response, action, this.urlOf(ref.registry, path), ref);
    // A HEAD answer has no body, but until it is read to its end the connection is not free for the next
    await response.discard();
    const digest = response.headers.get("docker-content-digest");
    if (digest !== null && digest !== "") return digest;
    return (await this.fetchManifest(ref, reference, ref.digest)).digest;
  }

  /** Every tag of a repository, following Link pagination. */
  async listTags(registry: string, repository: string): Promise<string[]> {
    const pages = await this.paginate(
      registry,
      pullScope(repository),
      `list the tags of ${repository}`,
      `/v2/${repository}/tags/list`,
    );
    return pages.flatMap((page) => stringArray((page as { tags?: unknown } | null)?.tags));
  }

  /** Every repository the registry lists in its catalog, following Link pagination. */
  async catalog(registry: string): Promise<string[]> {
    const pages = await this.paginate(
      registry,
      "registry:catalog:*",
      `list the catalog of ${registry}`,
      "/v2/_catalog",
    );
    return pages.flatMap((page) => stringArray((page as { repositories?: unknown } | null)?.repositories));
  }

  /**
   * Pushes a blob unless the repository has it: a cross-repository mount from `mountFrom` when asked,
   * else one PUT, or PATCH chunks of `chunkBytes` (default 8 MiB) for larger blobs. The registry's
   * answered digest must be ours. Upload sessions that fail on 429, 5xx or a reset are cancelled and
   * started again (never resent blindly), as often as the client retries.
   */
  pushBlob(target: PushTarget, data: Buffer, options?: PushBlobOptions): Promise<PushedBlob> {
    return pushBlob(this.pushChannel(target.registry, target.repository), target, data, options);
  }

  /**
   * Pushes a manifest's exact bytes under a tag or digest with `mediaType` as Content-Type; returns its
   * sha256 digest (checked against the registry's Docker-Content-Digest when it sends one).
   */
  pushManifest(target: ManifestTarget, body: Buffer, mediaType: string): Promise<{ digest: string }> {
    const channel = this.pushChannel(target.registry, target.repository);
    return pushManifest(channel, target, body, mediaType, this.maxManifestBytes);
  }

  /**
   * The raw bytes of a manifest of any media type (a signature's OCI manifest, an index), verified against a
   * digest reference or the registry's Docker-Content-Digest, at most maxManifestBytes. Undefined when the
   * registry does not have it (404 MANIFEST_UNKNOWN or NAME_UNKNOWN).
   */
  async getManifest(
    target: ManifestTarget,
  ): Promise<{ digest: string; mediaType: string; body: Buffer } | undefined> {
    const ref: ImageRef = { registry: target.registry, repository: target.repository };
    const { reference } = target;
    const what = `the manifest of ${target.repository}${reference.includes(":") ? "@" : ":"}${reference}`;
    const action = `fetch ${what}`;
    const path = `/v2/${target.repository}/manifests/${reference}`;
    const algorithm = reference.includes(":")
      ? digestAlgorithm(reference, `${target.registry}${path}`)
      : "sha256";
    const response = await this.request(target.registry, pullScope(target.repository), action, path, {
      method: "GET",
      headers: { accept: MANIFEST_ACCEPT },
    });
    // After the request: the ping has found the scheme the URL in messages should show
    const url = this.urlOf(target.registry, path);
    await this.refuseRedirect(response, action, path, target.registry);
    if (response.status === 404) {
      const error = await this.statusError(response, action, url, ref);
      // Only the registry's own "not here" codes mean absent; any other 404 is a misrouted request
      if (/\b(MANIFEST_UNKNOWN|NAME_UNKNOWN)\b/.test(error.message)) return undefined;
      throw error;
    }
    if (!response.ok) throw await this.statusError(response, action, url, ref);
    const body = await readLimitedBody(response, this.maxManifestBytes, what, url, algorithm);
    const served = response.headers.get("docker-content-digest");
    if (reference.includes(":")) {
      verifyDigest(what, reference, body.digest, url);
    } else if (served?.startsWith(`${algorithm}:`)) {
      verifyDigest(what, served, body.digest, url);
    }
    const mediaType = manifestMediaType(response.headers.get("content-type"), body.bytes);
    // The digest reported is always sha256 of the bytes, whatever algorithm the reference used
    const digest =
      algorithm === "sha256"
        ? body.digest
        : `sha256:${createHash("sha256").update(body.bytes).digest("hex")}`;
    return { digest, mediaType, body: body.bytes };
  }

  /** The raw bytes of a blob, verified against its digest, at most `maxBytes` (default maxBlobBytes). */
  async getBlob(target: PushTarget, digest: string, maxBytes: number = this.maxBlobBytes): Promise<Buffer> {
    const ref: ImageRef = { registry: target.registry, repository: target.repository };
    const what = `the blob ${digest} of ${target.repository}`;
    const path = `/v2/${target.repository}/blobs/${digest}`;
    const algorithm = digestAlgorithm(digest, `${target.registry}${path}`);
    const { response, url } = await this.fetchBlob(ref, path, `fetch ${what}`);
    const body = await readLimitedBody(response, maxBytes, what, url, algorithm);
    verifyDigest(what, digest, body.digest, url);
    return body.bytes;
  }

  /**
   * Streams a blob (auth and redirects as getBlob), never held whole, at most `maxBytes`; its digest is
   * verified at its end, even when the reader stops early.
   */
  streamBlob(
    target: PushTarget,
    digest: string,
    maxBytes: number = this.maxBlobBytes,
  ): Promise<AsyncIterable<Buffer>> {
    const ref: ImageRef = { registry: target.registry, repository: target.repository };
    return openBlobStream((r, path, action) => this.fetchBlob(r, path, action), ref, digest, maxBytes);
  }

  /**
   * How pushes reach one repository: requests to the registry's origin carry its authorization under the
   * push scope; an upload Location on another origin gets none, and plain HTTP only where reading allows it.
   */
  private pushChannel(registry: string, repository: string): PushChannel {
    const ref: ImageRef = { registry, repository };
    return {
      retries: this.retries,
      failure: (response, action, url) => this.statusError(response, action, url, ref, "push"),
      send: async (action, pathOrUrl, init, { scope, retries }) => {
        const state = await this.ping(registry);
        const url = pathOrUrl.startsWith("/") ? `${state.base}${pathOrUrl}` : pathOrUrl;
        const target = new URL(url);
        let response: HttpResponse;
        if (target.origin === new URL(state.base).origin) {
          response = await this.request(registry, scope, action, url, init, retries);
        } else {
          if (target.protocol !== "https:" && !plainHttpAllowed(target.host, this.insecure)) {
            throw registryError(
              `Cannot ${action}: the registry sent the upload to ${target.origin} over plain HTTP (${state.base})`,
              "Uploads go over HTTPS, or plain HTTP only to loopback and registries listed as insecure.",
            );
          }
          // Another host's upload URL is authorized by itself (signed URLs); the registry's token is not its
          response = await this.transport.send(action, url, init, retries);
        }
        // A redirect is the caller's to judge: a HEAD of a blob in redirected storage means it exists
        return { response, url };
      },
    };
  }

  /** Pings `/v2/` once per registry: finds the scheme (HTTPS, or HTTP where allowed) and the challenges. */
  private ping(registry: string): Promise<RegistryState> {
    let state = this.registries.get(registry);
    if (state === undefined) {
      state = this.doPing(registry);
      this.registries.set(registry, state);
      // A failed ping is not cached, so a later call may succeed once the registry is up
      state.catch(() => this.registries.delete(registry));
    }
    return state;
  }

  private async doPing(registry: string): Promise<RegistryState> {
    const host = apiHost(registry);
    const action = `reach the registry ${registry}`;
    let response: HttpResponse;
    let base = `https://${host}`;
    try {
      response = await this.transport.send(action, `${base}/v2/`, { method: "GET" });
    } catch (error) {
      // As Docker does for insecure registries: HTTPS first, plain HTTP when HTTPS does not connect
      const code = networkErrorCode(error);
      // Refused, unresolvable or silent hosts would fail the same way over HTTP: report them once
      const noRetry = new Set(["ENOTFOUND", "EAI_NONAME", "ECONNREFUSED", "TIMEOUT"]);
      // An untrusted certificate means the host does speak HTTPS: plain HTTP would only hide the cause
      if (!plainHttpAllowed(host, this.insecure) || (code !== undefined && noRetry.has(code))) throw error;
      if (isTlsCertificateError(error)) throw error;
      base = `http://${host}`;
      response = await this.transport.send(action, `${base}/v2/`, { method: "GET" });
    }
    await response.discard();
    this.bases.set(registry, base);
    if (response.ok) return { base, challenges: [] };
    if (response.status === 401) {
      return { base, challenges: parseWwwAuthenticate(response.headers.get("www-authenticate")) };
    }
    throw registryError(
      `Cannot ${action}: /v2/ answered ${response.status} ${response.statusText}, not 200 or 401 (${base}/v2/)`,
      "Check that this host serves the Docker Registry HTTP API v2 (OCI distribution).",
    );
  }

  /** Sends a request with the registry's authorization; on a 401 with fresh challenges, retries once. */
  private async request(
    registry: string,
    scope: string,
    action: string,
    pathOrUrl: string,
    init: TransportRequestInit,
    retries?: number,
  ): Promise<HttpResponse> {
    const state = await this.ping(registry);
    const url = pathOrUrl.startsWith("/") ? `${state.base}${pathOrUrl}` : pathOrUrl;
    for (let attempt = 0; ; attempt++) {
      const headers: Record<string, string> = { ...init.headers };
      const authorization = await this.auth.authorization(registry, state.challenges, scope);
      if (authorization !== undefined) headers.authorization = authorization;
      const response = await this.transport.send(action, url, { ...init, headers }, retries);
      if (response.status !== 401 || attempt > 0) return response;
      const challenges = parseWwwAuthenticate(response.headers.get("www-authenticate"));
      if (challenges.length === 0) return response;
      // The token may have expired early or the registry changed its challenge: fetch a new one once
      await response.discard();
      this.auth.forget(registry, scope);
      state.challenges = challenges;
    }
  }

  private async fetchManifest(
    ref: ImageRef,
    reference: string,
    expectedDigest?: string,
  ): Promise<FetchedManifest> {
    const what = `the manifest of ${ref.repository}${reference.includes(":") ? "@" : ":"}${reference}`;
    const action = `fetch ${what}`;
    const path = `/v2/${ref.repository}/manifests/${reference}`;
    const url = this.urlOf(ref.registry, path);
    const algorithm = expectedDigest === undefined ? "sha256" : digestAlgorithm(expectedDigest, url);
    const response = await this.request(ref.registry, pullScope(ref.repository), action, path, {
      method: "GET",
      headers: { accept: MANIFEST_ACCEPT },
    });
    await this.refuseRedirect(response, action, path, ref.registry);
    if (!response.ok) throw await this.statusError(response, action, url, ref);
    const body = await readLimitedBody(response, this.maxManifestBytes, what, url, algorithm);
    if (expectedDigest !== undefined) verifyDigest(what, expectedDigest, body.digest, url);
    const served = response.headers.get("docker-content-digest");
    if (expectedDigest === undefined && served !== null && served.startsWith(`${algorithm}:`)) {
      verifyDigest(what, served, body.digest, url);
    }
    let document: unknown;
    try {
      document = JSON.parse(body.bytes.toString("utf8"));
    } catch (error) {
      throw registryError(
        `Cannot read ${what}: it is not JSON (${url})`,
        "The registry served something other than a manifest; check the reference.",
        error,
      );
    }
    const classified = classifyManifest(document, response.headers.get("content-type") ?? undefined, url);
    return { digest: body.digest, mediaType: classified.mediaType, document, classified };
  }

  private async fetchConfig(ref: ImageRef, digest: string): Promise<unknown> {
    const what = `the config blob ${digest} of ${ref.repository}`;
    const path = `/v2/${ref.repository}/blobs/${digest}`;
    const { response, url } = await this.fetchBlob(ref, path, `fetch ${what}`);
    const body = await readLimitedBody(response, this.maxBlobBytes, what, url, digestAlgorithm(digest, url));
    verifyDigest(what, digest, body.digest, url);
    try {
      return JSON.parse(body.bytes.toString("utf8")) as unknown;
    } catch (error) {
      throw registryError(
        `Cannot read ${what}: it is not JSON (${url})`,
        "The image's config blob is damaged; rebuild and push the image.",
        error,
      );
    }
  }

  /** GETs a blob, following redirects to any host but sending the Authorization header only to the registry. */
  private async fetchBlob(
    ref: ImageRef,
    path: string,
    action: string,
  ): Promise<{ response: HttpResponse; url: string }> {
    let response = await this.request(ref.registry, pullScope(ref.repository), action, path, {
      method: "GET",
    });
    let url = this.urlOf(ref.registry, path);
    const registryOrigin = new URL(url).origin;
    for (let hop = 0; isRedirect(response.status); hop++) {
      const location = response.headers.get("location");
      await response.discard();
      if (location === null || hop >= MAX_BLOB_REDIRECTS) {
        throw registryError(
          `Cannot ${action}: ${location === null ? "a redirect without a Location" : `more than ${MAX_BLOB_REDIRECTS} redirects`} (${url})`,
          "The registry's blob storage redirects are misconfigured; report it to its operators.",
        );
      }
      url = new URL(location, url).toString();
      if (new URL(url).origin === registryOrigin) {
        response = await this.request(ref.registry, pullScope(ref.repository), action, url, {
          method: "GET",
        });
      } else {
        // Storage backends (S3, CDNs) authorize with signed URLs; the registry token is not theirs
        response = await this.transport.send(action, url, { method: "GET" });
      }
    }
    if (!response.ok) throw await this.statusError(response, action, url, ref);
    return { response, url };
  }

  private async refuseRedirect(
    response: HttpResponse,
    action: string,
    path: string,
    registry: string,
  ): Promise<void> {
    if (!isRedirect(response.status)) return;
    await response.discard();
    throw registryError(
      `Cannot ${action}: the registry redirected the manifest request to ${response.headers.get("location") ?? "nowhere"} (${this.urlOf(registry, path)})`,
      "Manifests are read only from the registry itself; use the registry the redirect points at directly.",
    );
  }

  private async paginate(registry: string, scope: string, action: string, path: string): Promise<unknown[]> {
    const state = await this.ping(registry);
    const pages: unknown[] = [];
    let url: string | undefined = `${state.base}${path}`;
    const seen = new Set<string>();
    while (url !== undefined) {
      if (seen.has(url) || pages.length >= MAX_PAGES) {
        throw registryError(
          `Cannot ${action}: the registry's pagination loops (${url})`,
          "The registry's Link headers repeat; report it to its operators.",
        );
      }
      seen.add(url);
      const response = await this.request(registry, scope, action, url, {
        method: "GET",
        headers: { accept: "application/json" },
      });
      if (!response.ok) throw await this.statusError(response, action, url);
      const body = await readLimitedBody(
        response,
        this.maxBlobBytes,
        `a page of the answer to "${action}"`,
        url,
      );
      try {
        pages.push(JSON.parse(body.bytes.toString("utf8")));
      } catch (error) {
        throw registryError(
          `Cannot ${action}: the answer is not JSON (${url})`,
          "Check that this is a registry.",
          error,
        );
      }
      const next = nextLink(response.headers.get("link"), url);
      if (next !== undefined && new URL(next).origin !== state.base) {
        throw registryError(
          `Cannot ${action}: the next page is on another host, ${new URL(next).origin} (${url})`,
          "Pagination is followed only on the registry itself.",
        );
      }
      url = next;
    }
    return pages;
  }

  /** A CipError for a non-2xx answer, with the registry's error codes from its JSON body. */
  private async statusError(
    response: HttpResponse,
    action: string,
    url: string,
    ref?: ImageRef,
    operation: "pull" | "push" = "pull",
  ): Promise<CipError> {
    let detail = "";
    try {
      const body = await readLimitedBody(response, 64 * 1024, "the error body", url);
      detail = summariseErrorBody(body.bytes.toString("utf8"));
    } catch (error) {
      if (!isCipError(error)) throw error;
    }
    const registry = ref?.registry ?? new URL(url).host;
    const status = `${response.status}${response.statusText === "" ? "" : ` ${response.statusText}`}`;
    const message = `Cannot ${action}: the registry answered ${status}${detail === "" ? "" : `, ${detail}`} (${url})`;
    return registryError(
      message,
      statusHint(response.status, registry, ref, this.auth.hasCredentials(registry), operation),
    );
  }

  private urlOf(registry: string, path: string): string {
    if (!path.startsWith("/")) return path;
    return `${this.bases.get(registry) ?? `https://${apiHost(registry)}`}${path}`;
  }

  private credentialsFor(registry: string): RegistryCredentials | undefined {
    if (this.options.credentials !== undefined) return this.options.credentials;
    if (!this.configCredentials.has(registry)) {
      const path = this.options.dockerConfigPath ?? defaultDockerConfigPath();
      this.configCredentials.set(registry, readDockerConfigCredentials(path, registry));
    }
    return this.configCredentials.get(registry);
  }
}

function statusHint(
  status: number,
  registry: string,
  ref: ImageRef | undefined,
  hasCredentials: boolean,
  operation: "pull" | "push" = "pull",
): string {
  if (operation === "push" && status === 404) {
    return `The registry does not know ${ref?.repository ?? "this repository"} or the upload; check the repository name (some registries want it created first).`;
  }
  switch (status) {
    case 401:
      return hasCredentials
        ? `The registry refused the credentials for ${registry}${operation === "push" ? " (or they may not push there)" : ""}; check them (docker login ${registry}).`
        : `The registry wants credentials: run docker login ${registry}, or pass them explicitly.`;
    case 403:
      return `The credentials for ${registry} are not allowed to ${operation} ${ref?.repository ?? "this"}; ask for access.`;
    case 404:
      return ref === undefined
        ? "Check the repository name; the registry does not know it."
        : `Check the repository and tag of ${describeRef(ref)}: the registry does not have them (list its tags to see what exists).`;
    case 429:
      return "The registry is rate-limiting this client; log in for a higher limit or retry later.";
    default:
      return status >= 500
        ? "The registry is failing; retry later or ask its operators."
        : "The registry refused the request; see its message.";
  }
}

/** A CIP_IMAGE_INVALID error for an index chain that cannot be followed. */
function nestingError(message: string): CipError {
  return new CipError("CIP_IMAGE_INVALID", message, {
    hint: "Point at a single-platform manifest or a shallower index by digest, or ask the image's publisher to flatten its index.",
  });
}

function describeRef(ref: ImageRef): string {
  return `${ref.registry}/${ref.repository}${ref.tag === undefined ? "" : `:${ref.tag}`}${ref.digest === undefined ? "" : `@${ref.digest}`}`;
}

function pullScope(repository: string): string {
  return `repository:${repository}:pull`;
}

function isRedirect(status: number): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}

/** A manifest's media type: the Content-Type the registry sent, else the document's own `mediaType`. */
function manifestMediaType(contentType: string | null, bytes: Buffer): string {
  const header = (contentType ?? "").split(";")[0]?.trim() ?? "";
  if (header !== "" && header !== "application/json" && header !== "text/plain") return header;
  try {
    const declared = (JSON.parse(bytes.toString("utf8")) as { mediaType?: unknown }).mediaType;
    if (typeof declared === "string" && declared !== "") return declared;
  } catch {
    // Not JSON: the header is all there is
  }
  return header;
}

function stringArray(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}
