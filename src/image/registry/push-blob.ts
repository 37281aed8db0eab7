import { createHash } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { CipError } from "../../model/index.js";
import type { HttpResponse } from "./http-request.js";
import { uploadLocation, withQueryParameter } from "./push-location.js";
import { contentRange, receivedBytes, uploadChunks } from "./push-range.js";
import { isTransientNetworkError, registryError } from "./registry-errors.js";
import {
  backoff,
  isRetryableStatus,
  MAX_RETRY_AFTER_MS,
  retryAfterMs,
  type TransportRequestInit,
} from "./transport.js";

/** A repository on a registry: where blobs and manifests are pushed. */
export interface PushTarget {
  registry: string;
  repository: string;
}

/** How pushBlob uploads. */
export interface PushBlobOptions {
  /** Media type of the blob, for messages only (the registry stores blobs untyped). */
  mediaType?: string;
  /** A repository on the same registry to mount the blob from instead of uploading it. */
  mountFrom?: string;
  /** Blobs larger than this go up in PATCH chunks of this size; default 8 MiB. */
  chunkBytes?: number;
}

/** What pushBlob did: the blob's digest and size, and whether it was already there or mounted. */
export interface PushedBlob {
  digest: string;
  size: number;
  existed: boolean;
  mounted: boolean;
}

/**
 * What the blob upload needs of the registry client: requests with the registry's authorization (for the
 * given scope) to a path or URL, a CipError for a refused answer, and how often to restart a session.
 */
export interface PushChannel {
  send(
    action: string,
    pathOrUrl: string,
    init: TransportRequestInit,
    options: { scope: string; retries?: number },
  ): Promise<{ response: HttpResponse; url: string }>;
  failure(response: HttpResponse, action: string, url: string): Promise<CipError>;
  /** Upload sessions restarted at most this many times after 429, 5xx or a reset connection. */
  retries: number;
}

/** Default chunk size of chunked uploads. */
export const DEFAULT_CHUNK_BYTES = 8 * 1024 * 1024;
const OCTETS = "application/octet-stream";

/** `sha256:<hex>` of the bytes. */
export function sha256Digest(data: Buffer): string {
  return `sha256:${createHash("sha256").update(data).digest("hex")}`;
}

/** The token scope a push to `repository` needs, plus pull on the repository a blob is mounted from. */
export function pushScope(repository: string, mountFrom?: string): string {
  const own = `repository:${repository}:pull,push`;
  return mountFrom === undefined ? own : `${own} repository:${mountFrom}:pull`;
}

/** A failed step that a fresh upload session may get past (429, 5xx, a lost upload offset). */
class RestartUpload extends Error {
  /** `waitMs`: what the registry's Retry-After asked for, if anything. */
  constructor(
    readonly failure: CipError,
    readonly waitMs?: number,
  ) {
    super(failure.message);
  }
}

/**
 * Pushes one blob as the distribution spec describes: HEAD first (present: nothing sent), a cross-repository
 * mount when asked (202: the registry opened an upload instead; refused: uploaded instead), else POST an upload session and PUT the
 * bytes (monolithic) or PATCH them in chunks and PUT the digest. The registry's Docker-Content-Digest must
 * equal ours. POST and PATCH are never resent: after 429, 5xx or a reset the session is cancelled and a
 * new one started, at most `channel.retries` times.
 */
export async function pushBlob(
  channel: PushChannel,
  target: PushTarget,
  data: Buffer,
  options: PushBlobOptions = {},
): Promise<PushedBlob> {
  const digest = sha256Digest(data);
  const size = data.byteLength;
  const where = `${target.registry}/${target.repository}`;
  const what = options.mediaType === undefined ? `blob ${digest}` : `blob ${digest} (${options.mediaType})`;
  const action = `push ${what} to ${where}`;
  const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  if (!Number.isSafeInteger(chunkBytes) || chunkBytes <= 0) {
    throw new CipError(
      "CIP_USAGE",
      `Cannot ${action}: the chunk size must be a positive whole number of bytes, not ${chunkBytes} (${where})`,
      { hint: "Leave the chunk size out for 8 MiB chunks." },
    );
  }
  const mountFrom = options.mountFrom === target.repository ? undefined : options.mountFrom;
  const scope = pushScope(target.repository);
  const blobPath = `/v2/${target.repository}/blobs/${digest}`;

  const head = await channel.send(action, blobPath, { method: "HEAD" }, { scope });
  await head.response.discard();
  // Registries with blob storage elsewhere (S3, a CDN) answer a HEAD of a blob they have with a redirect
  const redirected = head.response.status >= 300 && head.response.status < 400;
  if (head.response.ok || redirected) return { digest, size, existed: true, mounted: false };
  if (head.response.status !== 404) throw await channel.failure(head.response, action, head.url);

  const uploads = `/v2/${target.repository}/blobs/uploads/`;
  for (let attempt = 0; ; attempt++) {
    const session: { location?: string } = {};
    try {
      if (attempt === 0 && mountFrom !== undefined) {
        const mountScope = pushScope(target.repository, mountFrom);
        const opened = await openSession(channel, action, uploads, digest, mountScope, session, mountFrom);
        if (opened === "mounted") return { digest, size, existed: false, mounted: true };
      }
      if (session.location === undefined) {
        await openSession(channel, action, uploads, digest, scope, session, undefined);
      }
      const location = session.location as string;
      const chunks = size > chunkBytes ? uploadChunks(size, chunkBytes) : [];
      const final = await sendChunks(channel, action, location, data, chunks, scope, session);
      const last = chunks.length === 0 ? data : Buffer.alloc(0);
      const put = await channel.send(
        action,
        withQueryParameter(final, "digest", digest),
        { method: "PUT", headers: { "content-type": OCTETS }, body: last },
        { scope, retries: 0 },
      );
      await expectStatus(channel, put, action, 201);
      await put.response.discard();
      // The session is finished: nothing is left to cancel, whatever the digest check says
      session.location = undefined;
      checkServedDigest(action, digest, put.response.headers.get("docker-content-digest"), put.url);
      return { digest, size, existed: false, mounted: false };
    } catch (error) {
      const restartable = error instanceof RestartUpload || isTransientNetworkError(error);
      if (session.location !== undefined) await cancelSession(channel, action, session.location, scope);
      if (!restartable || attempt >= channel.retries) {
        throw error instanceof RestartUpload ? error.failure : error;
      }
      const asked = error instanceof RestartUpload ? error.waitMs : undefined;
      // A registry that asks for a longer wait than the transport would make gets its answer reported instead
      if (asked !== undefined && asked > MAX_RETRY_AFTER_MS) throw (error as RestartUpload).failure;
      await sleep(asked ?? backoff(attempt));
    }
  }
}

/**
 * POSTs a new upload session (with `mount`: a mount request) and records its Location in `session`.
 * "mounted" when the registry mounted the blob (201); "refused" when it would not mount (4xx, or no token
 * for the source), so the caller uploads; "opened" when a session is open.
 */
async function openSession(
  channel: PushChannel,
  action: string,
  uploads: string,
  digest: string,
  scope: string,
  session: { location?: string },
  mount: string | undefined,
): Promise<"mounted" | "opened" | "refused"> {
  const path =
    mount === undefined
      ? uploads
      : `${uploads}?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(mount)}`;
  const init = { method: "POST", body: Buffer.alloc(0) };
  let post: Awaited<ReturnType<PushChannel["send"]>>;
  try {
    post = await channel.send(action, path, init, { scope, retries: 0 });
  } catch (error) {
    // A token server may refuse the mount's extra scope (no pull on its source): upload instead
    if (mount === undefined || isTransientNetworkError(error) || !(error instanceof CipError)) throw error;
    return "refused";
  }
  const { status } = post.response;
  if (mount !== undefined && status >= 400 && status < 500 && status !== 429) {
    // The registry would not mount (no access to the source, mounts disabled): upload instead
    await post.response.discard();
    return "refused";
  }
  await expectStatus(channel, post, action, mount === undefined ? 202 : [201, 202]);
  await post.response.discard();
  if (status === 201) {
    checkServedDigest(action, digest, post.response.headers.get("docker-content-digest"), post.url);
    return "mounted";
  }
  session.location = uploadLocation(post.response.headers.get("location"), post.url, action);
  return "opened";
}

/** PATCHes each chunk to the session, following the Location of each answer; returns the last Location. */
async function sendChunks(
  channel: PushChannel,
  action: string,
  start: string,
  data: Buffer,
  chunks: ReturnType<typeof uploadChunks>,
  scope: string,
  session: { location?: string },
): Promise<string> {
  let location = start;
  for (const chunk of chunks) {
    const patch = await channel.send(
      action,
      location,
      {
        method: "PATCH",
        headers: { "content-type": OCTETS, "content-range": contentRange(chunk) },
        body: data.subarray(chunk.start, chunk.end),
      },
      { scope, retries: 0 },
    );
    await expectStatus(channel, patch, action, 202);
    await patch.response.discard();
    location = uploadLocation(patch.response.headers.get("location") ?? location, patch.url, action);
    session.location = location;
    const held = receivedBytes(patch.response.headers.get("range"));
    if (held !== undefined && held !== chunk.end) {
      // The registry lost or double-counted bytes: this session cannot be finished correctly
      throw new RestartUpload(
        registryError(
          `Cannot ${action}: after bytes ${contentRange(chunk)} the registry holds ${held} bytes, not ${chunk.end} (${patch.url})`,
          "The registry lost part of the upload; retry, or ask its operators if it keeps happening.",
        ),
      );
    }
  }
  return location;
}

/** Throws unless the answer has one of the expected statuses; 429 and 5xx as restartable. */
async function expectStatus(
  channel: PushChannel,
  answer: { response: HttpResponse; url: string },
  action: string,
  expected: number | number[],
): Promise<void> {
  const statuses = Array.isArray(expected) ? expected : [expected];
  const { response, url } = answer;
  // Lenient registries answer another 2xx; only a mount's 201 or 202 carries meaning
  if (statuses.includes(response.status) || (response.ok && statuses.length === 1)) return;
  const failure = await channel.failure(response, action, url);
  if (isRetryableStatus(response.status)) {
    throw new RestartUpload(failure, retryAfterMs(response.headers.get("retry-after")));
  }
  throw failure;
}

/** Refuses a registry that says it stored other bytes than the ones sent. */
function checkServedDigest(action: string, ours: string, served: string | null, url: string): void {
  if (served === null || served === "") return;
  if (served.toLowerCase() !== ours.toLowerCase()) {
    throw registryError(
      `Cannot ${action}: the registry answered digest ${served}, not ${ours} (${url})`,
      "The registry (or something between) stored different content than was sent; do not use it until that is explained.",
    );
  }
}

/** Cancels an abandoned upload session (DELETE), so no half-uploaded blob is kept; failures are ignored. */
async function cancelSession(channel: PushChannel, action: string, location: string, scope: string) {
  try {
    const answer = await channel.send(action, location, { method: "DELETE" }, { scope, retries: 0 });
    await answer.response.discard();
  } catch {
    // Best effort: registries purge stale sessions themselves
  }
}
