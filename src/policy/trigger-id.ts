import { createHash } from "node:crypto";

/** anchore-engine's default trigger id: md5 hex of gate name + trigger name + message, without separators. */
export function defaultTriggerId(gate: string, trigger: string, message: string): string {
  return createHash("md5")
    .update(gate + trigger + message, "utf8")
    .digest("hex");
}
