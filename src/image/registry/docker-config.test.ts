import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { defaultDockerConfigPath, readDockerConfigCredentials } from "./docker-config.js";

const dir = mkdtempSync(join(tmpdir(), "cip-docker-config-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function config(content: unknown): string {
  const path = join(dir, `config-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content));
  return path;
}

const b64 = (s: string) => Buffer.from(s).toString("base64");

test("Docker Hub credentials are read from the https://index.docker.io/v1/ key", () => {
  const path = config({ auths: { "https://index.docker.io/v1/": { auth: b64("bob:pa:ss") } } });
  assert.deepEqual(readDockerConfigCredentials(path, "docker.io"), { username: "bob", password: "pa:ss" });
});

test("other registries match by host and port whatever the key's scheme or path", () => {
  const path = config({
    auths: {
      "https://registry.example.com:5000/v2/": { auth: b64("u:p") },
      "other.example": { auth: b64("x:y") },
    },
  });
  assert.deepEqual(readDockerConfigCredentials(path, "registry.example.com:5000"), {
    username: "u",
    password: "p",
  });
  assert.equal(readDockerConfigCredentials(path, "registry.example.com"), undefined);
});

test("an identity token wins over a user name and password", () => {
  const path = config({ auths: { "r.example": { auth: b64("u:p"), identitytoken: "refresh-me" } } });
  assert.deepEqual(readDockerConfigCredentials(path, "r.example"), { identityToken: "refresh-me" });
});

test("a missing file means anonymous access", () => {
  assert.equal(readDockerConfigCredentials(join(dir, "nope.json"), "r.example"), undefined);
});

test("a config that is not JSON or has a bad auth is refused with the file named", () => {
  const bad = config("{not json");
  assert.throws(
    () => readDockerConfigCredentials(bad, "r.example"),
    (e: Error & { code?: string }) => {
      assert.equal(e.code, "CIP_PARSE");
      assert.ok(e.message.includes(bad));
      return true;
    },
  );
  const noColon = config({ auths: { "r.example": { auth: b64("nocolon") } } });
  assert.throws(() => readDockerConfigCredentials(noColon, "r.example"), /not base64 of user:password/);
});

test("DOCKER_CONFIG moves the config file", () => {
  assert.equal(defaultDockerConfigPath({ DOCKER_CONFIG: "/etc/dc" }), "/etc/dc/config.json");
  assert.match(defaultDockerConfigPath({}), /\.docker\/config\.json$/);
});
