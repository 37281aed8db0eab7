import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import {
  answer,
  NO_SHELL,
  receivedBy,
  withHelpersOnPath,
  writeHelper,
} from "../../../test/support/credential-helper-script.js";
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
  // A path through a file, not a directory, is as missing (DOCKER_CONFIG pointing at a file)
  assert.equal(readDockerConfigCredentials(join(config("{}"), "config.json"), "r.example"), undefined);
});

test("a config.json linked to /dev/zero is refused after 16 MiB, not read forever", () => {
  const link = join(dir, "zero-config.json");
  symlinkSync("/dev/zero", link);
  const start = Date.now();
  assert.throws(
    () => readDockerConfigCredentials(link, "r.example"),
    (e: Error & { code?: string }) => {
      assert.equal(e.code, "CIP_INPUT_TOO_LARGE");
      assert.match(e.message, /^Cannot read the Docker config: it is over the 16 MiB Docker config limit/);
      assert.ok(e.message.endsWith(`(${link})`), e.message);
      return true;
    },
  );
  assert.ok(Date.now() - start < 2000, `${Date.now() - start} ms`);
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

describe("credential helpers named by config.json, as the Docker CLI runs them", { skip: NO_SHELL }, () => {
  const bin = join(dir, "bin");
  const env = withHelpersOnPath(bin);
  // Fresh helpers each test, so no stdin file is left from an earlier run.
  const setUp = () => {
    rmSync(bin, { recursive: true, force: true });
    mkdirSync(bin);
    // Each answers with its own name as the user, so the test sees which one ran.
    for (const name of ["hubhelper", "ecrhelper", "store"])
      writeHelper(bin, name, answer(name, `secret-of-${name}`));
    writeHelper(bin, "empty", "echo 'credentials not found in native keychain'\nexit 1");
  };
  const mixed = () =>
    config({
      credHelpers: { "https://index.docker.io/v1/": "hubhelper", "ecr.example:5000": "ecrhelper" },
      credsStore: "store",
      auths: {
        "other.example": { auth: b64("from:auths") },
        "ecr.example:5000": { auth: b64("from:auths") },
      },
    });

  test("the credHelpers entry for the host wins over credsStore and auths", () => {
    setUp();
    assert.deepEqual(readDockerConfigCredentials(mixed(), "ecr.example:5000", env), {
      username: "ecrhelper",
      password: "secret-of-ecrhelper",
    });
    assert.equal(receivedBy(bin, "ecrhelper"), "ecr.example:5000");
  });

  test("credsStore serves every other registry, before auths", () => {
    setUp();
    assert.deepEqual(readDockerConfigCredentials(mixed(), "other.example", env), {
      username: "store",
      password: "secret-of-store",
    });
    assert.equal(receivedBy(bin, "store"), "other.example");
  });

  test("Docker Hub's helper is asked for https://index.docker.io/v1/", () => {
    setUp();
    assert.deepEqual(readDockerConfigCredentials(mixed(), "docker.io", env), {
      username: "hubhelper",
      password: "secret-of-hubhelper",
    });
    assert.equal(receivedBy(bin, "hubhelper"), "https://index.docker.io/v1/");
    const viaStore = config({ credsStore: "store" });
    readDockerConfigCredentials(viaStore, "index.docker.io", env);
    assert.equal(receivedBy(bin, "store"), "https://index.docker.io/v1/");
  });

  test("a helper with nothing stored means anonymous, not a fall back to auths", () => {
    setUp();
    const path = config({ credsStore: "empty", auths: { "r.example": { auth: b64("u:p") } } });
    assert.equal(readDockerConfigCredentials(path, "r.example", env), undefined);
  });

  test('an empty credHelpers entry means "no helper": auths is used even with a credsStore', () => {
    setUp();
    const path = config({
      credHelpers: { "r.example": "" },
      credsStore: "store",
      auths: { "r.example": { auth: b64("u:p") } },
    });
    assert.deepEqual(readDockerConfigCredentials(path, "r.example", env), { username: "u", password: "p" });
  });

  test("a configured helper that is not installed is an error naming it, the registry and the file", () => {
    const path = config({ credHelpers: { "r.example": "cipolice-absent" } });
    assert.throws(
      () => readDockerConfigCredentials(path, "r.example", env),
      (e: Error & { code?: string; hint?: string }) => {
        assert.equal(e.code, "CIP_REGISTRY");
        assert.match(e.message, /docker-credential-cipolice-absent is not on PATH/);
        assert.match(e.message, /for r\.example/);
        assert.ok(e.message.includes(`credHelpers["r.example"] in ${path}`));
        assert.match(e.hint ?? "", /Install .*remove credHelpers\["r\.example"\].*--creds/);
        return true;
      },
    );
  });

  test("a helper name that is not a string is refused with the field named", () => {
    const path = config({ credsStore: 42 });
    assert.throws(() => readDockerConfigCredentials(path, "r.example", env), /credsStore is not a string/);
  });
});
