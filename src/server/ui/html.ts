import { createHash } from "node:crypto";
import { escapeHtml } from "../../report/html-format.js";
import type { Reply } from "../reply.js";

/** The dashboard's views, in the order the navigation shows them. */
export type UiView = "decisions" | "containers" | "allowlists" | "grace" | "login";

/** What every page shares: the title, which view it is, the server's clock and who is signed in. */
export interface PageFrame {
  title: string;
  view: UiView;
  now: Date;
  /** True when the visitor came in with the session cookie (a sign-out button is shown). */
  session?: boolean;
}

// Bidirectional controls could make a hostile image name read as another one: shown as escapes instead.
const BIDI = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/g;

/**
 * Text made safe for HTML text and double-quoted attribute values: the report's escaping (markup characters,
 * control characters made visible) plus bidirectional controls made visible.
 */
export function esc(text: string | number | undefined | null): string {
  if (text === undefined || text === null) return "";
  return escapeHtml(String(text)).replace(
    BIDI,
    (ch) => `\\u${ch.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}`,
  );
}

/** Escaped text cut to `max` characters (list cells; the full value is on the decision's own page). */
export function escShort(text: string | undefined, max = 200): string {
  if (text === undefined) return "";
  return text.length > max ? `${esc(text.slice(0, max))}…` : esc(text);
}

/** A dashboard path with its query: values are percent-encoded, empty ones left out; the result is escaped. */
export function href(path: string, query: Record<string, string | number | undefined> = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== "") params.set(key, String(value));
  }
  const text = params.toString();
  return esc(text === "" ? path : `${path}?${text}`);
}

/** `sha256:0123456789ab…` for tables, with the full digest in a title. */
export function shortDigest(digest: string | undefined): string {
  if (digest === undefined || digest === "") return '<span class="dim">none</span>';
  const at = digest.indexOf(":");
  const short = digest.length > at + 13 ? `${digest.slice(0, at + 13)}…` : digest;
  return `<code class="digest" title="${esc(digest)}">${esc(short)}</code>`;
}

/** A time as `<time>` with how long ago (or ahead) it is from `now`. */
export function timeCell(iso: string | undefined, now: Date): string {
  if (iso === undefined || iso === "") return '<span class="dim">unknown</span>';
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return esc(iso);
  return `<time datetime="${esc(iso)}" title="${esc(iso)}">${esc(relative(ms - now.getTime()))}</time>`;
}

/** "in 3 d 4 h", "5 min ago", "now": a duration from now, to the two largest units. */
export function relative(deltaMs: number): string {
  const abs = Math.abs(deltaMs);
  if (abs < 60_000) return "now";
  const minutes = Math.floor(abs / 60_000);
  const hours = Math.floor(minutes / 60);
  const days = Math.floor(hours / 24);
  const text =
    days > 0
      ? `${days} d${hours % 24 > 0 && days < 10 ? ` ${hours % 24} h` : ""}`
      : hours > 0
        ? `${hours} h${minutes % 60 > 0 ? ` ${minutes % 60} min` : ""}`
        : `${minutes} min`;
  return deltaMs > 0 ? `in ${text}` : `${text} ago`;
}

/** A coloured word: `pass`, `fail`, `unknown`, `stop`, `warn`, `go`, `PASS_FAST`… */
export function badge(word: string): string {
  const kind = /^[a-z_]+$/i.test(word) ? word.toLowerCase() : "other";
  return `<span class="badge b-${kind}">${esc(word)}</span>`;
}

/** A message box above the content: an error in the request or the store, or a notice. */
export function notice(kind: "error" | "info", html: string): string {
  return `<p class="notice ${kind}" role="${kind === "error" ? "alert" : "status"}">${html}</p>`;
}

const NAV: { view: UiView; path: string; label: string }[] = [
  { view: "decisions", path: "/ui", label: "Decisions" },
  { view: "containers", path: "/ui/containers", label: "Running containers" },
  { view: "allowlists", path: "/ui/allowlists", label: "Expiring allowlist items" },
  { view: "grace", path: "/ui/grace", label: "Grace clocks" },
];

/** The whole page around `body`: head with the inline style, navigation, and a footer with the server time. */
export function page(frame: PageFrame, body: string): string {
  const nav = NAV.map(
    (n) =>
      `<a href="${n.path}"${n.view === frame.view ? ' aria-current="page"' : ""} data-testid="nav-${n.view}">${n.label}</a>`,
  ).join("");
  const signOut = frame.session
    ? '<form method="post" action="/ui/logout" class="signout"><button type="submit">Sign out</button></form>'
    : "";
  return [
    "<!DOCTYPE html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="referrer" content="same-origin">',
    `<title>${esc(frame.title)} · CIPolicE</title>`,
    `<style>${STYLE}</style>`,
    "</head>",
    "<body>",
    `<header><span class="brand">CIPolicE</span><nav>${nav}</nav>${signOut}</header>`,
    `<main><h1>${esc(frame.title)}</h1>`,
    body,
    "</main>",
    `<footer>Server time <time datetime="${esc(frame.now.toISOString())}">${esc(frame.now.toISOString())}</time> · read-only view of the decision store</footer>`,
    "</body>",
    "</html>",
    "",
  ].join("\n");
}

const STYLE = [
  ":root{color-scheme:light;--fg:#1d232a;--dim:#5f6b76;--line:#d9dee3;--head:#f3f5f7;--link:#1558b0}",
  "*{box-sizing:border-box}",
  "body{margin:0;font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:var(--fg);background:#fff}",
  "header{display:flex;align-items:center;gap:20px;padding:10px 24px;background:#1d232a;color:#fff}",
  ".brand{font-weight:700;letter-spacing:.04em}",
  "nav{display:flex;gap:4px;flex-wrap:wrap}nav a{color:#dfe6ee;text-decoration:none;padding:4px 10px;border-radius:4px}",
  "nav a[aria-current=page]{background:#fff;color:#1d232a;font-weight:600}nav a:hover{text-decoration:underline}",
  ".signout{margin-left:auto}.signout button{font:inherit;padding:2px 10px}",
  "main{padding:0 24px 16px;max-width:1600px}",
  "h1{margin:16px 0 8px;font-size:21px}h2{margin:22px 0 8px;font-size:16px}",
  "a{color:var(--link)}",
  ".dim{color:var(--dim)}",
  "code{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;overflow-wrap:anywhere}code.digest{white-space:nowrap}",
  "dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:0 0 8px}dt{font-weight:600}dd{margin:0;overflow-wrap:anywhere}",
  "form.filters{display:flex;flex-wrap:wrap;gap:8px 14px;align-items:flex-end;margin:8px 0 12px;padding:10px;background:var(--head);border-radius:6px}",
  "form.filters label{display:flex;flex-direction:column;font-size:12px;color:var(--dim);gap:2px}",
  "input,select,button{font:inherit;font-size:13px}input[type=text],input[type=search]{min-width:14em}",
  "table{border-collapse:collapse;width:100%}",
  "th,td{border:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}",
  "th{background:var(--head);white-space:nowrap}",
  "tbody tr:nth-child(even){background:#fafbfc}",
  "td.wrap{overflow-wrap:anywhere;min-width:10em}td.nowrap{white-space:nowrap}",
  ".badge{display:inline-block;padding:0 6px;border-radius:3px;font-weight:600;font-size:12px;color:#fff;background:#5f6b76}",
  ".b-pass,.b-go,.b-pass_fast{background:#2e7d32}.b-fail,.b-stop,.b-ended{background:#c62828}.b-warn,.b-expiring,.b-running{background:#b26f00}",
  ".b-unknown,.b-other,.b-expired{background:#5f6b76}",
  ".tag{display:inline-block;padding:0 4px;border:1px solid var(--line);border-radius:3px;font-size:11px;color:var(--dim)}",
  "ul.checks{margin:0;padding-left:16px}",
  ".notice{padding:8px 12px;border-radius:4px;margin:8px 0}.notice.error{background:#fdecea;border:1px solid #e5a5a0}.notice.info{background:#eef4fb;border:1px solid #b9cde6}",
  ".verdict{padding:10px 14px;border-left:6px solid #5f6b76;background:var(--head);margin-bottom:12px}",
  ".verdict.pass{border-color:#2e7d32;background:#e9f5ea}.verdict.fail{border-color:#c62828;background:#fdecea}",
  "footer{margin:24px;padding-top:8px;border-top:1px solid var(--line);color:var(--dim);font-size:12px}",
  "form.login{display:flex;flex-direction:column;gap:8px;max-width:26em}",
].join("\n");

const sha256 = (text: string) => `'sha256-${createHash("sha256").update(text).digest("base64")}'`;

/**
 * The page's Content-Security-Policy: only its own inline style; no script, image, frame or connection;
 * forms post only to this server. An unescaped value would still be inert.
 */
export const UI_CSP = `default-src 'none'; style-src ${sha256(STYLE)}; img-src data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'`;

/** Answers with a dashboard page: HTML, the CSP above, no caching (the views are live and may be private). */
export function sendHtml(res: Reply, status: number, html: string): boolean {
  res
    .header("content-security-policy", UI_CSP)
    .header("x-content-type-options", "nosniff")
    .header("x-frame-options", "DENY")
    .header("referrer-policy", "same-origin")
    .header("cache-control", "no-store");
  return res.send(status, html, "text/html; charset=utf-8");
}
