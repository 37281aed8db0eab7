import { HttpClient } from "../image/registry/http-request.js";
import type { ContainerResult } from "./monitor-run.js";

/** The event name a failed container's message carries, for rules to match (`event == "container.failed"`). */
export const CONTAINER_FAILED_EVENT = "container.failed";

const NOTIFY_TIMEOUT_MS = 10_000;

/** The CIPolicE message the rules receive for a container that failed its checks. */
export function failureMessage(result: ContainerResult, host: string): Record<string, unknown> {
  const last = result.checks.at(-1);
  return {
    event: CONTAINER_FAILED_EVENT,
    image: result.image,
    ...(result.digest !== undefined ? { digest: result.digest } : {}),
    imageId: result.imageId,
    container: { id: result.id, name: result.name, host },
    ...(last !== undefined ? { check: last.section, message: last.message ?? "" } : {}),
    checks: result.checks.map((c) => ({
      section: c.section,
      result: c.result,
      ...(c.message ? { message: c.message } : {}),
    })),
    ...(result.action !== undefined ? { action: result.action } : {}),
    checkedAt: result.checkedAt,
  };
}

/**
 * Sends each failed container to the rules of a `cipolice serve` (`POST /events/cipolice`, a bearer token),
 * once per check (the message id is the container and the check time, so a retry runs nothing twice).
 * Returns the sender and a close function; a failed delivery is reported, never thrown.
 */
export function rulesNotifier(
  serverUrl: string,
  token: string | undefined,
  host: string,
): { send(result: ContainerResult): Promise<string | undefined>; close(): void } {
  const client = new HttpClient();
  const url = new URL("events/cipolice?wait=true", serverUrl.endsWith("/") ? serverUrl : `${serverUrl}/`)
    .href;
  return {
    async send(result) {
      const body = JSON.stringify(failureMessage(result, host));
      try {
        const answer = await client.send(
          url,
          {
            method: "POST",
            headers: {
              "content-type": "application/json",
              "x-cipolice-message-id": `monitor:${result.id}:${result.checkedAt}`,
              ...(token ? { authorization: `Bearer ${token}` } : {}),
            },
            body,
          },
          NOTIFY_TIMEOUT_MS,
        );
        await answer.discard();
        return answer.ok ? undefined : `the server answered ${answer.status}`;
      } catch (error) {
        return error instanceof Error ? error.message : String(error);
      }
    },
    close: () => client.close(),
  };
}
