import { CipError } from "../model/index.js";

/** A broker failure as a CipError (CIP_QUEUE): "Cannot <what>: <cause> (<where>)". */
export function queueError(what: string, cause: unknown, where: string): CipError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new CipError("CIP_QUEUE", `Cannot ${what}: ${detail} (${where})`, {
    hint: "Check that RabbitMQ runs at that address and accepts the user.",
    cause,
  });
}

/** The broker URL without its password, for logs and errors. */
export function brokerLocation(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== "") parsed.password = "***";
    return parsed.toString();
  } catch {
    return "the broker URL";
  }
}
