import type { RuleMessage } from "../rule-types.js";
import type { NotificationMessages } from "./notification-types.js";
import { compact, invalid, Reader, rootObject } from "./payload-reader.js";
import { severityLevel } from "./severity-level.js";

const WHAT = "Clair notification";

/**
 * Clair v4's notifier webhook (`{notification_id, callback}`): it names no image, so it is one message
 * `{sender: "clair", event: "clair_notification", notification_id, callback}`. The server fetches the
 * callback (paged) and turns each page into messages with {@link normalizeClairPage}. The callback must be
 * an http(s) URL; the server should also check it points at the configured notifier before fetching it.
 */
export function normalizeClairWebhook(payload: unknown): NotificationMessages {
  const root = new Reader(rootObject(payload, WHAT), WHAT);
  const notificationId = root.string("notification_id");
  const callback = root.string("callback");
  if (!/^https?:\/\/[^\s/]+/i.test(callback)) {
    throw invalid(WHAT, "callback is not an http:// or https:// URL", root.at("callback"));
  }
  return {
    sender: "clair",
    event: "clair_notification",
    messages: [{ sender: "clair", event: "clair_notification", notification_id: notificationId, callback }],
  };
}

/** What one notification page gave: the messages, and the id of the next page when there is one. */
export interface ClairPageMessages extends NotificationMessages {
  /** The `next` page id to ask the callback for (`?next=`), absent on the last page. */
  next?: string;
}

/**
 * One page of a Clair v4 notification (`GET <callback>`: `{page: {size, next}, notifications[]}`) as one
 * message per affected manifest and vulnerability: `image` and `digest` (`@sha256:…`, the manifest digest:
 * Clair knows no repository or tag), `event` (`vulnerability_found` when the reason is `added`,
 * `vulnerability_removed` when `removed`), `cve` (the vulnerability name), `severity` and `level` from
 * `normalized_severity`, `package`, `package_version`, `fixed_in_version`, `distribution`, `reason`.
 */
export function normalizeClairPage(payload: unknown, notificationId?: string): ClairPageMessages {
  const root = new Reader(rootObject(payload, "Clair notification page"), "Clair notification page");
  const next = root.optObject("page")?.optString("next");
  const messages = root.objects("notifications", true).map((n): RuleMessage => {
    const manifest = n.string("manifest");
    const reason = n.string("reason");
    const v = n.object("vulnerability");
    const word = v.optString("normalized_severity");
    const known = severityLevel(word);
    const pkg = v.optObject("package");
    const dist = v.optObject("distribution");
    return compact({
      sender: "clair",
      event: reason === "removed" ? "vulnerability_removed" : "vulnerability_found",
      image: `@${manifest}`,
      digest: manifest,
      manifest,
      reason,
      cve: v.string("name"),
      severity: known?.severity ?? "unknown",
      level: known?.level ?? 0,
      package: pkg?.optString("name"),
      package_version: pkg?.optString("version"),
      fixed_in_version: v.optString("fixed_in_version") || undefined,
      distribution: dist?.optString("pretty_name") ?? dist?.optString("name"),
      link: v.optString("links") || undefined,
      notification_id: notificationId,
      clair_notification: n.optString("id"),
    });
  });
  return {
    sender: "clair",
    event: String(messages[0]?.event ?? "vulnerability_found"),
    messages,
    ...(messages.length === 0 ? { ignored: "the page holds no notifications" } : {}),
    // Clair 4.0 wrote "-1" for "no further page"; later versions leave `next` out.
    ...(next && next !== "-1" ? { next } : {}),
  };
}
