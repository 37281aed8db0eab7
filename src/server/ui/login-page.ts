import { esc, notice, page } from "./html.js";

/** What the sign-in page says: why the visitor is here, and whether signing in can work at all. */
export interface LoginView {
  why: string;
  /** False when signing in cannot help (no API tokens, or a token-free dashboard reached by another name). */
  canSignIn: boolean;
  /** What to do instead, when there is no form. */
  hint?: string;
  now: Date;
}

/**
 * The sign-in form: an API token posted (never put in a URL) to `/ui/login`, which answers with a session
 * cookie. Shown with status 401 wherever the dashboard needs a token.
 */
export function renderLoginPage(view: LoginView): string {
  const body = [notice("error", `${esc(view.why)}.`)];
  if (view.canSignIn) {
    body.push(
      '<form class="login" method="post" action="/ui/login" data-testid="login">',
      '<label>API token (one of the server\'s <code>auth.tokens</code>)<br><input type="password" name="token" autocomplete="current-password" required maxlength="4096"></label>',
      '<button type="submit">Sign in</button>',
      "</form>",
      '<p class="dim">The dashboard is read-only. A proxy in front of it may instead send <code>Authorization: Bearer &lt;token&gt;</code>.</p>',
    );
  } else {
    body.push(
      `<p>${
        view.hint !== undefined
          ? esc(view.hint)
          : "Add a token under <code>auth.tokens</code> in the server configuration, or set <code>ui.public: true</code> to serve the dashboard without one."
      }</p>`,
    );
  }
  return page({ title: "Sign in", view: "login", now: view.now }, body.join("\n"));
}
