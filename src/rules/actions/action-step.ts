import type { RuleMessage } from "../rule-types.js";

/** How one action kind's run ended, before run-actions adds the action, start time and duration. */
export interface StepResult {
  status: "ok" | "failed" | "timed_out";
  /** What the action printed or answered, already bounded. */
  output?: string;
  /** Why it failed or timed out. */
  error?: string;
}

/** What every action kind's runner is given besides the action itself. */
export interface StepContext {
  message: RuleMessage;
  /** Relative targets resolve against this folder (the rules file's), and processes start in it. */
  baseDir: string;
  /** The action's whole budget; past it the runner stops the work and answers timed_out. */
  timeoutMs: number;
  /** Variables an operator configured for actions, added to the base environment of processes. */
  env: Record<string, string>;
  /** Collects notices (placeholders naming absent fields, environment variables left out). */
  notice(text: string): void;
}

/** The image a message is about (`image`), as text; empty with a notice when the message names none. */
export function messageImage(context: StepContext): string {
  const image = context.message.image;
  if (typeof image === "string") return image;
  if (image === undefined || image === null) {
    context.notice("the message has no image field; the action gets an empty image");
    return "";
  }
  return typeof image === "object" ? JSON.stringify(image) : String(image);
}

/** The message of an error of any kind, for an outcome's `error`. */
export function errorText(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
