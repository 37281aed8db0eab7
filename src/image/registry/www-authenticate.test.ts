import assert from "node:assert/strict";
import { test } from "node:test";
import { parseWwwAuthenticate } from "./www-authenticate.js";

test("a Bearer challenge gives realm, service and scope", () => {
  const header =
    'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull"';
  assert.deepEqual(parseWwwAuthenticate(header), [
    {
      scheme: "bearer",
      params: {
        realm: "https://auth.docker.io/token",
        service: "registry.docker.io",
        scope: "repository:library/nginx:pull",
      },
    },
  ]);
});

test("several challenges in one header are told apart, with spaces and unquoted values", () => {
  const header =
    'Basic realm="Registry Realm", Bearer realm="https://r.example/token", service=reg, error="invalid_token"';
  const challenges = parseWwwAuthenticate(header);
  assert.deepEqual(
    challenges.map((c) => c.scheme),
    ["basic", "bearer"],
  );
  assert.equal(challenges[0]?.params.realm, "Registry Realm");
  assert.equal(challenges[1]?.params.service, "reg");
  assert.equal(challenges[1]?.params.error, "invalid_token");
});

test("quoted values keep commas and escaped quotes; scope lists keep their commas", () => {
  const header = 'Bearer realm="https://a/t",scope="repository:a:pull,push",note="say \\"hi\\""';
  const [bearer] = parseWwwAuthenticate(header);
  assert.equal(bearer?.params.scope, "repository:a:pull,push");
  assert.equal(bearer?.params.note, 'say "hi"');
});

test("no header or an empty one gives no challenges", () => {
  assert.deepEqual(parseWwwAuthenticate(null), []);
  assert.deepEqual(parseWwwAuthenticate(""), []);
});
