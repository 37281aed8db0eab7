import { createHash } from "node:crypto";
import { CipError } from "../../model/index.js";
import { authenticateNotification } from "../../rules/notifications/authenticate.js";
import { detectSender } from "../../rules/notifications/detect-sender.js";
import { normalizeNotification } from "../../rules/notifications/normalize-notification.js";
import { isSender, SENDERS, type Sender } from "../../rules/notifications/notification-types.js";
import type { Reply } from "../reply.js";
import type { ParsedRequest } from "../request.js";
import type { Routes } from "../router.js";
import type { ServeContext } from "../serve-context.js";
import { acknowledgeClairNotification, isTrustedCallback, readClairNotification } from "./clair-callback.js";
import type { EventItem, EventsRuntime } from "./events-runtime.js";

/** Largest notification body: registries send a few kilobytes; Clair pages are fetched, not posted. */
export const EVENT_BODY_BYTES = 1024 * 1024;
/** Longest explicit message id a sender may give. */
const MAX_ID_CHARS = 200;

/**
 * The event receivers: `POST /events/<sender>` (distribution, harbor, dockerhub, quay, clair, cipolice),
 * `POST /events/<sender>/<token>` for senders that can only put a secret in the URL, and `POST /events`,
 * which tells the sender from the payload. Each request is authenticated against the credentials of its
 * sender (events.auth) before anything is read into a message: anything else is 401 and runs nothing. The
 * messages are then queued (AMQP, confirmed, when configured; else local workers) and the sender gets 202;
 * `?wait=true` runs them before answering, with each action's outcome.
 */
export function registerEventRoutes(context: ServeContext, runtime: EventsRuntime): (routes: Routes) => void {
  return (routes) => {
    const options = { auth: false, bodyLimitBytes: EVENT_BODY_BYTES, deadlineMs: 120_000 } as const;
    routes.post("/events", (req, res) => receive(context, runtime, req, res), { ...options, name: "events" });
    routes.post("/events/{sender}", (req, res) => receive(context, runtime, req, res), {
      ...options,
      name: "events-sender",
    });
    routes.post("/events/{sender}/{token}", (req, res) => receive(context, runtime, req, res), {
      ...options,
      name: "events-sender-token",
    });
  };
}

async function receive(
  context: ServeContext,
  runtime: EventsRuntime,
  req: ParsedRequest,
  res: Reply,
): Promise<void> {
  const named = req.params.sender;
  if (named !== undefined && !isSender(named)) {
    throw new CipError("CIP_USAGE", `Cannot receive events from "${named}": no such sender (${req.path})`, {
      hint: `POST to /events/<sender> with one of ${SENDERS.join(", ")}, or to /events.`,
    });
  }
  const body = await req.body();
  // Where the path names the sender, nothing of an unauthenticated body is parsed
  if (named !== undefined) authenticate(runtime, req, body, named);
  const payload = await req.json();
  const sender = named ?? detectSender(req.headers, payload);
  if (named === undefined) authenticate(runtime, req, body, sender);
  let normalized = normalizeNotification(payload, { sender, headers: req.headers });
  // Clair's webhook names a notification only: its pages, read back from the notifier, name the images
  const clairNotice = sender === "clair" ? normalized.messages[0] : undefined;
  const callback = String(clairNotice?.callback ?? "");
  const clair = runtime.clair;
  const trusted = clair !== undefined && isTrustedCallback(callback, clair.options.origins);
  if (clairNotice !== undefined && clair !== undefined && trusted) {
    const id = String(clairNotice.notification_id);
    const messages = await readClairNotification(callback, id, clair.options, clair.client);
    normalized = { ...normalized, event: "vulnerability_found", messages };
  } else if (clairNotice !== undefined) {
    // Never requested: a callback the sender names elsewhere could make this server call anything
    const why =
      clair !== undefined
        ? `its callback ${callback} is not at a trusted notifier origin (events.clair.origins)`
        : "events.clair.origins is empty";
    normalized = { ...normalized, ignored: `the Clair notification was not read back: ${why}` };
  }
  const explicitId = messageIdHeader(req);
  const bodyId =
    explicitId ?? `sha256:${createHash("sha256").update(sender).update("\n").update(body).digest("hex")}`;
  const items: EventItem[] = normalized.messages.map((message, i) => ({
    message,
    meta: {
      messageId: messageIdOf(sender, message, bodyId, i, normalized.messages.length),
      source: `http:${sender}`,
    },
  }));
  context.metrics.events(sender, items.length);
  if (normalized.ignored !== undefined)
    req.log.info({ sender, ignored: normalized.ignored }, "notification events ignored");
  const summary = {
    sender,
    event: normalized.event,
    messages: items.map((i) => ({
      messageId: i.meta.messageId,
      ...(typeof i.message.image === "string" ? { image: i.message.image } : {}),
    })),
    ...(normalized.ignored !== undefined ? { ignored: normalized.ignored } : {}),
  };
  // The notifier sends a notification until it is marked read: only once its messages are queued or run
  const acknowledge = async () => {
    if (clair !== undefined && trusted)
      await acknowledgeClairNotification(callback, clair.options, clair.client);
  };

  if (items.length === 0) {
    await acknowledge();
    res.json(200, { accepted: 0, ...summary });
    return;
  }
  if (req.query.get("wait") === "true") {
    const results = await runtime.processNow(items);
    await acknowledge();
    res.json(200, {
      accepted: items.length,
      ...summary,
      results: results.map((r, i) => ({ messageId: items[i]?.meta.messageId, ...r })),
    });
    return;
  }
  if (!(await runtime.submit(items))) {
    res.header("retry-after", "5");
    throw new CipError(
      "CIP_BUSY",
      `Cannot take ${items.length} more event message(s) now: every worker is busy and the queue is full`,
      {
        hint: "Retry later (the sender's retries do), or raise events.workers and events.maxQueued.",
      },
    );
  }
  await acknowledge();
  req.log.info({ sender, messages: items.length, delivery: runtime.delivery }, "event messages accepted");
  res.json(202, { accepted: items.length, delivery: runtime.delivery, ...summary });
}

function authenticate(runtime: EventsRuntime, req: ParsedRequest, body: Buffer, sender: Sender): void {
  const result = authenticateNotification(
    {
      headers: req.headers,
      body,
      ...(req.params.token !== undefined ? { pathToken: req.params.token } : {}),
    },
    sender,
    runtime.credentials,
  );
  if (result.ok) {
    req.tokenName = result.principal;
    return;
  }
  req.log.warn({ sender, reason: result.reason }, "notification refused: not authenticated");
  throw new CipError("CIP_UNAUTHORIZED", `Cannot accept the ${sender} notification: ${result.reason}`, {
    hint: `Configure the sender with the credential events.auth holds for ${sender}; nothing was run.`,
  });
}

/** A message id the sender gives (`X-CIPolicE-Message-Id`, `Idempotency-Key`): retries carry the same. */
function messageIdHeader(req: ParsedRequest): string | undefined {
  for (const name of ["x-cipolice-message-id", "idempotency-key"]) {
    const value = req.headers[name];
    if (typeof value === "string" && value.trim() !== "") return value.trim().slice(0, MAX_ID_CHARS);
  }
  return undefined;
}

/**
 * The ledger id of one message of a notification: the sender's event id when it gives one (Distribution),
 * else the explicit id or the body's hash, with the message's place when the body held several. A sender
 * retrying the same body therefore never runs its rules twice.
 */
function messageIdOf(
  sender: Sender,
  message: Record<string, unknown>,
  bodyId: string,
  index: number,
  count: number,
): string {
  // Clair: the notifier's id of each affected manifest, the same when the webhook comes again
  if (typeof message.clair_notification === "string") return `clair:${message.clair_notification}`;
  const eventId = message.event_id;
  if (typeof eventId === "string" && eventId !== "") return `${sender}:${eventId.slice(0, MAX_ID_CHARS)}`;
  return count === 1 ? bodyId : `${bodyId}#${index}`;
}
