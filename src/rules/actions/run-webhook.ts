import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { HttpClient, type HttpResponse } from "../../image/registry/http-request.js";
import type { RuleAction } from "../rule-types.js";
import { errorText, type StepContext, type StepResult } from "./action-step.js";
import { BoundedOutput } from "./bounded-output.js";
import { DELIVERY_HEADER, SIGNATURE_HEADER, signBody } from "./webhook-signature.js";

/** How web hook deliveries are tried. */
export interface WebhookOptions {
  /** Tries after the first one (network errors, no answer in time, 5xx, 429). Default 3. */
  retries: number;
  /** The wait before the first retry; each further wait doubles. Default 500 ms. */
  backoffMs: number;
  /** One try's budget (bounded also by what is left of the action's). Default 10 s. */
  tryTimeoutMs?: number;
  /** Signs each body with HMAC-SHA256 when set. */
  secret?: string;
  /** The client to send with (one per process keeps connections alive); default a shared one. */
  client?: HttpClient;
}

/** Defaults of {@link WebhookOptions}. */
export const DEFAULT_WEBHOOK: Required<Pick<WebhookOptions, "retries" | "backoffMs" | "tryTimeoutMs">> = {
  retries: 3,
  backoffMs: 500,
  tryTimeoutMs: 10_000,
};

let sharedClient: HttpClient | undefined;

/**
 * POSTs `{message, decision?}` as JSON to a web hook action's URL (`decision` is the message's own, set
 * when the message carries the policy decision), with the delivery id and, given a secret, the HMAC
 * signature. A 2xx is ok; network errors, tries without an answer in time, 5xx and 429 are tried again
 * after 1×, 2×, 4×… the backoff, and after the last retry the action is failed with every try's reason.
 * Other answers (4xx, redirects, which are not followed) fail at once. When the action's whole budget runs
 * out first, it is timed_out. The answer's body, bounded, is the outcome's output.
 */
export async function runWebhook(
  action: RuleAction,
  context: StepContext,
  options: WebhookOptions,
): Promise<StepResult> {
  sharedClient ??= new HttpClient();
  const client = options.client ?? sharedClient;
  const decision = context.message.decision;
  const body = JSON.stringify(
    decision === undefined ? { message: context.message } : { message: context.message, decision },
  );
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "user-agent": "cipolice-rules",
    [DELIVERY_HEADER]: randomUUID(),
  };
  if (options.secret !== undefined && options.secret !== "")
    headers[SIGNATURE_HEADER] = signBody(body, options.secret);
  const deadline = Date.now() + context.timeoutMs;
  const tryTimeoutMs = options.tryTimeoutMs ?? DEFAULT_WEBHOOK.tryTimeoutMs;
  const reasons: string[] = [];
  for (let attempt = 0; attempt <= options.retries; attempt++) {
    if (attempt > 0) {
      const wait = options.backoffMs * 2 ** (attempt - 1);
      if (Date.now() + wait >= deadline) return timedOut(action, context, reasons);
      await sleep(wait);
    }
    const left = deadline - Date.now();
    if (left <= 0) return timedOut(action, context, reasons);
    const budget = Math.min(tryTimeoutMs, left);
    let response: HttpResponse;
    try {
      response = await client.send(
        action.target,
        { method: "POST", headers: { ...headers, "x-cipolice-attempt": String(attempt + 1) }, body },
        budget,
      );
    } catch (error) {
      reasons.push(tryReason(error, budget));
      continue;
    }
    let answer: string;
    try {
      answer = await readAnswer(response);
    } catch (error) {
      reasons.push(tryReason(error, budget));
      continue;
    }
    const output = answer === "" ? undefined : answer;
    if (response.ok) return { status: "ok", output };
    reasons.push(`HTTP ${response.status}${response.statusText === "" ? "" : ` ${response.statusText}`}`);
    if (!(response.status >= 500 || response.status === 429)) {
      return { status: "failed", output, error: `${action.target} answered ${reasons.at(-1)}` };
    }
  }
  return {
    status: "failed",
    error: `${action.target} failed ${reasons.length} ${reasons.length === 1 ? "try" : "tries"}: ${reasons.join("; ")}`,
  };
}

function timedOut(action: RuleAction, context: StepContext, reasons: string[]): StepResult {
  const tries = reasons.length === 0 ? "" : ` after ${reasons.length} failed tries (${reasons.join("; ")})`;
  return {
    status: "timed_out",
    error: `${action.target} was not delivered within ${context.timeoutMs} ms${tries}`,
  };
}

function tryReason(error: unknown, budget: number): string {
  if (error instanceof Error && error.name === "TimeoutError") return `no answer within ${budget} ms`;
  return errorText(error);
}

async function readAnswer(response: HttpResponse): Promise<string> {
  const output = new BoundedOutput();
  for await (const chunk of response.body) output.add(chunk);
  return output.text();
}
