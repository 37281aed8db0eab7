import type { AllowlistItem, Bundle } from "../../model/index.js";
import { badge, esc, escShort, notice, page, relative } from "./html.js";

const DAY_MS = 86_400_000;
/** Largest look-ahead the page takes, in days (ten years). */
export const MAX_DAYS = 3650;

/** One allowlist item with an expiry within the look-ahead (or already past), and where it is in force. */
export interface ExpiringItem {
  bundleId: string;
  bundleName?: string;
  allowlistId: string;
  allowlistName?: string;
  item: AllowlistItem;
  expiresMs: number;
  /** Ids (or names) of the mappings that use the allowlist. */
  mappings: string[];
}

/**
 * The items of the bundles in force whose `expiresOn` is within `days` of `now`, those already expired
 * included, soonest first; and how many items the bundles hold in all and with an expiry.
 */
export function expiringItems(
  bundles: readonly Bundle[],
  now: Date,
  days: number,
): { items: ExpiringItem[]; total: number; withExpiry: number } {
  const horizon = now.getTime() + days * DAY_MS;
  const items: ExpiringItem[] = [];
  let total = 0;
  let withExpiry = 0;
  for (const bundle of bundles) {
    for (const list of bundle.allowlists) {
      const mappings = bundle.mappings
        .map((m, i) => ({ m, i }))
        .filter(({ m }) => m.allowlistIds.includes(list.id))
        .map(({ m, i }) => m.name ?? m.id ?? `#${i + 1}`);
      for (const item of list.items) {
        total++;
        if (item.expiresOn === undefined) continue;
        withExpiry++;
        const expiresMs = Date.parse(item.expiresOn);
        if (Number.isNaN(expiresMs) || expiresMs > horizon) continue;
        items.push({
          bundleId: bundle.id,
          ...(bundle.name !== undefined ? { bundleName: bundle.name } : {}),
          allowlistId: list.id,
          ...(list.name !== undefined ? { allowlistName: list.name } : {}),
          item,
          expiresMs,
          mappings,
        });
      }
    }
  }
  items.sort((a, b) => a.expiresMs - b.expiresMs);
  return { items, total, withExpiry };
}

/** The look-ahead of a query (`?days=`), or the default with a problem when it is not 1 to MAX_DAYS. */
export function readDays(query: URLSearchParams, fallback: number): { days: number; problems: string[] } {
  const text = query.get("days")?.trim();
  if (text === undefined || text === "") return { days: fallback, problems: [] };
  const n = Number(text);
  if (Number.isInteger(n) && n >= 1 && n <= MAX_DAYS) return { days: n, problems: [] };
  return {
    days: fallback,
    problems: [`days must be a whole number from 1 to ${MAX_DAYS}, not ${JSON.stringify(text.slice(0, 64))}`],
  };
}

/** What the allowlist page shows. */
export interface AllowlistView {
  bundles: readonly Bundle[];
  days: number;
  problems: string[];
  now: Date;
  session?: boolean;
}

/** Allowlist items of the bundles in force that expire within the look-ahead, and those already expired. */
export function renderAllowlistPage(view: AllowlistView): string {
  const { items, total, withExpiry } = expiringItems(view.bundles, view.now, view.days);
  const body: string[] = [];
  for (const p of view.problems) body.push(notice("error", `Ignored filter: ${esc(p)}.`));
  body.push(
    '<form class="filters" method="get" action="/ui/allowlists">',
    `<label>Expiring within (days)<input type="number" name="days" min="1" max="${MAX_DAYS}" value="${view.days}"></label>`,
    '<button type="submit">Show</button></form>',
    `<p class="dim" data-testid="allowlist-summary">${items.length} of ${total} items in ${view.bundles.length} bundle${view.bundles.length === 1 ? "" : "s"} in force expire within ${view.days} days or have expired; ${withExpiry} have an expiry date.</p>`,
  );
  if (items.length === 0) {
    body.push(
      `<p data-testid="empty">${
        total === 0
          ? "The bundles in force have no allowlist items."
          : `No allowlist item expires within ${view.days} days.`
      }</p>`,
    );
  } else {
    body.push(
      '<table data-testid="allowlist-items">',
      "<thead><tr><th>Expires</th><th>State</th><th>Allowlist</th><th>Item</th><th>Gate</th><th>Trigger ID and scope</th><th>Reason</th><th>Owner</th><th>Mappings</th></tr></thead>",
      "<tbody>",
      ...items.map((x) => itemRow(x, view.now)),
      "</tbody></table>",
    );
  }
  return page(
    { title: "Expiring allowlist items", view: "allowlists", now: view.now, session: view.session === true },
    body.join("\n"),
  );
}

function itemRow(x: ExpiringItem, now: Date): string {
  const left = x.expiresMs - now.getTime();
  const state = left <= 0 ? badge("expired") : badge("expiring");
  const i = x.item;
  return (
    `<tr data-testid="allowlist-row" data-item="${esc(i.id)}">` +
    `<td class="nowrap"><time datetime="${esc(i.expiresOn)}" title="${esc(i.expiresOn)}">${esc(i.expiresOn)}</time><br><span class="dim">${esc(relative(left))}</span></td>` +
    `<td>${state}</td>` +
    `<td class="wrap">${esc(x.allowlistName ?? x.allowlistId)}<br><span class="dim">in ${esc(x.bundleName ?? x.bundleId)}</span></td>` +
    `<td class="wrap"><code>${esc(i.id)}</code></td>` +
    `<td>${esc(i.gate)}</td>` +
    `<td class="wrap"><code>${esc(i.triggerId)}</code>${i.scope?.images ? `<br><span class="dim">images ${escShort(i.scope.images.join(", "), 300)}</span>` : ""}${i.scope?.namespaces ? `<br><span class="dim">namespaces ${escShort(i.scope.namespaces.join(", "), 300)}</span>` : ""}</td>` +
    `<td class="wrap">${esc(i.reason ?? "")}${i.ticket ? `<br><span class="dim">ticket ${esc(i.ticket)}</span>` : ""}</td>` +
    `<td>${esc(i.owner ?? "")}</td>` +
    `<td class="wrap">${x.mappings.length > 0 ? esc(x.mappings.join(", ")) : '<span class="dim">none</span>'}</td></tr>`
  );
}
