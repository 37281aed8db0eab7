import type { ContainerCheckRecord, GraceClock } from "../service/store-ports.js";
import { openStore } from "../store/open-store.js";

/** What `cipolice status` shows: the newest check of each container, and the grace clocks running. */
export interface MonitorStatus {
  containers: ContainerCheckRecord[];
  clocks: GraceClock[];
}

/** Reads the status from the store the monitor writes to. */
export async function readMonitorStatus(storeSpec: string, limit: number): Promise<MonitorStatus> {
  const store = await openStore(storeSpec);
  try {
    const [containers, clocks] = await Promise.all([
      store.latestContainerChecks({ limit }),
      store.listGraceClocks(),
    ]);
    return { containers, clocks };
  } finally {
    await store.close();
  }
}

/** How long until a time, for people: `3 d 4 h`, `25 min`, or `over 2 h ago`. */
export function timeLeft(until: string, now: Date): string {
  const ms = Date.parse(until) - now.getTime();
  const abs = Math.abs(ms);
  const days = Math.floor(abs / 86_400_000);
  const hours = Math.floor((abs % 86_400_000) / 3_600_000);
  const minutes = Math.floor((abs % 3_600_000) / 60_000);
  const text = days > 0 ? `${days} d ${hours} h` : hours > 0 ? `${hours} h ${minutes} min` : `${minutes} min`;
  return ms >= 0 ? text : `over ${text} ago`;
}

/** The status as text: one line per container (outcome, name, image, last check, action), then each clock. */
export function formatStatus(status: MonitorStatus, now: Date): string {
  const lines: string[] = [];
  lines.push(`Containers (${status.containers.length}, newest check of each):`);
  for (const c of status.containers) {
    const last = c.checks.at(-1);
    const decided =
      last === undefined
        ? "no checks"
        : `${last.section}: ${last.result}${last.message ? ` (${last.message})` : ""}`;
    lines.push(
      `  ${c.outcome.toUpperCase().padEnd(4)} ${c.containerName} (${c.containerId.slice(0, 12)}) ${c.image} at ${c.checkedAt} on ${c.host}: ${decided}${c.action ? `; ${c.action}` : ""}`,
    );
  }
  lines.push(`Grace clocks (${status.clocks.length}):`);
  for (const clock of status.clocks) {
    const ended = Date.parse(clock.endsAt) <= now.getTime();
    lines.push(
      `  ${clock.subject.slice(0, 19)} ${clock.finding} (${clock.severity}): started ${clock.startedAt}, ${ended ? "ended" : "ends"} ${clock.endsAt} (${timeLeft(clock.endsAt, now)})`,
    );
  }
  return `${lines.join("\n")}\n`;
}
