import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, test } from "node:test";
import { REPO_ROOT } from "../../../test/support/corpus.js";
import { isCipError } from "../../model/index.js";
import { builtinCheckRegistry } from "../checks/check-registry.js";
import { closeModuleCheckWorkers } from "../checks/module-check.js";
import type { ContainerSnapshot } from "../container-snapshot.js";
import { runChecks } from "../run-checks.js";
import { loadMonitorConfig, MAX_CONFIG_BYTES } from "./load-monitor-config.js";

after(closeModuleCheckWorkers);

const SEED = resolve(REPO_ROOT, "../shared/seeds/004_3994049ec7ae2a13.txt");
const NO_SEED = existsSync(SEED) ? false : `the CFPB Docker Monitor seed README is not at ${SEED}`;
const IMAGE_ID = `sha256:${"ab12".repeat(16)}`;

/** The first INI example of the seed's README (its Configuration section), read where it lies. */
function seedExample(): string {
  const match = /```ini\n([\s\S]*?)```/.exec(readFileSync(SEED, "utf8"));
  assert.ok(match?.[1], "the seed README has an ini example");
  return match[1];
}

function container(overrides: Partial<ContainerSnapshot> = {}): ContainerSnapshot {
  const base = { id: "c1", name: "app", image: "localhost/app:v1", imageId: IMAGE_ID, repoDigests: [] };
  return { ...base, user: "", command: ["/bin/sleep", "600"], labels: {}, state: "running", ...overrides };
}

/** Loads text and returns the CipError it throws. */
async function loadError(text: string, name = "monitor.ini") {
  try {
    await loadMonitorConfig({ text, name });
  } catch (error) {
    assert.ok(isCipError(error), `a CipError, not ${String(error)}`);
    assert.equal(error.code, "CIP_CONFIG_INVALID");
    return error;
  }
  assert.fail("the config loaded");
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "cip-monitor-config-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test("the seed README's example loads: three checks in file order, the repeated section once, with warnings", {
  skip: NO_SEED,
}, async () => {
  const config = await loadMonitorConfig({ text: seedExample(), name: "README.ini" });
  assert.deepEqual(
    config.checks.map((check) => check.section),
    [
      "docker_monitor.checks.ActiveBuildCheck",
      "docker_monitor.checks.RunningAsRootCheck",
      "docker_monitor.checks.PrismaScanCheck",
    ],
  );
  assert.deepEqual(config.alwaysAllow, []);
  assert.deepEqual(config.logging, { file: "/tmp/docker_monitor.log" });
  assert.equal(config.checks[1]?.settings.allow_root, "off");
  assert.ok(
    config.warnings.some((w) => /section \[docker_monitor\.checks\.RunningAsRootCheck\] repeats/.test(w)),
  );
  assert.ok(config.warnings.some((w) => /PrismaScanCheck\]: twistcli_path, url, token are empty/.test(w)));
});

test("the seed README's example behaves as documented on containers", { skip: NO_SEED }, async () => {
  const config = await loadMonitorConfig({ text: seedExample(), name: "README.ini" });
  // allow_root = off: a container running as root fails at RunningAsRootCheck and later checks do not run
  const root = await runChecks(container({ user: "" }), config);
  assert.equal(root.outcome, "fail");
  assert.deepEqual(
    root.checks.map((c) => [c.section.split(".").pop(), c.result]),
    [
      ["ActiveBuildCheck", "PASS"],
      ["RunningAsRootCheck", "FAIL"],
    ],
  );
  // A user container reaches PrismaScanCheck, which cannot run with the example's empty settings
  const user = await runChecks(container({ user: "1000:1000" }), config);
  assert.equal(user.outcome, "fail");
  assert.equal(user.checks[2]?.result, "FAIL");
  assert.match(user.checks[2]?.message ?? "", /PrismaScanCheck needs twistcli_path, url and token/);
  // A building container passes fast: "any checks defined after it will not be run"
  const building = await runChecks(container({ command: ["buildah", "bud", "-t", "x", "."] }), config);
  assert.equal(building.outcome, "pass");
  assert.deepEqual(
    building.checks.map((c) => c.result),
    ["PASS_FAST"],
  );
});

test("an unknown check section is an error naming it, its line and the known checks", async () => {
  const error = await loadError("[policy]\nalways_allow =\n\n[docker_monitor.checks.NoSuchCheck]\nx = 1\n");
  assert.match(
    error.message,
    /^Cannot load monitor config: no check is named docker_monitor\.checks\.NoSuchCheck; known/,
  );
  assert.match(error.message, /\(monitor\.ini:4 \[docker_monitor\.checks\.NoSuchCheck\]\)$/);
  assert.match(
    error.message,
    /docker_monitor\.checks\.ActiveBuildCheck, docker_monitor\.checks\.RunningAsRootCheck/,
  );
  assert.match(error.message, /\[module:\.\/file\.mjs\]/);
});

test("a malformed INI lists every bad line with file:line and section", async () => {
  const error = await loadError("stray = 1\n[policy]\nalways_allow\n[logging\n");
  assert.equal(
    error.message,
    'Cannot load monitor config: "stray = 1" comes before any [section] header (monitor.ini:1; 2 more problem(s) listed)',
  );
  assert.deepEqual(
    error.problems.map((p) => p.message.split(": ")[0]),
    ["monitor.ini:1", "monitor.ini:3 [policy]", "monitor.ini:4 [policy]"],
  );
});

test("settings read as configparser: booleans, [DEFAULT] keys, %(name)s references, %% escapes", async () => {
  const text = [
    "[DEFAULT]",
    "host = prisma.example:8083",
    "[docker_monitor.checks.PrismaScanCheck]",
    "twistcli_path = /usr/local/bin/twistcli",
    "url = https://%(host)s/api",
    "token = 100%%",
    "[docker_monitor.checks.RunningAsRootCheck]",
    "Allow_Root = YES",
  ].join("\n");
  const config = await loadMonitorConfig({ text });
  assert.equal(config.checks[0]?.settings.url, "https://prisma.example:8083/api");
  assert.equal(config.checks[0]?.settings.token, "100%");
  assert.equal(config.checks[1]?.settings.host, "prisma.example:8083");
  const rootCheck = config.checks.filter((check) => check.section.endsWith("RunningAsRootCheck"));
  const verdict = await runChecks(container({ user: "root" }), { ...config, checks: rootCheck });
  assert.equal(verdict.outcome, "pass");
  assert.match(verdict.checks[0]?.message ?? "", /runs as root, allowed/);
});

test("bad values are errors naming the key's line and section", async () => {
  const error = await loadError(
    [
      "[policy]",
      "always_allow = nginx:latest, sha256:ab12",
      "[logging]",
      "level = loud",
      "[docker_monitor.checks.RunningAsRootCheck]",
      "allow_root = maybe",
      "[docker_monitor.checks.ActiveBuildCheck]",
      "labels = 50%",
    ].join("\n"),
  );
  const messages = error.problems.map((p) => p.message);
  assert.equal(messages.length, 5);
  assert.match(
    messages[0] ?? "",
    /^monitor\.ini:2 \[policy\]: always_allow: "nginx:latest" is not an image id/,
  );
  assert.match(messages[1] ?? "", /^monitor\.ini:2 \[policy\]: always_allow: "sha256:ab12" is too short/);
  assert.match(messages[2] ?? "", /^monitor\.ini:4 \[logging\]: level = "loud" is not DEBUG/);
  assert.match(
    messages[3] ?? "",
    /^monitor\.ini:5 \[docker_monitor\.checks\.RunningAsRootCheck\]: allow_root = "maybe" is not a boolean/,
  );
  assert.match(
    messages[4] ?? "",
    /^monitor\.ini:8 \[docker_monitor\.checks\.ActiveBuildCheck\]: labels: "%" must be followed/,
  );
});

test("always_allow takes comma-separated ids; log level names read as Python's logging names them", async () => {
  const config = await loadMonitorConfig({
    text: `[policy]\nalways_allow = ${IMAGE_ID}, 0123456789ab\n  FEDCBA9876\n[logging]\nlevel = WARN\n`,
  });
  assert.deepEqual(config.alwaysAllow, [IMAGE_ID, "0123456789ab", "FEDCBA9876"]);
  assert.equal(config.logging.level, "warning");
  assert.equal(config.logging.file, undefined);
});

test("a module section whose file is missing, or exports no function, is an error naming the section", async () => {
  const dir = tempDir();
  writeFileSync(join(dir, "no-function.mjs"), "export const check = 42;\n");
  writeFileSync(join(dir, "broken.mjs"), "export default function (\n");
  writeFileSync(join(dir, "named.mjs"), "export function strict() { return 'PASS'; }\n");
  const path = join(dir, "monitor.ini");
  writeFileSync(
    path,
    "[module:./absent.mjs]\n[module:./no-function.mjs]\n[module:./broken.mjs]\n[module:./named.mjs#lenient]\n[module:./named.mjs#strict]\n",
  );
  let caught: unknown;
  try {
    await loadMonitorConfig({ path });
  } catch (error) {
    caught = error;
  }
  assert.ok(isCipError(caught));
  const messages = caught.problems.map((p) => p.message);
  assert.equal(messages.length, 4);
  assert.match(
    messages[0] ?? "",
    /monitor\.ini:1 \[module:\.\/absent\.mjs\]: the module file .*absent\.mjs does not exist/,
  );
  assert.match(
    messages[1] ?? "",
    /monitor\.ini:2 \[module:\.\/no-function\.mjs\]: .*no default export or export named check/,
  );
  assert.match(messages[2] ?? "", /monitor\.ini:3 \[module:\.\/broken\.mjs\]: cannot use .*SyntaxError/);
  assert.match(
    messages[3] ?? "",
    /monitor\.ini:4 \[module:\.\/named\.mjs#lenient\]: .*no function named lenient/,
  );
});

test("a registered check joins the known names; a factory that throws is an error naming its section", async () => {
  const registry = builtinCheckRegistry().registerCheck("cipolice.checks.PolicyCheck", (settings) => {
    if (settings.bundle === undefined) throw new Error("bundle is required");
    return { description: "policy", run: async () => ({ result: "PASS" }) };
  });
  const ok = await loadMonitorConfig(
    { text: "[cipolice.checks.PolicyCheck]\nbundle = b.json\n" },
    { registry },
  );
  assert.equal(ok.checks[0]?.kind, "registered");
  await assert.rejects(
    loadMonitorConfig({ text: "[cipolice.checks.PolicyCheck]\n" }, { registry }),
    /bundle is required \(<config>:1 \[cipolice\.checks\.PolicyCheck\]\)/,
  );
  assert.throws(
    () => registry.registerCheck("cipolice.checks.PolicyCheck", () => assert.fail()),
    /registered already/,
  );
  assert.throws(() => registry.registerCheck("module:x", () => assert.fail()), /reserved/);
});

test("a file over the size limit is refused before parsing; a missing file names its path", async () => {
  await assert.rejects(loadMonitorConfig({ text: `[s]\n${"#".repeat(MAX_CONFIG_BYTES)}` }), {
    code: "CIP_INPUT_TOO_LARGE",
  });
  await assert.rejects(loadMonitorConfig({ path: "/nonexistent/monitor.ini" }), (error: unknown) => {
    assert.ok(isCipError(error));
    assert.equal(error.code, "CIP_FILE_READ");
    assert.match(error.message, /\/nonexistent\/monitor\.ini/);
    return true;
  });
});
