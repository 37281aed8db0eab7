import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { describe, test } from "node:test";
import { isCipError } from "../../model/index.js";
import {
  type AuthResult,
  authenticateNotification,
  resolveSenderAuth,
  type SenderAuth,
  type SenderAuthConfig,
  senderAuthSchema,
} from "./authenticate.js";
import type { Sender } from "./notification-types.js";

const BODY = Buffer.from('{"image":"registry.local/app:1.0","level":3}');
const OTHER_BODY = Buffer.from('{"image":"registry.local/app:1.0","level":0}');
const SECRET = "s3cret-0123456789abcdef";
const io = {
  env: { HOOK_SECRET: SECRET, EMPTY: "" },
  readFile: (p: string) => (p === "/run/secret" ? `${SECRET}\n` : fail(p)),
};

function fail(path: string): never {
  throw new Error(`ENOENT: no such file ${path}`);
}

function credential(config: Omit<SenderAuthConfig, "secret"> & { secret?: string }): SenderAuth {
  return resolveSenderAuth({ secret: SECRET, ...config } as SenderAuthConfig, io);
}

function auth(
  sender: Sender,
  creds: SenderAuth[],
  headers: Record<string, string | string[]> = {},
  extra: { body?: Buffer; pathToken?: string; now?: Date } = {},
): AuthResult {
  return authenticateNotification({ headers, body: extra.body ?? BODY, ...extra }, sender, creds);
}

function hmacHex(key: string, body: Buffer): string {
  return createHmac("sha256", key).update(body).digest("hex");
}

function assertDenied(result: AuthResult, reason: RegExp): void {
  assert.equal(result.ok, false, "expected the request to be refused");
  if (!result.ok) assert.match(result.reason, reason);
}

describe("sender authentication", () => {
  test("header (Harbor's auth header value, sent as Authorization)", () => {
    const harbor = [credential({ sender: "harbor", scheme: "header", name: "harbor-prod" })];
    assertDenied(auth("harbor", harbor), /no authorization header/);
    assertDenied(auth("harbor", harbor, { authorization: "wrong" }), /does not match/);
    assertDenied(auth("harbor", harbor, { authorization: `${SECRET}x` }), /does not match/);
    assertDenied(auth("harbor", harbor, { authorization: [SECRET, SECRET] }), /more than once/);
    assert.deepEqual(auth("harbor", harbor, { authorization: SECRET }), {
      ok: true,
      principal: "harbor:harbor-prod",
    });
  });

  test("header with a custom name (Distribution endpoint headers)", () => {
    const reg = [credential({ sender: "distribution", scheme: "header", header: "X-Registry-Token" })];
    assertDenied(auth("distribution", reg, { authorization: SECRET }), /no x-registry-token header/);
    assert.deepEqual(auth("distribution", reg, { "x-registry-token": SECRET }), {
      ok: true,
      principal: "distribution:distribution",
    });
  });

  test("bearer", () => {
    const creds = [credential({ sender: "distribution", scheme: "bearer" })];
    assertDenied(auth("distribution", creds), /no authorization header/);
    assertDenied(auth("distribution", creds, { authorization: SECRET }), /not a bearer token/);
    assertDenied(
      auth("distribution", creds, { authorization: "Bearer nope" }),
      /bearer token does not match/,
    );
    assert.equal(auth("distribution", creds, { authorization: `Bearer ${SECRET}` }).ok, true);
    assert.equal(auth("distribution", creds, { authorization: `bearer ${SECRET}` }).ok, true);
  });

  test("hmac over the raw body, hex, with or without sha256=", () => {
    const creds = [credential({ sender: "cipolice", scheme: "hmac" })];
    const good = hmacHex(SECRET, BODY);
    assertDenied(auth("cipolice", creds), /no x-cipolice-signature header/);
    assertDenied(auth("cipolice", creds, { "x-cipolice-signature": "sha256=xyz" }), /not a hex HMAC-SHA256/);
    assertDenied(
      auth("cipolice", creds, { "x-cipolice-signature": hmacHex("wrong-key", BODY) }),
      /does not match the body/,
    );
    // A signature taken from another request cannot vouch for this body.
    assertDenied(
      auth("cipolice", creds, { "x-cipolice-signature": hmacHex(SECRET, OTHER_BODY) }),
      /does not match the body/,
    );
    assertDenied(
      auth("cipolice", creds, { "x-cipolice-signature": good }, { body: OTHER_BODY }),
      /does not match the body/,
    );
    assert.equal(auth("cipolice", creds, { "x-cipolice-signature": good }).ok, true);
    assert.equal(auth("cipolice", creds, { "x-cipolice-signature": `sha256=${good}` }).ok, true);
    assert.equal(auth("cipolice", creds, { "X-CIPolicE-Signature": good.toUpperCase() }).ok, true);
  });

  test("hmac in a named header", () => {
    const creds = [credential({ sender: "quay", scheme: "hmac", header: "X-Hub-Signature-256" })];
    assert.equal(auth("quay", creds, { "x-hub-signature-256": `sha256=${hmacHex(SECRET, BODY)}` }).ok, true);
    assertDenied(
      auth("quay", creds, { "x-cipolice-signature": hmacHex(SECRET, BODY) }),
      /no x-hub-signature-256/,
    );
  });

  test("basic (Quay: credentials in the webhook URL)", () => {
    const creds = [credential({ sender: "quay", scheme: "basic", secret: "quay:pa55word" })];
    const basic = (s: string) => `Basic ${Buffer.from(s).toString("base64")}`;
    assertDenied(auth("quay", creds), /no authorization header/);
    assertDenied(auth("quay", creds, { authorization: basic("quay:wrong") }), /do not match/);
    assertDenied(auth("quay", creds, { authorization: `Bearer ${SECRET}` }), /not Basic/);
    assert.equal(auth("quay", creds, { authorization: basic("quay:pa55word") }).ok, true);
  });

  test("path token (Docker Hub)", () => {
    const creds = [credential({ sender: "dockerhub", scheme: "path" })];
    assertDenied(auth("dockerhub", creds), /no token in the request path/);
    assertDenied(auth("dockerhub", creds, {}, { pathToken: "guess" }), /path token does not match/);
    assert.equal(auth("dockerhub", creds, {}, { pathToken: SECRET }).ok, true);
  });

  test("jwt (Clair's PSK-signed HS256 bearer token)", () => {
    const psk = Buffer.from("clair-pre-shared-key-bytes");
    const creds = [
      credential({
        sender: "clair",
        scheme: "jwt",
        secret: psk.toString("base64"),
        secretEncoding: "base64",
      }),
    ];
    const now = new Date("2026-01-01T00:00:00Z");
    const t = now.getTime() / 1000;
    const sign = (claims: object, key: Buffer = psk, alg = "HS256") => {
      const head = Buffer.from(JSON.stringify({ alg, typ: "JWT" })).toString("base64url");
      const body = Buffer.from(JSON.stringify(claims)).toString("base64url");
      const sig = createHmac("sha256", key).update(`${head}.${body}`).digest("base64url");
      return `Bearer ${head}.${body}.${sig}`;
    };
    const claims = { iss: "notifier", iat: t, nbf: t - 60, exp: t + 60 };
    assert.equal(auth("clair", creds, { authorization: sign(claims) }, { now }).ok, true);
    assertDenied(
      auth("clair", creds, { authorization: sign(claims, Buffer.from("other")) }, { now }),
      /signature does not match/,
    );
    assertDenied(
      auth("clair", creds, { authorization: sign(claims, psk, "none") }, { now }),
      /not signed with HS256/,
    );
    assertDenied(
      auth("clair", creds, { authorization: sign({ ...claims, exp: t - 120 }) }, { now }),
      /expired/,
    );
    assertDenied(
      auth("clair", creds, { authorization: sign({ ...claims, nbf: t + 600 }) }, { now }),
      /not valid yet/,
    );
    assertDenied(auth("clair", creds, { authorization: sign({ iat: t }) }, { now }), /no expiry/);
    assertDenied(auth("clair", creds, { authorization: "Bearer abc" }, { now }), /not a JWT/);
    assertDenied(auth("clair", creds, {}, { now }), /no authorization header/);
  });

  test("a sender with no credential is refused; another sender's credential does not count", () => {
    const harbor = [credential({ sender: "harbor", scheme: "header" })];
    assertDenied(auth("quay", harbor, { authorization: SECRET }), /no credential is configured for quay/);
    assertDenied(auth("quay", []), /no credential is configured/);
  });

  test("several credentials for one sender: any passes, and the principal names the one that did", () => {
    const creds = [
      credential({ sender: "harbor", scheme: "header", name: "old", secret: "old-secret-value" }),
      credential({ sender: "harbor", scheme: "header", name: "new" }),
    ];
    assert.deepEqual(auth("harbor", creds, { authorization: SECRET }), { ok: true, principal: "harbor:new" });
    assert.deepEqual(auth("harbor", creds, { authorization: "old-secret-value" }), {
      ok: true,
      principal: "harbor:old",
    });
    assertDenied(auth("harbor", creds, { authorization: "neither" }), /does not match/);
  });
});

describe("sender credential configuration", () => {
  test("takes exactly one of secret, secretEnv, secretFile", () => {
    assert.equal(senderAuthSchema.safeParse({ sender: "harbor", scheme: "header" }).success, false);
    assert.equal(
      senderAuthSchema.safeParse({ sender: "harbor", scheme: "header", secret: "a", secretEnv: "B" }).success,
      false,
    );
    assert.equal(
      senderAuthSchema.safeParse({ sender: "harbor", scheme: "header", secretEnv: "B" }).success,
      true,
    );
    assert.equal(
      senderAuthSchema.safeParse({ sender: "gitlab", scheme: "header", secret: "a" }).success,
      false,
    );
    assert.equal(
      senderAuthSchema.safeParse({ sender: "harbor", scheme: "none", secret: "a" }).success,
      false,
    );
    assert.equal(
      senderAuthSchema.safeParse({ sender: "harbor", scheme: "bearer", header: "X-A", secret: "a" }).success,
      false,
    );
  });

  test("reads the secret from the environment or a file; empty or unreadable is CIP_CONFIG_INVALID", () => {
    const fromEnv = resolveSenderAuth({ sender: "harbor", scheme: "header", secretEnv: "HOOK_SECRET" }, io);
    assert.equal(auth("harbor", [fromEnv], { authorization: SECRET }).ok, true);
    const fromFile = resolveSenderAuth({ sender: "harbor", scheme: "header", secretFile: "/run/secret" }, io);
    assert.equal(
      auth("harbor", [fromFile], { authorization: SECRET }).ok,
      true,
      "the final newline is dropped",
    );
    for (const config of [
      { sender: "harbor", scheme: "header", secretEnv: "EMPTY" },
      { sender: "harbor", scheme: "header", secretEnv: "UNSET" },
      { sender: "harbor", scheme: "header", secretFile: "/missing" },
      { sender: "clair", scheme: "jwt", secret: "!!!!", secretEncoding: "base64" },
      { sender: "harbor", scheme: "header" },
    ] as SenderAuthConfig[]) {
      assert.throws(
        () => resolveSenderAuth(config, io),
        (e: unknown) => isCipError(e) && e.code === "CIP_CONFIG_INVALID",
      );
    }
  });
});
