import { CipError } from "../../model/index.js";
import { engineError } from "./engine-errors.js";
import type { EngineTransport } from "./engine-http.js";
import { field, str, stringRecord } from "./engine-json.js";
import { NdjsonLines } from "./ndjson-lines.js";

/** One event of the engine's stream (`GET /events`). */
export interface EngineEvent {
  /** `container`, `image`, … */
  type: string;
  /** `start`, `die`, `stop`, … */
  action: string;
  /** The container's (or other object's) id. */
  id: string;
  /** The image and container name as the engine reports them in the event's attributes, when it does. */
  image?: string;
  name?: string;
  /** All attributes (container labels among them). */
  attributes: Record<string, string>;
  /** Seconds since the epoch, as the engine says. */
  time?: number;
}

/** What an event subscription listens to. */
export interface EngineEventOptions {
  /** Ends the stream: `events()` then resolves. */
  signal: AbortSignal;
  /** Event actions of containers to receive; default `["start"]`. */
  actions?: string[];
  /** Also replay events since this moment (the engine's clock), so none is lost between a list and the stream. */
  since?: Date;
}

/** Limits of the stream: the connection's timeout and the longest line held. */
export interface EngineEventLimits {
  connectTimeoutMs: number;
  maxLineBytes: number;
}

/**
 * Streams container events as newline-delimited JSON and calls `onEvent` for each as soon as its line ends.
 * Resolves when `signal` aborts; rejects with a CipError when the engine cannot be reached, answers an error,
 * sends a line that is not JSON or longer than the limit, or ends the stream itself (it restarted: connect
 * again). An exception of `onEvent` ends the stream and rejects with it.
 */
export async function streamEvents(
  transport: EngineTransport,
  prefix: string,
  options: EngineEventOptions,
  limits: EngineEventLimits,
  onEvent: (event: EngineEvent) => void,
): Promise<void> {
  const what = "follow the engine's events";
  const { signal } = options;
  const query = new URLSearchParams({
    filters: JSON.stringify({ type: ["container"], event: options.actions ?? ["start"] }),
  });
  if (options.since !== undefined) query.set("since", String(Math.floor(options.since.getTime() / 1000)));
  const message = await transport.stream(`${prefix}/events?${query}`, what, signal, limits.connectTimeoutMs);
  if (message === undefined) return;
  const endpoint = transport.endpoint;
  const onAbort = () => message.destroy();
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    if (message.statusCode !== 200) {
      message.destroy();
      throw engineError(
        what,
        `the engine answered HTTP ${message.statusCode}`,
        endpoint,
        "Is this a Docker-compatible engine API of a supported version?",
      );
    }
    const lines = new NdjsonLines(
      limits.maxLineBytes,
      (max) =>
        new CipError(
          "CIP_INPUT_TOO_LARGE",
          `Cannot ${what}: an event is longer than ${max} bytes (${endpoint.display})`,
          { hint: "The engine or something between sends no events stream; check the address." },
        ),
    );
    for await (const chunk of message) {
      for (const line of lines.push(chunk as Buffer)) {
        const event = readEvent(line, what, endpoint.display);
        if (event === undefined) continue;
        try {
          onEvent(event);
        } catch (error) {
          throw new CallbackError(error);
        }
      }
    }
  } catch (error) {
    if (error instanceof CallbackError) throw error.inner;
    if (signal.aborted) return;
    if (error instanceof CipError) throw error;
    // Anything else the reader throws is the socket's: the engine went away mid-stream
    throw engineError(what, "the event stream broke", endpoint, RECONNECT, error);
  } finally {
    signal.removeEventListener("abort", onAbort);
    message.destroy();
  }
  if (signal.aborted) return;
  throw engineError(what, "the engine ended the event stream", endpoint, RECONNECT);
}

const RECONNECT = "The engine restarted or closed the stream; connect again.";

/** Carries an exception of the caller's `onEvent` past the stream's own error handling. */
class CallbackError {
  constructor(readonly inner: unknown) {}
}

function readEvent(line: string, what: string, where: string): EngineEvent | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new CipError("CIP_PARSE", `Cannot ${what}: an event is not JSON (${where})`, {
      hint: "Is this address a Docker-compatible engine API?",
    });
  }
  const actor = field(value, "Actor");
  // Old engines put the id and action at the top level only
  const id = str(field(actor, "ID"), str(field(value, "id")));
  if (id === "") return undefined;
  const attributes = stringRecord(field(actor, "Attributes"));
  const event: EngineEvent = {
    type: str(field(value, "Type"), "container"),
    action: str(field(value, "Action"), str(field(value, "status"))),
    id,
    attributes,
  };
  const image = attributes.image ?? str(field(value, "from"));
  if (image !== "") event.image = image;
  if (attributes.name !== undefined) event.name = attributes.name;
  const time = field(value, "time");
  if (typeof time === "number" && Number.isFinite(time)) event.time = time;
  return event;
}
