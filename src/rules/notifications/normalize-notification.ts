import { normalizeCipoliceMessage } from "./cipolice-message.js";
import { normalizeClairWebhook } from "./clair-notification.js";
import { detectSender, type RequestHeaders } from "./detect-sender.js";
import { normalizeDistribution } from "./distribution-events.js";
import { normalizeDockerHub } from "./dockerhub-webhook.js";
import { normalizeHarbor } from "./harbor-webhook.js";
import type { Normalizer, NotificationMessages, Sender } from "./notification-types.js";
import { normalizeQuay } from "./quay-notification.js";

/** Each sender's normalizer, chosen by name (the route's sender, or {@link detectSender}'s answer). */
export const NORMALIZERS: Readonly<Record<Sender, Normalizer>> = {
  distribution: normalizeDistribution,
  harbor: normalizeHarbor,
  dockerhub: normalizeDockerHub,
  quay: normalizeQuay,
  clair: normalizeClairWebhook,
  cipolice: normalizeCipoliceMessage,
};

/**
 * A notification payload as rule messages: with the sender the route names, or, without one, the sender
 * {@link detectSender} tells from the headers and the payload. Malformed payloads throw CIP_REQUEST_INVALID.
 */
export function normalizeNotification(
  payload: unknown,
  options: { sender?: Sender; headers?: RequestHeaders } = {},
): NotificationMessages {
  const sender = options.sender ?? detectSender(options.headers ?? {}, payload);
  return NORMALIZERS[sender](payload);
}
