import type { RuleMessage } from "../rule-types.js";

/** The senders whose notifications CIPolicE turns into rule messages. */
export const SENDERS = ["distribution", "harbor", "dockerhub", "quay", "clair", "cipolice"] as const;

/** One sender: a registry (Distribution, Harbor, Docker Hub, Quay), Clair v4's notifier, or CIPolicE itself. */
export type Sender = (typeof SENDERS)[number];

/** True when the string names a sender. */
export function isSender(value: string): value is Sender {
  return (SENDERS as readonly string[]).includes(value);
}

/**
 * What one notification payload became: the messages to run the rules on (one per image), and, when part
 * or all of it names no image action (a pull, a layer push), why that part was ignored.
 */
export interface NotificationMessages {
  sender: Sender;
  /** The payload's event: push, delete, scan_completed, scan_failed, vulnerability_found, … */
  event: string;
  /** One message per image; each carries `sender`, `event` and `image` (except Clair's webhook and passthrough). */
  messages: RuleMessage[];
  /** Why events of the payload were left out (one sentence per ignored event, joined by "; "). */
  ignored?: string;
}

/** A normalizer: one sender's payload (parsed JSON) to messages. Malformed payloads throw CIP_REQUEST_INVALID. */
export type Normalizer = (payload: unknown) => NotificationMessages;
