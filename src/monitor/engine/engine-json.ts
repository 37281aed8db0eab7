import { terminalLine } from "../../model/terminal-safe.js";
import type { EngineEndpoint } from "./engine-endpoint.js";
import { engineError } from "./engine-errors.js";
import type { EngineAnswer } from "./engine-http.js";

const SHOWN_BYTES = 120;

/** The JSON of an engine answer; an answer that is not JSON is a CipError quoting its start. */
export function parseEngineJson(answer: EngineAnswer, what: string, endpoint: EngineEndpoint): unknown {
  const text = answer.body.toString("utf8");
  try {
    return JSON.parse(text);
  } catch {
    throw engineError(
      what,
      `the answer (HTTP ${answer.status}) is not JSON: "${shown(text)}"`,
      endpoint,
      "Is this address a Docker-compatible engine API (dockerd, `podman system service`), not another server or a proxy's error page?",
    );
  }
}

/** A CipError for an answer with an unexpected status, with the engine's own `message` when it sent one. */
export function statusError(answer: EngineAnswer, what: string, endpoint: EngineEndpoint) {
  const text = answer.body.toString("utf8");
  let message = "";
  try {
    const value = JSON.parse(text) as { message?: unknown };
    if (typeof value?.message === "string") message = value.message;
  } catch {
    message = text;
  }
  const detail = message.trim() === "" ? "" : `: ${shown(message.trim())}`;
  const hint =
    answer.status === 401 || answer.status === 403
      ? "The engine refused this client; check its authorization plugin or TLS client certificate."
      : answer.status >= 500
        ? "The engine failed to answer; check its logs (`journalctl -u docker`, `podman system service --log-level=debug`)."
        : "Is this a Docker-compatible engine API of a supported version?";
  return engineError(what, `the engine answered HTTP ${answer.status}${detail}`, endpoint, hint);
}

function shown(text: string): string {
  const cut = text.length > SHOWN_BYTES ? `${text.slice(0, SHOWN_BYTES)}…` : text;
  return terminalLine(cut);
}

/** An object's own field when the value is an object, else undefined (engine answers are untrusted). */
export function field(value: unknown, name: string): unknown {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)[name]
    : undefined;
}

/** The value when it is a string, else `fallback`. */
export function str(value: unknown, fallback = ""): string {
  return typeof value === "string" ? value : fallback;
}

/** The strings of an array (other items dropped); undefined when it is no array (null, absent). */
export function strings(value: unknown): string[] | undefined {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : undefined;
}

/** The string-valued entries of an object (labels); an empty record when it is no object. */
export function stringRecord(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof value !== "object" || value === null || Array.isArray(value)) return out;
  for (const [key, v] of Object.entries(value)) {
    // Own entries only: a "__proto__" label must stay a label
    if (typeof v === "string")
      Object.defineProperty(out, key, { value: v, enumerable: true, writable: true });
  }
  return out;
}
