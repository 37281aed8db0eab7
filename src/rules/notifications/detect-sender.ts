import { DISTRIBUTION_ENVELOPE_TYPE } from "./distribution-events.js";
import type { Sender } from "./notification-types.js";
import { describe, invalid, isObject } from "./payload-reader.js";

/** Request headers as Node gives them (lower-case names). */
export type RequestHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

/**
 * Which sender a payload comes from, for a route that does not say (`POST /events` rather than
 * `/events/harbor`). Decided in this order, first match wins:
 * 1. `Content-Type: application/vnd.docker.distribution.events.v1+json` → distribution;
 * 2. the payload's shape: `events[]` of objects with `action` → distribution; `type` + `event_data` →
 *    harbor; `push_data` + `repository.repo_name` → dockerhub; `notification_id` + `callback` → clair;
 *    `docker_url` with `updated_tags`, `vulnerability`, `vulnerabilities` or `build_id` → quay;
 * 3. any other JSON object → cipolice (a CIPolicE message, passed through).
 * Detection only picks the normalizer: the server authenticates the request against the credentials
 * configured for the detected sender, and every configured scheme needs a secret, so choosing a payload
 * shape never chooses a weaker check. A body that is not a JSON object is CIP_REQUEST_INVALID.
 */
export function detectSender(headers: RequestHeaders, payload: unknown): Sender {
  const contentType = headerValue(headers, "content-type")?.split(";")[0]?.trim().toLowerCase();
  if (contentType === DISTRIBUTION_ENVELOPE_TYPE) return "distribution";
  if (!isObject(payload)) {
    throw invalid("notification", `the body is ${describe(payload)}, not a JSON object`, "$");
  }
  const p = payload;
  if (Array.isArray(p.events) && p.events.some((e) => isObject(e) && "action" in e)) return "distribution";
  if (typeof p.type === "string" && isObject(p.event_data)) return "harbor";
  if (isObject(p.push_data) && isObject(p.repository) && typeof p.repository.repo_name === "string") {
    return "dockerhub";
  }
  if (typeof p.notification_id === "string" && typeof p.callback === "string") return "clair";
  if (
    typeof p.docker_url === "string" &&
    ["updated_tags", "vulnerability", "vulnerabilities", "build_id"].some((k) => k in p)
  ) {
    return "quay";
  }
  return "cipolice";
}

/** One header's value (case-insensitive name); undefined when absent, the first when sent twice. */
export function headerValue(headers: RequestHeaders, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== lower || value === undefined) continue;
    return typeof value === "string" ? value : value[0];
  }
  return undefined;
}
