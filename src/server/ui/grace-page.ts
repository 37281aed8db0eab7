import type { GraceClock } from "../../service/store-ports.js";
import { graceLeft } from "./containers-page.js";
import { badge, esc, href, notice, page, shortDigest, timeCell } from "./html.js";

/** Clocks one page lists at most. */
export const MAX_CLOCKS = 2000;

/** What the grace clocks page shows. */
export interface GraceView {
  /** Every running clock, ordered by end; undefined when the store could not be read. */
  clocks: readonly GraceClock[] | undefined;
  /** Only the clocks of this subject (digest or image id), when given. */
  subject?: string;
  error?: string;
  now: Date;
  session?: boolean;
}

/**
 * The grace clocks: each running image (by digest or image id) that passed and now fails on a finding, with
 * when its clock started and ends; the monitor enforces once it has ended.
 */
export function renderGracePage(view: GraceView): string {
  const body: string[] = [];
  if (view.error !== undefined) body.push(notice("error", esc(view.error)));
  body.push(
    '<form class="filters" method="get" action="/ui/grace">',
    `<label>Digest or image id<input type="text" name="subject" value="${esc(view.subject ?? "")}" maxlength="512"></label>`,
    '<button type="submit">Filter</button> <a href="/ui/grace">Clear</a></form>',
  );
  const all = view.clocks ?? [];
  const shown = view.subject === undefined ? all : all.filter((k) => k.subject === view.subject);
  if (view.clocks !== undefined) {
    const ended = all.filter((k) => Date.parse(k.endsAt) <= view.now.getTime()).length;
    body.push(
      `<p class="dim" data-testid="grace-summary">${shown.length} shown of ${all.length} clocks running; ${ended} ended (enforced by the monitor).</p>`,
    );
    if (shown.length === 0) {
      body.push(
        `<p data-testid="empty">${
          all.length === 0
            ? "No grace clock is running: no running image that passed has failed since."
            : "No clock of this subject."
        }</p>`,
      );
    }
  }
  if (shown.length > 0) {
    body.push(
      '<table data-testid="grace-clocks">',
      "<thead><tr><th>Image (digest or id)</th><th>Finding</th><th>Severity</th><th>State</th><th>Started</th><th>Ends</th><th>See</th></tr></thead>",
      "<tbody>",
    );
    for (const k of shown.slice(0, MAX_CLOCKS)) {
      const ended = Date.parse(k.endsAt) <= view.now.getTime();
      body.push(
        `<tr data-testid="grace-row" data-state="${ended ? "ended" : "running"}">` +
          `<td>${shortDigest(k.subject)}</td>` +
          `<td class="wrap"><code>${esc(k.finding)}</code></td>` +
          `<td>${esc(k.severity)}</td>` +
          `<td>${badge(ended ? "ended" : "running")}</td>` +
          `<td class="nowrap">${timeCell(k.startedAt, view.now)}</td>` +
          `<td class="nowrap">${esc(graceLeft(k, view.now))}<br><span class="dim">${esc(k.endsAt)}</span></td>` +
          `<td class="nowrap"><a href="${href("/ui", { digest: k.subject })}">decisions</a> · <a href="${href("/ui/containers", { q: k.subject })}">containers</a></td></tr>`,
      );
    }
    body.push("</tbody></table>");
    if (shown.length > MAX_CLOCKS)
      body.push(notice("info", `${shown.length - MAX_CLOCKS} more clocks are not shown.`));
  }
  return page(
    { title: "Grace clocks", view: "grace", now: view.now, session: view.session === true },
    body.join("\n"),
  );
}
