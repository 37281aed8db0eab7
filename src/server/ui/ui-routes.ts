import { isCipError } from "../../model/index.js";
import { errorResponse } from "../http-errors.js";
import type { Reply } from "../reply.js";
import type { ParsedRequest } from "../request.js";
import type { Routes } from "../router.js";
import type { ServeContext } from "../serve-context.js";
import { readDays, renderAllowlistPage } from "./allowlist-page.js";
import { CONTAINER_WINDOW, readContainerFilters, renderContainersPage } from "./containers-page.js";
import { renderDecisionPage } from "./decision-page.js";
import { DECISION_WINDOW, hasFilters, readDecisionFilters, renderDecisionsPage } from "./decisions-page.js";
import { renderGracePage } from "./grace-page.js";
import { esc, notice, page, sendHtml } from "./html.js";
import { renderLoginPage } from "./login-page.js";
import { type UiAccessOptions, UiAuth } from "./ui-auth.js";

/** How the dashboard is served: who may read it (see UiAuth), and its one setting. */
export interface UiOptions extends UiAccessOptions {
  /** Allowlist items expiring within this many days are listed by default (`ui.expiringDays`; default 30). */
  expiringDays?: number;
}

const LOGIN_BODY_BYTES = 8 * 1024;

/**
 * The read-only dashboard under `/ui`: recent decisions with filters, one decision with every row, running
 * containers, expiring allowlist items and grace clocks; server-rendered pages with an inline style and no
 * script. The routes take no bearer token from the server core: access is decided here (see UiAuth), and a
 * browser signs in with a form that posts an API token and gets a session cookie.
 */
export function registerUiRoutes(context: ServeContext, options: UiOptions): (routes: Routes) => void {
  const auth = new UiAuth(options);
  const expiringDays = options.expiringDays ?? 30;
  const route = { auth: false } as const;
  return (routes) => {
    routes.get(
      "/",
      guarded(context, auth, async (req, session) => {
        const { filters, problems } = readDecisionFilters(req.query);
        // Filters other than the digest apply to a window of the newest decisions, read once
        const want = hasFilters(filters) ? DECISION_WINDOW : filters.limit;
        const read = await context.store.listDecisions({
          ...(filters.digest !== undefined ? { digest: filters.digest } : {}),
          limit: want,
        });
        const html = renderDecisionsPage({
          filters,
          problems,
          read,
          windowFull: read.length >= want,
          now: context.now(),
          session,
        });
        return { status: problems.length > 0 ? 400 : 200, html };
      }),
      { ...route, name: "ui-decisions" },
    );

    routes.get(
      "/decisions/{id}",
      guarded(context, auth, async (req, session) => {
        const decisionId = req.params.id ?? "";
        const read = await context.store.listDecisions({ limit: DECISION_WINDOW });
        const record = read.find((r) => r.decisionId === decisionId);
        const html = renderDecisionPage({
          record,
          decisionId,
          searched: read.length,
          now: context.now(),
          session,
        });
        return { status: record === undefined ? 404 : 200, html };
      }),
      { ...route, name: "ui-decision" },
    );

    routes.get(
      "/containers",
      guarded(context, auth, async (req, session) => {
        const { filters, problems } = readContainerFilters(req.query);
        const checks = await storeRead(context, req, "list the container checks", () =>
          context.store.latestContainerChecks({ limit: CONTAINER_WINDOW }),
        );
        const clocks = await storeRead(context, req, "list the grace clocks", () =>
          context.store.listGraceClocks(),
        );
        const error = checks.error ?? clocks.error;
        const html = renderContainersPage({
          filters,
          problems,
          checks: checks.value,
          clocks: clocks.value ?? [],
          ...(error !== undefined ? { error } : {}),
          now: context.now(),
          session,
        });
        return { status: checks.error !== undefined ? 503 : problems.length > 0 ? 400 : 200, html };
      }),
      { ...route, name: "ui-containers" },
    );

    routes.get(
      "/allowlists",
      guarded(context, auth, async (req, session) => {
        const { days, problems } = readDays(req.query, expiringDays);
        const bundles = context.assessor.bundles.bundles.map((b) => b.bundle);
        const html = renderAllowlistPage({ bundles, days, problems, now: context.now(), session });
        return { status: problems.length > 0 ? 400 : 200, html };
      }),
      { ...route, name: "ui-allowlists" },
    );

    routes.get(
      "/grace",
      guarded(context, auth, async (req, session) => {
        const subject = req.query.get("subject")?.trim().slice(0, 512) || undefined;
        const clocks = await storeRead(context, req, "list the grace clocks", () =>
          context.store.listGraceClocks(),
        );
        const html = renderGracePage({
          clocks: clocks.value,
          ...(subject !== undefined ? { subject } : {}),
          ...(clocks.error !== undefined ? { error: clocks.error } : {}),
          now: context.now(),
          session,
        });
        return { status: clocks.error !== undefined ? 503 : 200, html };
      }),
      { ...route, name: "ui-grace" },
    );

    routes.get(
      "/login",
      async (_req, res) => {
        if (auth.open) {
          redirect(res, "/ui");
          return;
        }
        sendHtml(
          res,
          200,
          renderLoginPage({
            why: "Sign in with an API token",
            canSignIn: auth.canSignIn,
            now: context.now(),
          }),
        );
      },
      { ...route, name: "ui-login" },
    );

    routes.post(
      "/login",
      async (req, res) => {
        if (!sameOrigin(req)) {
          sendHtml(res, 403, errorPage(context, "This form was posted from another site"));
          return;
        }
        if (auth.open) {
          redirect(res, "/ui");
          return;
        }
        const form = new URLSearchParams((await req.body()).toString("utf8"));
        const token = form.get("token") ?? "";
        const now = context.now();
        if (!auth.validToken(token)) {
          req.log.info("dashboard sign-in with a token that is not valid");
          sendHtml(
            res,
            401,
            renderLoginPage({ why: "The token is not valid", canSignIn: auth.canSignIn, now }),
          );
          return;
        }
        res.header("set-cookie", auth.cookieHeader(auth.makeSession(token, now)));
        redirect(res, "/ui");
      },
      { ...route, name: "ui-login-post", bodyLimitBytes: LOGIN_BODY_BYTES },
    );

    routes.post(
      "/logout",
      async (req, res) => {
        if (!sameOrigin(req)) {
          sendHtml(res, 403, errorPage(context, "This form was posted from another site"));
          return;
        }
        res.header("set-cookie", auth.cookieHeader(undefined));
        redirect(res, auth.open ? "/ui" : "/ui/login");
      },
      { ...route, name: "ui-logout", bodyLimitBytes: LOGIN_BODY_BYTES },
    );
  };
}

type View = (req: ParsedRequest, session: boolean) => Promise<{ status: number; html: string }>;

/** A page behind the access check; a thrown error becomes an HTML error page with the API's status. */
function guarded(context: ServeContext, auth: UiAuth, view: View) {
  return async (req: ParsedRequest, res: Reply): Promise<void> => {
    const h = req.headers;
    const access = auth.check(
      {
        ...(h.host !== undefined ? { host: h.host } : {}),
        ...(h.authorization !== undefined ? { authorization: h.authorization } : {}),
        ...(h.cookie !== undefined ? { cookie: h.cookie } : {}),
      },
      context.now(),
    );
    if (!access.allowed) {
      // A token-free dashboard reached by another name: a token would not help, the address would
      const rebound = auth.open;
      sendHtml(
        res,
        401,
        renderLoginPage({
          why: access.why,
          canSignIn: auth.canSignIn && !rebound,
          ...(rebound
            ? { hint: "Open it as http://127.0.0.1:<port>/ui or http://localhost:<port>/ui." }
            : {}),
          now: context.now(),
        }),
      );
      return;
    }
    try {
      const { status, html } = await view(req, access.via === "session");
      sendHtml(res, status, html);
    } catch (error) {
      const { status, body } = errorResponse(error);
      if (status >= 500) req.log.error({ err: String(error) }, "cannot render a dashboard page");
      const hint = body.error.hint ? ` ${body.error.hint}` : "";
      sendHtml(res, status, errorPage(context, `${body.error.message}.${hint}`));
    }
  };
}

/** A store read whose failure is shown on the page instead of failing it. */
async function storeRead<T>(
  context: ServeContext,
  req: ParsedRequest,
  what: string,
  read: () => Promise<T>,
): Promise<{ value?: T; error?: string }> {
  try {
    return { value: await read() };
  } catch (error) {
    req.log.warn({ err: String(error) }, `cannot ${what} for the dashboard`);
    context.metrics.storeError();
    return {
      error: isCipError(error)
        ? error.message
        : `Cannot ${what}: the store failed (${context.store.kind}); the server log has the details`,
    };
  }
}

function errorPage(context: ServeContext, message: string): string {
  return page(
    { title: "Cannot show this page", view: "decisions", now: context.now() },
    `${notice("error", esc(message))}<p><a href="/ui">Decisions</a></p>`,
  );
}

function redirect(res: Reply, location: string): void {
  res.header("location", location).header("cache-control", "no-store");
  res.send(303, "");
}

/** False when a form post names another origin than this server (login CSRF); browsers send Origin on posts. */
function sameOrigin(req: ParsedRequest): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  const host = req.headers.host;
  if (origin === "null" || host === undefined) return false;
  try {
    return new URL(origin).host === host.toLowerCase();
  } catch {
    return false;
  }
}
