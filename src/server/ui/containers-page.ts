import type { ContainerCheckRecord, GraceClock } from "../../service/store-ports.js";
import { badge, esc, escShort, href, notice, page, relative, shortDigest, timeCell } from "./html.js";

/** Containers the page reads at most (the store's cap). */
export const CONTAINER_WINDOW = 1000;
const MAX_CHECKS_SHOWN = 50;

/** The containers page's filters, from its GET query. */
export interface ContainerFilters {
  outcome?: "pass" | "fail";
  /** Part of the container's name, id, image, digest or host, compared without regard to case. */
  q?: string;
}

/** The filters of a query and what was wrong with it. */
export function readContainerFilters(query: URLSearchParams): {
  filters: ContainerFilters;
  problems: string[];
} {
  const filters: ContainerFilters = {};
  const problems: string[] = [];
  const outcome = query.get("outcome")?.trim();
  if (outcome === "pass" || outcome === "fail") filters.outcome = outcome;
  else if (outcome)
    problems.push(`outcome must be pass or fail, not ${JSON.stringify(outcome.slice(0, 64))}`);
  const q = query.get("q")?.trim();
  if (q && q.length <= 512) filters.q = q;
  else if (q) problems.push("the search text is longer than 512 characters");
  return { filters, problems };
}

/** The checks that pass the filters, in their order. */
export function filterContainers(
  checks: readonly ContainerCheckRecord[],
  f: ContainerFilters,
): ContainerCheckRecord[] {
  const needle = f.q?.toLowerCase();
  return checks.filter(
    (c) =>
      (f.outcome === undefined || c.outcome === f.outcome) &&
      (needle === undefined ||
        [c.containerName, c.containerId, c.image, c.imageId, c.digest ?? "", c.host].some((v) =>
          v.toLowerCase().includes(needle),
        )),
  );
}

/** What the containers page shows. */
export interface ContainersView {
  filters: ContainerFilters;
  problems: string[];
  /** The newest check of each container, newest first; undefined when the store could not be read. */
  checks: readonly ContainerCheckRecord[] | undefined;
  /** Running grace clocks, to show beside the containers whose image has one. */
  clocks: readonly GraceClock[];
  /** Why the store could not be read. */
  error?: string;
  now: Date;
  session?: boolean;
}

/** Running containers and their state: the monitor's latest check of each, with its checks and grace clock. */
export function renderContainersPage(view: ContainersView): string {
  const f = view.filters;
  const body: string[] = [];
  for (const p of view.problems) body.push(notice("error", `Ignored filter: ${esc(p)}.`));
  if (view.error !== undefined) body.push(notice("error", esc(view.error)));
  const option = (value: string, label: string) =>
    `<option value="${value}"${(f.outcome ?? "") === value ? " selected" : ""}>${label}</option>`;
  body.push(
    '<form class="filters" method="get" action="/ui/containers">',
    `<label>Outcome<select name="outcome">${option("", "any")}${option("pass", "pass")}${option("fail", "fail")}</select></label>`,
    `<label>Name, image, digest or host contains<input type="search" name="q" value="${esc(f.q ?? "")}" maxlength="512"></label>`,
    '<button type="submit">Filter</button> <a href="/ui/containers">Clear</a></form>',
  );
  const checks = view.checks ?? [];
  const shown = filterContainers(checks, f);
  if (view.checks !== undefined) {
    const failing = checks.filter((c) => c.outcome === "fail").length;
    body.push(
      `<p class="dim" data-testid="containers-summary">${shown.length} shown of ${checks.length} containers checked; ${failing} failing.</p>`,
    );
  }
  if (shown.length === 0) {
    if (view.checks !== undefined) {
      body.push(
        `<p data-testid="empty">${
          checks.length === 0
            ? "No container has been checked yet. <code>cipolice monitor</code> records the checks of each running container here."
            : "No container matches these filters."
        }</p>`,
      );
    }
  } else {
    const clocks = clocksBySubject(view.clocks);
    body.push(
      '<table data-testid="containers">',
      "<thead><tr><th>Container</th><th>Image</th><th>Outcome</th><th>Checks</th><th>Action</th><th>Grace clock</th><th>Checked</th></tr></thead>",
      "<tbody>",
      ...shown.map((c) => containerRow(c, clocks, view.now)),
      "</tbody></table>",
    );
  }
  return page(
    { title: "Running containers", view: "containers", now: view.now, session: view.session === true },
    body.join("\n"),
  );
}

function containerRow(c: ContainerCheckRecord, clocks: Map<string, GraceClock[]>, now: Date): string {
  const own = [...(c.digest ? (clocks.get(c.digest) ?? []) : []), ...(clocks.get(c.imageId) ?? [])];
  const clock =
    own.length === 0
      ? '<span class="dim">none</span>'
      : own
          .slice(0, 5)
          .map(
            (k) =>
              `<a href="${href("/ui/grace", { subject: k.subject })}">${esc(k.finding)}</a> ${esc(graceLeft(k, now))}`,
          )
          .join("<br>");
  const checks = c.checks
    .slice(0, MAX_CHECKS_SHOWN)
    .map(
      (k) =>
        `<li>${esc(k.section)} ${badge(k.result)}${k.message ? ` <span class="dim">${escShort(k.message, 300)}</span>` : ""}</li>`,
    )
    .join("");
  const image = c.digest
    ? `<a href="${href("/ui", { digest: c.digest })}" title="decisions of this digest">${shortDigest(c.digest)}</a>`
    : shortDigest(c.imageId);
  return (
    `<tr data-testid="container-row" data-outcome="${esc(c.outcome)}">` +
    `<td class="wrap"><b>${escShort(c.containerName, 128)}</b><br><code class="dim">${esc(c.containerId.slice(0, 12))}</code> <span class="dim">on ${escShort(c.host, 128)}</span></td>` +
    `<td class="wrap">${escShort(c.image, 256)}<br>${image}</td>` +
    `<td>${badge(c.outcome)}</td>` +
    `<td class="wrap"><ul class="checks">${checks}</ul>${c.checks.length > MAX_CHECKS_SHOWN ? `<span class="dim">${c.checks.length - MAX_CHECKS_SHOWN} more</span>` : ""}</td>` +
    `<td class="wrap">${c.action ? esc(c.action) : '<span class="dim">none</span>'}</td>` +
    `<td class="wrap">${clock}</td>` +
    `<td class="nowrap">${timeCell(c.checkedAt, now)}</td></tr>`
  );
}

/** "ends in 3 d 4 h" or "ended 2 h ago": where a clock stands. */
export function graceLeft(clock: GraceClock, now: Date): string {
  const end = Date.parse(clock.endsAt);
  if (Number.isNaN(end)) return `ends ${clock.endsAt}`;
  const left = end - now.getTime();
  return left > 0 ? `ends ${relative(left)}` : `ended ${relative(left)}`;
}

function clocksBySubject(clocks: readonly GraceClock[]): Map<string, GraceClock[]> {
  const map = new Map<string, GraceClock[]>();
  for (const k of clocks) {
    const list = map.get(k.subject);
    if (list === undefined) map.set(k.subject, [k]);
    else list.push(k);
  }
  return map;
}
