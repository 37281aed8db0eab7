import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
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
import { runCredentialHelper } from "./credential-helper.js";

const dir = mkdtempSync(join(tmpdir(), "cip-cred-helper-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const env = withHelpersOnPath(dir);
const origin = { registry: "r.example", configPath: "/home/me/.docker/config.json", field: "credsStore" };

type Err = Error & { code?: string; hint?: string };

describe("docker-credential-<name> get, run as a real process", { skip: NO_SHELL }, () => {
  test("the server URL goes in on stdin; Username and Secret come back as user and password", () => {
    writeHelper(dir, "plain", answer("alice", "pw-1"));
    const got = runCredentialHelper("plain", "r.example:5000", origin, env);
    assert.deepEqual(got, { username: "alice", password: "pw-1" });
    assert.equal(receivedBy(dir, "plain"), "r.example:5000");
  });

  test("a <token> user name means the secret is an identity token", () => {
    writeHelper(dir, "token", answer("<token>", "refresh-xyz"));
    assert.deepEqual(runCredentialHelper("token", "r.example", origin, env), {
      identityToken: "refresh-xyz",
    });
  });

  test('"credentials not found in native keychain" with a non-zero exit means anonymous', () => {
    writeHelper(dir, "empty", "echo 'credentials not found in native keychain'\nexit 1");
    assert.equal(runCredentialHelper("empty", "r.example", origin, env), undefined);
  });

  test("a helper not on PATH is refused naming the helper, the registry and the config file", () => {
    assert.throws(
      () => runCredentialHelper("cipolice-absent", "r.example", origin, env),
      (e: Err) => {
        assert.equal(e.code, "CIP_REGISTRY");
        assert.match(e.message, /docker-credential-cipolice-absent is not on PATH/);
        assert.match(e.message, /r\.example/);
        assert.ok(e.message.includes(origin.configPath));
        assert.match(e.hint ?? "", /Install docker-credential-cipolice-absent.*--creds/);
        return true;
      },
    );
  });

  test("output that is not JSON is refused without quoting it (it may be a secret)", () => {
    writeHelper(dir, "garbage", "echo 'hunter2 is my password'\necho 'warning: odd store' >&2");
    assert.throws(
      () => runCredentialHelper("garbage", "r.example", origin, env),
      (e: Err) => {
        assert.match(e.message, /docker-credential-garbage printed output that is not JSON/);
        assert.match(e.message, /warning: odd store/);
        assert.doesNotMatch(e.message, /hunter2/);
        return true;
      },
    );
  });

  test("another failure gives the exit status and the first line of the helper's stderr", () => {
    writeHelper(dir, "broken", "echo 'gpg: decryption failed' >&2\necho 'second line' >&2\nexit 3");
    assert.throws(
      () => runCredentialHelper("broken", "r.example", origin, env),
      (e: Err) => {
        assert.equal(e.code, "CIP_REGISTRY");
        assert.match(e.message, /docker-credential-broken exited with 3: gpg: decryption failed \(/);
        assert.doesNotMatch(e.message, /second line/);
        return true;
      },
    );
  });

  test("a helper name with a path in it is not run", () => {
    assert.throws(() => runCredentialHelper("../x", "r.example", origin, env), /not a plain program suffix/);
  });
});
