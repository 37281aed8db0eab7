import { createHmac } from "node:crypto";
import type { HttpClient } from "../../image/registry/http-request.js";
import { CipError } from "../../model/index.js";
import { normalizeClairPage } from "../../rules/notifications/clair-notification.js";
import type { RuleMessage } from "../../rules/rule-types.js";

/** Where and how CIPolicE reads Clair v4 notifications back from the notifier's callback. */
export interface ClairCallbackOptions {
  /** Origins (`http://clair-notifier:6000`) whose callbacks are fetched; any other is never requested. */
  origins: readonly string[];
  /** Clair's pre-shared key (raw bytes), when its API needs a PSK-signed JWT. */
  psk?: Buffer;
  /** Notifications asked for per page. */
  pageSize: number;
  /** Pages read at most per notification. */
  maxPages: number;
  /** Bytes read at most per page. */
  maxPageBytes: number;
  /** Each request's budget. */
  timeoutMs: number;
}

/**
 * Reads every page of a Clair v4 notification from its callback (`GET callback?page_size=N[&next=ID]`) and
 * turns each affected manifest into a message. Only callbacks at a configured origin are requested: the URL
 * comes from the request body, and fetching any URL a sender names would let it make the server call anything.
 */
export async function readClairNotification(
  callback: string,
  notificationId: string,
  options: ClairCallbackOptions,
  client: HttpClient,
): Promise<RuleMessage[]> {
  const url = allowedCallback(callback, options.origins);
  const messages: RuleMessage[] = [];
  let next: string | undefined;
  for (let page = 0; page < options.maxPages; page++) {
    const pageUrl = new URL(url);
    pageUrl.searchParams.set("page_size", String(options.pageSize));
    if (next !== undefined) pageUrl.searchParams.set("next", next);
    const text = await request(client, "GET", pageUrl.toString(), options);
    let document: unknown;
    try {
      document = JSON.parse(text);
    } catch {
      throw new CipError(
        "CIP_REQUEST_INVALID",
        `Cannot read Clair notification ${notificationId}: page ${page + 1} is not JSON (${url})`,
        {
          hint: "Check that the callback names Clair's notifier API.",
        },
      );
    }
    const result = normalizeClairPage(document, notificationId);
    messages.push(...result.messages);
    next = result.next;
    if (next === undefined) return messages;
  }
  throw new CipError(
    "CIP_REQUEST_INVALID",
    `Cannot read Clair notification ${notificationId}: it has more than ${options.maxPages} pages (${url})`,
    { hint: "Raise events.clair.maxPages, or have Clair send smaller notifications." },
  );
}

/** Marks a notification as read (`DELETE callback`), so the notifier stops sending it. */
export async function acknowledgeClairNotification(
  callback: string,
  options: ClairCallbackOptions,
  client: HttpClient,
): Promise<void> {
  await request(client, "DELETE", allowedCallback(callback, options.origins).toString(), options);
}

/** True when the callback is a URL at one of the trusted notifier origins. */
export function isTrustedCallback(callback: string, origins: readonly string[]): boolean {
  return URL.canParse(callback) && origins.some((origin) => sameOrigin(origin, new URL(callback)));
}

function allowedCallback(callback: string, origins: readonly string[]): URL {
  let url: URL;
  try {
    url = new URL(callback);
  } catch {
    throw new CipError(
      "CIP_REQUEST_INVALID",
      `Cannot read a Clair notification: its callback is not a URL (${callback})`,
      {
        hint: "Clair's notifier sends an absolute http(s) callback URL.",
      },
    );
  }
  if (!origins.some((origin) => sameOrigin(origin, url))) {
    throw new CipError(
      "CIP_REQUEST_INVALID",
      `Cannot read a Clair notification: its callback ${url.origin} is not a notifier origin this server trusts (events.clair.origins)`,
      { hint: "Add the notifier's origin (scheme://host:port) to events.clair.origins." },
    );
  }
  return url;
}

function sameOrigin(origin: string, url: URL): boolean {
  try {
    return new URL(origin).origin === url.origin;
  } catch {
    return false;
  }
}

async function request(
  client: HttpClient,
  method: string,
  url: string,
  options: ClairCallbackOptions,
): Promise<string> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (options.psk !== undefined) headers.authorization = `Bearer ${pskToken(options.psk)}`;
  const response = await client.send(url, { method, headers }, options.timeoutMs);
  if (!response.ok) {
    await response.discard();
    throw new CipError(
      "CIP_REQUEST_INVALID",
      `Cannot ${method} the Clair notification: the notifier answered ${response.status} (${url})`,
      {
        hint:
          response.status === 401
            ? "Give Clair's PSK (events.auth's clair credential)."
            : "Check the notifier's log.",
      },
    );
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response.body) {
    size += chunk.length;
    if (size > options.maxPageBytes) {
      throw new CipError(
        "CIP_INPUT_TOO_LARGE",
        `Cannot read the Clair notification: a page is over ${options.maxPageBytes} bytes (${url})`,
        {
          hint: "Lower the page size (events.clair.pageSize).",
        },
      );
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** An HS256 JWT under Clair's pre-shared key, valid for a minute, as Clair's own clients sign. */
function pskToken(psk: Buffer): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const now = Math.floor(Date.now() / 1000);
  const unsigned = `${part({ alg: "HS256", typ: "JWT" })}.${part({ iss: "cipolice", iat: now, nbf: now - 5, exp: now + 60 })}`;
  return `${unsigned}.${createHmac("sha256", psk).update(unsigned).digest("base64url")}`;
}
