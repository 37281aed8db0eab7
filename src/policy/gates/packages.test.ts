import assert from "node:assert/strict";
import { test } from "node:test";
import { factsFor, fireTrigger, paramProblems } from "../../../test/support/gates.js";
import type { Package } from "../../model/index.js";
import { defaultTriggerId } from "../trigger-id.js";
import { packagesGate } from "./packages.js";

const pkgs: Package[] = [
  { name: "openssl", version: "1.1.1n-0+deb11u4", type: "dpkg" },
  { name: "openssh-server", version: "1:8.4p1-5", type: "dpkg" },
  { name: "lodash", version: "4.17.20", type: "npm", path: "/app/node_modules/lodash" },
];
const debian = factsFor({ distro: { name: "debian", version: "11" }, packages: pkgs });

const messages = (params: Record<string, string>, facts = debian, trigger = "required_package") =>
  fireTrigger(packagesGate, trigger, params, facts).map((h) => h.message);

test("required_package fires when the package is missing, naming the version when one is asked", () => {
  assert.deepEqual(messages({ name: "curl" }), [
    "Required input package (curl) is not present in container image",
  ]);
  assert.deepEqual(messages({ name: "curl", version: "7.0" }), [
    "Required input package (curl,7.0) is not present in container image",
  ]);
  assert.deepEqual(messages({ name: "openssl" }), []);
});

test("required_package exact: a different version fires with anchore's message (which repeats the name)", () => {
  const hits = fireTrigger(packagesGate, "required_package", { name: "openssl", version: "3.0.0" }, debian);
  const message =
    "Required input package (openssl) is present (1.1.1n-0+deb11u4), but not at the version specified in policy (openssl)";
  assert.deepEqual(hits, [{ message, triggerId: defaultTriggerId("packages", "required_package", message) }]);
  assert.deepEqual(messages({ name: "openssl", version: "1.1.1n-0+deb11u4" }), []);
});

test("required_package minimum compares with the distro's version scheme", () => {
  const params = { name: "openssl", version: "1.1.1n-0+deb11u5", version_match_type: "minimum" };
  assert.deepEqual(messages(params), [
    "Required min-version input package (openssl) is present (1.1.1n-0+deb11u4), but is lower version than what is specified in policy (1.1.1n-0+deb11u5)",
  ]);
  assert.deepEqual(messages({ ...params, version: "1.1.1n-0+deb11u4~" }), []);
  assert.deepEqual(messages({ ...params, version: "1.1.1" }), []);
  // dpkg order, not string order: 10 > 9.
  assert.deepEqual(messages({ name: "lodash", version: "4.17.9", version_match_type: "minimum" }), []);
});

test("required_package minimum without any known version scheme is an evaluation error", () => {
  const facts = factsFor({ packages: pkgs });
  assert.throws(
    () => messages({ name: "lodash", version: "5.0.0", version_match_type: "minimum" }, facts),
    /unsupported distro, cannot compare package versions/,
  );
  // Without a distro, an OS package's own type gives the scheme.
  assert.deepEqual(
    messages({ name: "openssh-server", version: "1:8.4p1-6", version_match_type: "minimum" }, facts),
    [
      "Required min-version input package (openssh-server) is present (1:8.4p1-5), but is lower version than what is specified in policy (1:8.4p1-6)",
    ],
  );
});

test("required_package treats absent package facts as an image without packages", () => {
  assert.deepEqual(messages({ name: "openssl" }, factsFor()), [
    "Required input package (openssl) is not present in container image",
  ]);
});

test("blacklist fires per installed package of that name, with the version when one is given", () => {
  assert.deepEqual(messages({ name: "openssh-server" }, debian, "blacklist"), [
    "Package is blacklisted: openssh-server",
  ]);
  assert.deepEqual(messages({ name: "openssh-server", version: "1:8.4p1-5" }, debian, "blacklist"), [
    "Package is blacklisted: openssh-server-1:8.4p1-5",
  ]);
  assert.deepEqual(messages({ name: "openssh-server", version: "2" }, debian, "blacklist"), []);
  assert.deepEqual(messages({ name: "openssh-server" }, factsFor(), "blacklist"), []);
});

test("verify fires per verification problem, filtered by package, directory and check", () => {
  const facts = factsFor({
    packageVerification: [
      { package: "openssl", path: "/usr/lib/ssl/openssl.cnf", problem: "changed" },
      { package: "bash", path: "/bin/bash", problem: "missing" },
    ],
  });
  const all = messages({}, facts, "verify");
  assert.deepEqual(all, [
    "VERIFY check against package db for package 'openssl' failed on entry '/usr/lib/ssl/openssl.cnf' with status: 'changed'",
    "VERIFY check against package db for package 'bash' failed on entry '/bin/bash' with status: 'missing'",
  ]);
  assert.deepEqual(messages({ check: "missing" }, facts, "verify"), [all[1]]);
  assert.deepEqual(messages({ only_packages: "openssl,curl" }, facts, "verify"), [all[0]]);
  assert.deepEqual(messages({ only_directories: "/bin" }, facts, "verify"), [all[1]]);
  assert.deepEqual(messages({}, factsFor(), "verify"), []);
});

test("parameters are checked: required name, known match types and checks", () => {
  assert.match(paramProblems(packagesGate, "required_package", {})[0] ?? "", /required parameter "name"/);
  assert.match(
    paramProblems(packagesGate, "required_package", { name: "a", version_match_type: "max" })[0] ?? "",
    /one of exact, minimum/,
  );
  assert.match(paramProblems(packagesGate, "verify", { check: "gone" })[0] ?? "", /one of changed, missing/);
});
