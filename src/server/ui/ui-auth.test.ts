import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { loopbackHost, readCookie, SESSION_MS, UiAuth } from "./ui-auth.js";

const TOKENS = [
  { name: "ci", token: "token-one-0123456789" },
  { name: "ops", token: "token-two-0123456789" },
];
const NOW = new Date("2026-12-07T12:00:00Z");

describe("dashboard access", () => {
  test("on loopback with ui.public unset: open, but only to requests naming a loopback host", () => {
    const auth = new UiAuth({ tokens: TOKENS, host: "127.0.0.1", tls: false });
    assert.equal(auth.open, true);
    for (const host of ["127.0.0.1:8080", "localhost:8080", "[::1]:8080", "localhost"]) {
      assert.deepEqual(auth.check({ host }, NOW), { allowed: true, via: "open" }, host);
    }
    // A rebound name that looks like an address is not one
    for (const host of ["127.0.0.1.nip.io:8080", "attacker.example", "", "127.0.0.1.:80"]) {
      assert.equal(auth.check({ host }, NOW).allowed, false, host);
    }
    assert.equal(auth.check({}, NOW).allowed, false);
  });

  test("ui.public true opens any host; false asks a token even on loopback", () => {
    const open = new UiAuth({ tokens: [], host: "0.0.0.0", tls: true, public: true });
    assert.deepEqual(open.check({ host: "dashboard.example" }, NOW), { allowed: true, via: "open" });
    const closed = new UiAuth({ tokens: TOKENS, host: "127.0.0.1", tls: false, public: false });
    assert.deepEqual(closed.check({ host: "127.0.0.1:1" }, NOW), {
      allowed: false,
      why: "sign in with an API token",
    });
  });

  test("a bearer token from a proxy, any configured one, opens it; others do not", () => {
    const auth = new UiAuth({ tokens: TOKENS, host: "0.0.0.0", tls: true });
    assert.equal(auth.open, false);
    assert.deepEqual(auth.check({ authorization: "Bearer token-two-0123456789" }, NOW), {
      allowed: true,
      via: "bearer",
    });
    assert.equal(auth.check({ authorization: "Bearer token-three" }, NOW).allowed, false);
  });

  test("a session made with a token works until it ends, and not when tampered with or after the token goes", () => {
    const auth = new UiAuth({ tokens: TOKENS, host: "10.0.0.1", tls: false });
    const session = auth.makeSession("token-one-0123456789", NOW);
    assert.doesNotMatch(session, /token-one/, "the cookie never holds the token");
    const cookie = `other=1; cipolice_token=${session}`;
    assert.deepEqual(auth.check({ cookie }, NOW), { allowed: true, via: "session" });
    const later = new Date(NOW.getTime() + SESSION_MS - 1000);
    assert.equal(auth.check({ cookie }, later).allowed, true);
    const ended = new Date(NOW.getTime() + SESSION_MS + 1);
    assert.deepEqual(auth.check({ cookie }, ended), {
      allowed: false,
      why: "the session has ended; sign in again",
    });
    // A longer expiry, signed or not, is refused: the MAC covers it
    const [, expires, mac] = session.split(".");
    const extended = `v1.${Number(expires) + 3_600_000}.${mac}`;
    assert.equal(auth.verifySession(extended, NOW), false);
    assert.equal(auth.verifySession(`${session.slice(0, -1)}A`, NOW), false);
    assert.equal(auth.verifySession("v1.1.x", NOW), false);
    const withoutOne = new UiAuth({
      tokens: [TOKENS[1] as (typeof TOKENS)[1]],
      host: "10.0.0.1",
      tls: false,
    });
    assert.equal(withoutOne.verifySession(session, NOW), false);
  });

  test("tokens are checked whole; no tokens means no sign-in", () => {
    const auth = new UiAuth({ tokens: TOKENS, host: "10.0.0.1", tls: true });
    assert.equal(auth.validToken("token-one-0123456789"), true);
    assert.equal(auth.validToken("token-one"), false);
    assert.equal(auth.validToken(""), false);
    const none = new UiAuth({ tokens: [], host: "10.0.0.1", tls: true });
    assert.equal(none.canSignIn, false);
    assert.deepEqual(none.check({}, NOW), {
      allowed: false,
      why: "the server has no API tokens (auth.tokens)",
    });
  });

  test("the cookie is HttpOnly, SameSite=Strict, scoped to /ui, and Secure unless plain HTTP on loopback", () => {
    const remote = new UiAuth({ tokens: TOKENS, host: "0.0.0.0", tls: false });
    assert.equal(
      remote.cookieHeader("v"),
      `cipolice_token=v; Path=/ui; HttpOnly; SameSite=Strict; Max-Age=${SESSION_MS / 1000}; Secure`,
    );
    const local = new UiAuth({ tokens: TOKENS, host: "127.0.0.1", tls: false, public: false });
    assert.equal(
      local.cookieHeader(undefined),
      "cipolice_token=; Path=/ui; HttpOnly; SameSite=Strict; Max-Age=0",
    );
  });

  test("cookie and host parsing", () => {
    assert.equal(readCookie("a=1; cipolice_token=xyz ; b=2", "cipolice_token"), "xyz");
    assert.equal(readCookie("a=1", "cipolice_token"), undefined);
    assert.equal(readCookie(undefined, "a"), undefined);
    assert.equal(loopbackHost("127.3.4.5:9"), true);
    assert.equal(loopbackHost("LOCALHOST:9"), true);
    assert.equal(loopbackHost("[::1]"), true);
    assert.equal(loopbackHost("[::2]:80"), false);
    assert.equal(loopbackHost("localhost.example"), false);
  });
});
