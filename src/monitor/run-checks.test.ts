import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { CheckRegistry } from "./checks/check-registry.js";
import type { CheckFunction } from "./checks/check-types.js";
import { closeModuleCheckWorkers } from "./checks/module-check.js";
import { loadMonitorConfig } from "./config/load-monitor-config.js";
import type { ContainerSnapshot } from "./container-snapshot.js";
import { runChecks, verdictLogLines } from "./run-checks.js";

after(closeModuleCheckWorkers);
const DIR = mkdtempSync(join(tmpdir(), "cip-run-checks-"));
after(() => rmSync(DIR, { recursive: true, force: true }));

const IMAGE_ID = `sha256:${"9f86d081884c7d65".repeat(4)}`;
const CONTAINER: ContainerSnapshot = {
  id: "c0ffee",
  name: "web",
  image: "localhost/web:v1",
  imageId: IMAGE_ID,
  repoDigests: [],
  user: "1000",
  command: ["/bin/httpd", "-f"],
  labels: { tier: "front" },
  state: "running",
};

/** A registry of checks `A`..: each answers from `answers` and records that it ran. */
function recording(answers: Record<string, CheckFunction>) {
  const ran: string[] = [];
  const registry = new CheckRegistry();
  for (const [name, run] of Object.entries(answers)) {
    registry.registerCheck(name, () => ({
      description: `check ${name}`,
      timeoutMs: 300,
      run: (container, settings, context) => {
        ran.push(name);
        return run(container, settings, context);
      },
    }));
  }
  return { registry, ran };
}

const pass: CheckFunction = async () => ({ result: "PASS" });
const passFast: CheckFunction = async () => ({ result: "PASS_FAST", message: "fast" });
const fail: CheckFunction = async () => ({ result: "FAIL", message: "no" });

test("checks run in file order: PASS goes on, PASS_FAST stops as passed, FAIL stops as failed", async () => {
  const { registry, ran } = recording({ P: pass, F: fail, PF: passFast });
  const cases: [string[], "pass" | "fail", string[]][] = [
    [["P", "P2"], "pass", ["P", "P2"]],
    [["P", "F", "PF"], "fail", ["P", "F"]],
    [["PF", "F"], "pass", ["PF"]],
    [["F", "PF"], "fail", ["F"]],
    [["P", "PF", "F"], "pass", ["P", "PF"]],
  ];
  registry.registerCheck("P2", () => ({ description: "check P2", run: pass }));
  for (const [order, outcome, expected] of cases) {
    ran.length = 0;
    const config = await loadMonitorConfig(
      { text: order.map((name) => `[${name}]`).join("\n") },
      { registry },
    );
    const verdict = await runChecks(CONTAINER, config);
    assert.equal(verdict.outcome, outcome, order.join(" "));
    assert.deepEqual(
      verdict.checks.map((check) => check.section),
      expected,
    );
    assert.deepEqual(
      ran.filter((name) => name !== "P2"),
      expected.filter((name) => name !== "P2"),
    );
  }
  const config = await loadMonitorConfig({ text: "[P]\n[F]\n" }, { registry });
  const verdict = await runChecks(CONTAINER, config);
  assert.deepEqual(verdictLogLines(CONTAINER, verdict), [
    { level: "info", message: "web passed check, check P" },
    { level: "error", message: "web failed check, check F: no" },
  ]);
});

test("an always_allow image runs no check: full id, bare hex or a short prefix; others are checked", async () => {
  const { registry, ran } = recording({ F: fail });
  for (const entry of [IMAGE_ID, IMAGE_ID.slice(7).toUpperCase(), "9f86d081884c", "sha256:9f86d08188"]) {
    ran.length = 0;
    const config = await loadMonitorConfig(
      { text: `[policy]\nalways_allow = sha256:${"1".repeat(64)}, ${entry}\n[F]\n` },
      { registry },
    );
    const verdict = await runChecks(CONTAINER, config);
    assert.deepEqual(
      verdict,
      { outcome: "pass", checks: [], skipped: "always_allow", allowedBy: entry },
      entry,
    );
    assert.deepEqual(ran, []);
    assert.deepEqual(verdictLogLines(CONTAINER, verdict), [
      { level: "info", message: `web is always allowed (${entry})` },
    ]);
  }
  const other = await loadMonitorConfig(
    { text: "[policy]\nalways_allow = 9f86d081884d\n[F]\n" },
    { registry },
  );
  assert.equal((await runChecks(CONTAINER, other)).outcome, "fail");
});

test("a check that throws, answers nonsense or hangs fails the container, not the monitor, naming its section", async () => {
  const { registry } = recording({
    Throws: async () => {
      throw new TypeError("boom");
    },
    Nonsense: async () => ({ result: "OK" }) as never,
    Hangs: () => new Promise(() => {}),
    Bare: async () => "PASS_FAST" as never,
  });
  const run = async (name: string) => {
    const config = await loadMonitorConfig({ text: `[${name}]` }, { registry });
    const verdict = await runChecks(CONTAINER, config);
    return {
      outcome: verdict.outcome,
      result: verdict.checks[0]?.result,
      message: verdict.checks[0]?.message,
    };
  };
  assert.deepEqual(await run("Throws"), {
    outcome: "fail",
    result: "FAIL",
    message: "Throws threw: TypeError: boom",
  });
  assert.deepEqual(await run("Nonsense"), {
    outcome: "fail",
    result: "FAIL",
    message: 'Nonsense returned {"result":"OK"}, not "PASS", "PASS_FAST", "FAIL" or { result, message }',
  });
  assert.deepEqual(await run("Hangs"), {
    outcome: "fail",
    result: "FAIL",
    message: "Hangs did not finish within 300 ms",
  });
  assert.deepEqual(await run("Bare"), { outcome: "pass", result: "PASS_FAST", message: undefined });
});

test("module checks get the container and settings; throwing, nonsense and hanging ones fail that container", async () => {
  writeFileSync(
    join(DIR, "checks.mjs"),
    `
export default function (container, settings, context) {
  if (container.labels.tier === settings.deny_tier) return { result: "FAIL", message: "tier " + settings.deny_tier + " in " + context.section };
  return settings.mode === "fast" ? "PASS_FAST" : { result: "PASS" };
}
export async function throws() { throw new RangeError("bad image " + "web"); }
export function nonsense() { return 42; }
export function spins() { for (;;) {} }
export function waits() { return new Promise(() => {}); }
`,
  );
  const ini = join(DIR, "monitor.ini");
  const load = async (text: string) => {
    writeFileSync(ini, text);
    return loadMonitorConfig({ path: ini }, { defaultTimeoutMs: 500 });
  };
  const first = async (text: string) => (await runChecks(CONTAINER, await load(text))).checks[0];
  assert.deepEqual(
    { ...(await first("[module:./checks.mjs]\ndeny_tier = front\n")), ms: 0 },
    {
      section: "module:./checks.mjs",
      description: "module check ./checks.mjs",
      result: "FAIL",
      message: "tier front in module:./checks.mjs",
      ms: 0,
    },
  );
  assert.equal((await first("[module:./checks.mjs]\nmode = fast\n"))?.result, "PASS_FAST");
  assert.equal((await first("[module:./checks.mjs]\n"))?.result, "PASS");
  assert.equal(
    (await first("[module:./checks.mjs#throws]\n"))?.message,
    "module:./checks.mjs#throws threw: RangeError: bad image web",
  );
  assert.match(
    (await first("[module:./checks.mjs#nonsense]\n"))?.message ?? "",
    /#nonsense returned 42, not "PASS"/,
  );
  for (const name of ["spins", "waits"]) {
    const started = Date.now();
    const hung = await first(`[module:./checks.mjs#${name}]\n`);
    assert.equal(hung?.result, "FAIL");
    assert.match(
      hung?.message ?? "",
      new RegExp(`#${name} did not answer within 500 ms; its worker was stopped`),
    );
    assert.ok(Date.now() - started < 3000);
  }
  // The worker stopped for a hung call is replaced: the module answers again
  assert.equal((await first("[module:./checks.mjs]\n"))?.result, "PASS");
});

test("a monitor that stops cancels the running check and does not pass the container", async () => {
  let seen: AbortSignal | undefined;
  const { registry } = recording({
    Waits: (_container, _settings, context) =>
      new Promise((resolve) => {
        seen = context.signal;
        context.signal?.addEventListener("abort", () => resolve({ result: "FAIL", message: "cancelled" }));
      }),
    P: pass,
  });
  const config = await loadMonitorConfig({ text: "[Waits]\n[P]\n" }, { registry });
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 50);
  const verdict = await runChecks(CONTAINER, config, { signal: controller.signal });
  assert.equal(seen?.aborted, true);
  assert.deepEqual(
    verdict.checks.map((check) => [check.section, check.result, check.message]),
    [["Waits", "FAIL", "cancelled"]],
  );
  const stopped = await runChecks(CONTAINER, config, { signal: controller.signal });
  assert.deepEqual(stopped.checks[0]?.message, "Waits did not run: the monitor is stopping");
});
