import type { RuleMessage } from "../rule-types.js";
import type { NotificationMessages } from "./notification-types.js";
import { compact, imageReference, invalid, Reader, rootObject } from "./payload-reader.js";
import { severityLevel } from "./severity-level.js";

const WHAT = "Quay notification";

/**
 * A Quay repository notification as messages. Quay's webhook body is the event data alone (no event name),
 * so the event is told by its fields:
 * - `repo_push` (`docker_url`, `updated_tags`): one `push` message per updated tag, `image` = `docker_url:tag`.
 * - `vulnerability_found` (`vulnerability: {id, priority, has_fix, link}` or a `vulnerabilities` list, and
 *   `tags`): one message per tag with `cve` (the vulnerability id), `cves` (all ids), `priority` as Quay
 *   wrote it, `severity` and `level`. A tag that is a digest (Quay sends the manifest digest when the
 *   manifest has no tag) gives `docker_url@digest`.
 * Build and mirror events name no image to check and are ignored.
 */
export function normalizeQuay(payload: unknown): NotificationMessages {
  const root = new Reader(rootObject(payload, WHAT), WHAT);
  const isVulnerability =
    root.raw("vulnerability") !== undefined || root.raw("vulnerabilities") !== undefined;
  if (!isVulnerability && root.raw("updated_tags") === undefined) {
    const kind =
      root.raw("build_id") !== undefined ? "a build event" : "an event without updated_tags or vulnerability";
    return { sender: "quay", event: "other", messages: [], ignored: `${kind} names no image to check` };
  }
  const dockerUrl = root.string("docker_url");
  const common = {
    sender: "quay",
    registry: dockerUrl.includes("/") ? dockerUrl.slice(0, dockerUrl.indexOf("/")) : undefined,
    repository: root.optString("repository"),
    namespace: root.optString("namespace"),
    homepage: root.optString("homepage"),
  };
  if (!isVulnerability) {
    const tags = root.strings("updated_tags", true);
    const messages = tags.map((tag) =>
      compact({ ...common, event: "push", image: tagged(dockerUrl, tag), ...tagOrDigest(tag) }),
    );
    return {
      sender: "quay",
      event: "push",
      messages,
      ...(tags.length === 0 ? { ignored: "repo_push with no updated tags" } : {}),
    };
  }
  const vulns =
    root.raw("vulnerability") !== undefined
      ? [root.object("vulnerability")]
      : root.objects("vulnerabilities", true);
  if (vulns.length === 0) throw invalid(WHAT, "vulnerabilities is empty", root.at("vulnerabilities"));
  const found = vulns.map((v) => {
    const priority = v.optString("priority");
    return { id: v.string("id"), priority, known: severityLevel(priority), v };
  });
  // Quay lists the most severe first; the level is the highest all the same.
  const top = found.reduce((a, b) => ((b.known?.level ?? -1) > (a.known?.level ?? -1) ? b : a));
  const vulnFields = compact({
    cve: top.id,
    cves: found.map((f) => f.id),
    priority: top.priority,
    severity: top.known?.severity ?? "unknown",
    level: top.known?.level ?? 0,
    has_fix: top.v.optBoolean("has_fix"),
    link: top.v.optString("link"),
  });
  const tags = root.strings("tags", true);
  const messages: RuleMessage[] = tags.map((tag) =>
    compact({
      ...common,
      event: "vulnerability_found",
      image: tagged(dockerUrl, tag),
      ...tagOrDigest(tag),
      ...vulnFields,
    }),
  );
  return {
    sender: "quay",
    event: "vulnerability_found",
    messages,
    ...(tags.length === 0 ? { ignored: "vulnerability_found with no tags" } : {}),
  };
}

function isDigest(tag: string): boolean {
  return /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/.test(tag) && tag.includes(":");
}

function tagged(dockerUrl: string, tag: string): string {
  return isDigest(tag)
    ? imageReference(dockerUrl, undefined, tag)
    : imageReference(dockerUrl, tag, undefined);
}

function tagOrDigest(tag: string): { tag?: string; digest?: string } {
  return isDigest(tag) ? { digest: tag } : { tag };
}
