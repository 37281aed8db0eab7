import assert from "node:assert/strict";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import type { ContainerSnapshot } from "../container-snapshot.js";
import type { CheckContext, CheckOutcome } from "./check-types.js";
import { prismaScanCheck, twistcliImageId } from "./prisma-scan-check.js";

const DIR = mkdtempSync(join(tmpdir(), "cip-prisma-"));
after(() => rmSync(DIR, { recursive: true, force: true }));
const IMAGE_ID = `sha256:${"0123456789abcdef".repeat(4)}`;
const CONTAINER: ContainerSnapshot = {
  id: "c",
  name: "app",
  image: "localhost/app:v1",
  imageId: IMAGE_ID,
  repoDigests: [],
  user: "1000",
  command: ["/bin/sleep", "600"],
  labels: {},
  state: "running",
};
// The output twistcli prints, as the seed's own tests give it
const PASSED =
  "Compliance found for image: total - 2, critical - 0, high - 2, medium - 0, low - 0\nCompliance threshold check results: PASS";
const FAILED =
  "Compliance found for image: total - 2, critical - 0, high - 2, medium - 0, low - 0\nCompliance threshold check results: FAIL";

/** Writes an executable fake twistcli that records its arguments, one a line, then runs `body`. */
function fakeTwistcli(name: string, body: string): string {
  const path = join(DIR, name);
  writeFileSync(path, `#!/bin/sh\nfor a in "$@"; do printf '%s\\n' "$a"; done > "$0.args"\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

async function scan(settings: Record<string, string>, configDir = DIR): Promise<CheckOutcome> {
  const section = "docker_monitor.checks.PrismaScanCheck";
  const check = await prismaScanCheck(settings, { section, line: 1, file: "m.ini", configDir });
  const context: CheckContext = { section, configDir, timeoutMs: check.timeoutMs ?? 1000 };
  return check.run(CONTAINER, settings, context);
}

const SETTINGS = { url: "https://prisma.example:8083", token: "tok $(touch pwned); `id` 'q\"" };

test("twistcli gets the seed's arguments, each whole (no shell), and the image's 10-digit short id", async () => {
  const path = fakeTwistcli("pass", `printf '%s\\n' "${PASSED}"`);
  const outcome = await scan({ ...SETTINGS, twistcli_path: path });
  assert.deepEqual(outcome, { result: "PASS", message: "Prisma compliance threshold check results: PASS" });
  assert.deepEqual(readFileSync(`${path}.args`, "utf8").split("\n").slice(0, -1), [
    "images",
    "scan",
    "--token",
    SETTINGS.token,
    "--address",
    SETTINGS.url,
    "0123456789",
  ]);
  assert.equal(twistcliImageId(IMAGE_ID), "0123456789");
});

test("the verdict comes from the Compliance threshold line, in colour or not, on stdout or stderr", async () => {
  const failed = await scan({
    ...SETTINGS,
    twistcli_path: fakeTwistcli("fail", `printf '%s\\n' "${FAILED}"; exit 1`),
  });
  assert.equal(failed.result, "FAIL");
  assert.match(failed.message ?? "", /results: FAIL \(twistcli exited with code 1\)/);
  const coloured = fakeTwistcli(
    "colour",
    `printf 'Compliance threshold check results: \\033[32mPASS\\033[0m\\n' >&2`,
  );
  assert.equal((await scan({ ...SETTINGS, twistcli_path: coloured })).result, "PASS");
  // twistcli exits 1 when the vulnerability threshold fails; the seed reads only the compliance line
  const vulns = fakeTwistcli(
    "vulns",
    `echo "Vulnerability threshold check results: FAIL"; printf '%s\\n' "${PASSED}"; exit 1`,
  );
  const passed = await scan({ ...SETTINGS, twistcli_path: vulns });
  assert.equal(passed.result, "PASS");
  assert.match(passed.message ?? "", /exited with code 1/);
});

test("a failing run without a verdict fails the container with the end of what it printed", async () => {
  const path = fakeTwistcli(
    "auth",
    `echo "connecting" ; echo "Error: failed to authenticate: 401" >&2; exit 2`,
  );
  const outcome = await scan({ ...SETTINGS, twistcli_path: path });
  assert.equal(outcome.result, "FAIL");
  assert.match(
    outcome.message ?? "",
    /twistcli exited with code 2 without a "Compliance threshold check results" line/,
  );
  assert.match(outcome.message ?? "", /failed to authenticate: 401/);
});

test("a missing or non-executable twistcli fails the container and says which", async () => {
  const missing = await scan({ ...SETTINGS, twistcli_path: join(DIR, "no-such-twistcli") });
  assert.equal(missing.result, "FAIL");
  assert.match(missing.message ?? "", /cannot run twistcli ".*no-such-twistcli": not found/);
  const plain = join(DIR, "not-executable");
  writeFileSync(plain, "#!/bin/sh\necho hi\n");
  const denied = await scan({ ...SETTINGS, twistcli_path: plain });
  assert.match(denied.message ?? "", /not executable/);
});

test("empty settings fail each container and are warned about at load, as the seed's example leaves them", async () => {
  const check = await prismaScanCheck(
    { twistcli_path: "", url: "x", token: "" },
    { section: "s", line: 1, file: "m.ini", configDir: DIR },
  );
  assert.deepEqual(check.warnings, [
    "twistcli_path, token are empty: PrismaScanCheck needs twistcli_path, url and token; every container will fail this check",
  ]);
  const outcome = await check.run(CONTAINER, {}, { section: "s", configDir: DIR, timeoutMs: 1000 });
  assert.equal(outcome.result, "FAIL");
});

test("a scan past its timeout is stopped, with its children, and fails the container", async () => {
  const path = fakeTwistcli("hang", `sleep 30 & sleep 30; wait`);
  const started = Date.now();
  const outcome = await scan({ ...SETTINGS, twistcli_path: path, timeout: "1" });
  assert.ok(Date.now() - started < 5000, "stopped soon after its timeout");
  assert.deepEqual(outcome, { result: "FAIL", message: "twistcli did not finish within 1 s; stopped" });
  assert.throws(
    () => prismaScanCheck({ timeout: "forever" }, { section: "s", line: 1, file: "m.ini", configDir: DIR }),
    /timeout = "forever" is not a number of seconds/,
  );
});

test("output of any size is read to its verdict without being kept", async () => {
  const path = fakeTwistcli(
    "loud",
    `head -c 8000000 /dev/zero | tr '\\0' 'x'; echo; printf '%s\\n' "${PASSED}"`,
  );
  assert.equal((await scan({ ...SETTINGS, twistcli_path: path })).result, "PASS");
});

test("a relative twistcli_path is read against the INI file's folder", async () => {
  mkdirSync(join(DIR, "bin"), { recursive: true });
  const path = join(DIR, "bin", "twistcli");
  writeFileSync(path, `#!/bin/sh\nprintf '%s\\n' "${PASSED}"\n`);
  chmodSync(path, 0o755);
  assert.equal((await scan({ ...SETTINGS, twistcli_path: "./bin/twistcli" }, DIR)).result, "PASS");
});
