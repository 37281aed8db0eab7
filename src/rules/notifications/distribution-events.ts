import type { RuleMessage } from "../rule-types.js";
import type { NotificationMessages } from "./notification-types.js";
import { compact, imageReference, invalid, Reader, rootObject } from "./payload-reader.js";

const WHAT = "Distribution registry notification";

/** The media type of a Distribution registry notification envelope. */
export const DISTRIBUTION_ENVELOPE_TYPE = "application/vnd.docker.distribution.events.v1+json";

/** Media types of manifests and indexes: only events on these name an image; the rest are blobs. */
export const MANIFEST_MEDIA_TYPES: ReadonlySet<string> = new Set([
  "application/vnd.docker.distribution.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.v1+prettyjws",
  "application/vnd.docker.distribution.manifest.v2+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.oci.image.index.v1+json",
]);

/**
 * A Distribution registry notification envelope (`{"events": [...]}`) as messages: a manifest push is a
 * `push` message for `request.host/target.repository:target.tag` (or `@target.digest` without a tag), with
 * `digest`, `tag`, `repository`, `registry`, `pushed_by` (actor.name), `media_type`, `event_id`, `timestamp`;
 * a delete is a `delete` message. Layer (blob) pushes, pulls and mounts are ignored, each with its reason.
 */
export function normalizeDistribution(payload: unknown): NotificationMessages {
  const root = new Reader(rootObject(payload, WHAT), WHAT);
  const events = root.objects("events", true);
  const messages: RuleMessage[] = [];
  const ignored: string[] = [];
  events.forEach((e, i) => {
    const action = e.string("action");
    const target = e.object("target");
    const mediaType = target.optString("mediaType");
    const label = `event ${i}${e.optString("id") ? ` (${e.optString("id")})` : ""}`;
    const isManifest =
      mediaType === undefined ? looksLikeManifest(target) : MANIFEST_MEDIA_TYPES.has(mediaType);
    if (action === "pull") {
      ignored.push(`${label}: a pull changes no image`);
      return;
    }
    if (action === "mount") {
      ignored.push(`${label}: a blob mount names no image`);
      return;
    }
    if (action !== "push" && action !== "delete") {
      ignored.push(`${label}: action "${action}" is not one CIPolicE reacts to`);
      return;
    }
    if (!isManifest) {
      ignored.push(
        `${label}: a ${mediaType === undefined ? "blob" : `layer (${mediaType})`} ${action}, not a manifest: only manifest events name an image`,
      );
      return;
    }
    messages.push(eventMessage(e, target, action, mediaType));
  });
  if (events.length === 0) ignored.push("the envelope holds no events");
  return {
    sender: "distribution",
    event: String(messages[0]?.event ?? events[0]?.optString("action") ?? "none"),
    messages,
    ...(ignored.length > 0 ? { ignored: ignored.join("; ") } : {}),
  };
}

function eventMessage(e: Reader, target: Reader, action: string, mediaType: string | undefined): RuleMessage {
  const repository = target.string("repository");
  const digest = target.optString("digest");
  const tag = target.optString("tag");
  if (digest === undefined && (tag === undefined || tag === "")) {
    throw invalid(WHAT, "the target has neither a digest nor a tag", target.node.path);
  }
  const host = e.optObject("request")?.optString("host");
  const name = host ? `${host}/${repository}` : repository;
  return compact({
    sender: "distribution",
    event: action,
    image: imageReference(name, tag, digest),
    registry: host,
    repository,
    tag: tag === "" ? undefined : tag,
    digest,
    media_type: mediaType,
    pushed_by: action === "push" ? nonEmpty(e.optObject("actor")?.optString("name")) : undefined,
    deleted_by: action === "delete" ? nonEmpty(e.optObject("actor")?.optString("name")) : undefined,
    event_id: e.optString("id"),
    timestamp: e.optString("timestamp"),
  });
}

// A delete event carries only digest and repository (no media type): it is a manifest when its URL says so
// or when it has no URL at all, as manifest deletes do.
function looksLikeManifest(target: Reader): boolean {
  const url = target.optString("url");
  return url === undefined || url.includes("/manifests/");
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === "" ? undefined : value;
}
