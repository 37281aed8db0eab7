import type { RuleAction, RuleMessage } from "../rule-types.js";
import { messageImage, type StepContext, type StepResult } from "./action-step.js";
import { fillArgs } from "./run-executable.js";

/**
 * What built-in actions do, given by the caller: `accept` and `reject` record a verdict for the image
 * (admission then sees it), `log` writes a line to the caller's log.
 */
export interface BuiltinActions {
  accept(image: string, message: RuleMessage): void | Promise<void>;
  reject(image: string, message: RuleMessage): void | Promise<void>;
  log(text: string): void | Promise<void>;
}

/**
 * Runs a built-in action. `accept`/`reject` need an image in the message. `log` logs its arguments
 * (placeholders filled, joined by spaces), or the message as JSON when it has none.
 */
export async function runBuiltin(
  action: RuleAction,
  context: StepContext,
  builtins: BuiltinActions,
): Promise<StepResult> {
  switch (action.target) {
    case "accept":
    case "reject": {
      const image = messageImage(context);
      const verdict = action.target === "accept" ? "accept" : "reject";
      if (image === "")
        return { status: "failed", error: `Cannot ${verdict} an image: the message names no image` };
      await builtins[verdict](image, context.message);
      return { status: "ok", output: `${verdict === "accept" ? "accepted" : "rejected"} ${image}` };
    }
    case "log": {
      const text =
        action.args.length === 0 ? JSON.stringify(context.message) : fillArgs(action, context).join(" ");
      await builtins.log(text);
      return { status: "ok", output: text };
    }
    default:
      return { status: "failed", error: `unknown built-in action ${action.target}` };
  }
}
