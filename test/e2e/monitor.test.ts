import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { openStore } from "../../src/store/open-store.js";
import { REPO_ROOT } from "../support/corpus.js";
import { bundleOfRules } from "../support/one-rule-bundle.js";
import { runCliAsync } from "../support/run-cli.js";
import {
  type PodmanImage,
  type PodmanService,
  podmanMissing,
  startPodman,
} from "./support/podman-harness.js";
import { AUTH, admissionAnswer, podReview, serveConfig, trivyReport } from "./support/serve-fixtures.js";
import { startServe } from "./support/serve-harness.js";

// `cipolice monitor` against a real container engine: podman serving the Docker API on a socket of the
// harness's own, containers from images the harness builds (no pull), run with --network none.
const skip = podmanMissing();

/** The seed README's configuration example, as written (its RunningAsRootCheck section twice). */
const SEED_EXAMPLE = `[policy]
always_allow =

[logging]
log_file = /tmp/docker_monitor.log

[docker_monitor.checks.ActiveBuildCheck]

[docker_monitor.checks.RunningAsRootCheck]
allow_root = off

[docker_monitor.checks.RunningAsRootCheck]
allow_root = off

[docker_monitor.checks.PrismaScanCheck]
twistcli_path = 
token = 
url = 
`;

type Line = {
  name: string;
  outcome: string;
  skipped?: string;
  action?: string;
  checks: { section: string; result: string; message?: string }[];
};

describe("cipolice monitor against podman", { skip }, () => {
  let podman: PodmanService;
  let dir: string;
  let app: PodmanImage;
  let allowed: PodmanImage;

  before(async () => {
    podman = await startPodman();
    dir = await mkdtemp(join(tmpdir(), "cipolice-monitor-"));
    app = await podman.buildImage({ name: "app", tag: "v1" });
    allowed = await podman.buildImage({ name: "allowed", tag: "v1", labels: { purpose: "allowed" } });
    await podman.runContainer({ name: "root-app", image: app.ref, command: ["sleep", "3600"] });
    await podman.runContainer({
      name: "user-app",
      image: app.ref,
      user: "1000:1000",
      command: ["sleep", "3600"],
    });
    await podman.runContainer({ name: "allowed-app", image: allowed.ref, command: ["sleep", "3600"] });
    await podman.runContainer({
      name: "builder",
      image: app.ref,
      command: ["sleep", "3600"],
      labels: { role: "build" },
    });
  });

  after(async () => {
    await podman?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const env = () => ({ DOCKER_HOST: podman.dockerHost });
  let configs = 0;
  async function config(text: string): Promise<string> {
    const path = join(dir, `monitor-${configs++}.ini`);
    await writeFile(path, text);
    return path;
  }
  async function once(ini: string, extra: string[] = []) {
    const run = await runCliAsync(["monitor", "-f", ini, "--once", "--format", "json", ...extra], {
      env: env(),
    });
    const lines = run.stdout
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as Line);
    return { ...run, byName: new Map(lines.map((l) => [l.name, l])) };
  }

  it("checks a root, a user, an always_allow and a building container, each with its outcome", async () => {
    const ini = await config(`[policy]
always_allow = ${allowed.id}

[logging]
log_file = ${join(dir, "monitor.log")}
level = info

[docker_monitor.checks.ActiveBuildCheck]
labels = role=build

[docker_monitor.checks.RunningAsRootCheck]
allow_root = off
`);
    const run = await once(ini);
    assert.equal(run.status, 1, run.stderr);
    const { byName } = run;
    assert.equal(byName.get("root-app")?.outcome, "fail");
    assert.equal(byName.get("root-app")?.checks.at(-1)?.section, "docker_monitor.checks.RunningAsRootCheck");
    assert.equal(byName.get("user-app")?.outcome, "pass");
    assert.deepEqual(
      byName.get("user-app")?.checks.map((c) => c.result),
      ["PASS", "PASS"],
    );
    assert.equal(byName.get("allowed-app")?.outcome, "pass");
    assert.equal(byName.get("allowed-app")?.skipped, "always_allow");
    assert.deepEqual(byName.get("allowed-app")?.checks, []);
    assert.equal(byName.get("builder")?.outcome, "pass");
    assert.deepEqual(
      byName.get("builder")?.checks.map((c) => c.result),
      ["PASS_FAST"],
    );
    const log = await readFile(join(dir, "monitor.log"), "utf8");
    assert.match(log, /WARNING FAIL {2}root-app/);
    assert.match(log, /INFO PASS {2}user-app/);
  });

  it("loads the seed README's example as documented: root fails, the rest reach the unconfigured Prisma scan and fail", async () => {
    const run = await once(await config(SEED_EXAMPLE));
    assert.equal(run.status, 1, run.stderr);
    assert.match(
      run.stderr,
      /section \[docker_monitor\.checks\.RunningAsRootCheck\] repeats the one on line 9/,
    );
    assert.equal(
      run.byName.get("root-app")?.checks.at(-1)?.section,
      "docker_monitor.checks.RunningAsRootCheck",
    );
    const user = run.byName.get("user-app");
    assert.equal(user?.outcome, "fail");
    assert.equal(user?.checks.at(-1)?.section, "docker_monitor.checks.PrismaScanCheck");
    assert.match(user?.checks.at(-1)?.message ?? "", /twistcli_path/);
  });

  it("refuses a malformed file and an unknown check section, naming the line and the section", async () => {
    const bad = await runCliAsync(
      ["monitor", "-f", await config("[policy]\nalways_allow\n[docker_monitor.checks.Nope]\n"), "--once"],
      { env: env() },
    );
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /monitor-\d+\.ini:2/);
    assert.match(bad.stderr, /docker_monitor\.checks\.Nope/);
    assert.match(bad.stderr, /docker_monitor\.checks\.ActiveBuildCheck/);
  });

  it("a check module that throws fails its container, and the monitor goes on to the others", async () => {
    const module = join(REPO_ROOT, "test/fixtures/monitor/throwing-check.mjs");
    const run = await once(await config(`[policy]\nalways_allow = ${allowed.id}\n\n[module:${module}]\n`));
    assert.equal(run.status, 1, run.stderr);
    assert.equal(run.byName.get("user-app")?.outcome, "fail");
    assert.match(run.byName.get("user-app")?.checks[0]?.message ?? "", /no verdict for user-app/);
    assert.equal(run.byName.get("allowed-app")?.outcome, "pass");
  });

  it("--enforce stop stops the failing container and nothing else", async () => {
    await podman.runContainer({ name: "doomed", image: app.ref, command: ["sleep", "3600"] });
    await podman.runContainer({ name: "kept", image: app.ref, user: "1000", command: ["sleep", "3600"] });
    const ini = await config(
      `[policy]\nalways_allow = ${allowed.id}\n\n[docker_monitor.checks.ActiveBuildCheck]\nlabels = role=build\n\n[docker_monitor.checks.RunningAsRootCheck]\nallow_root = off\n`,
    );
    const before = await podman.podman(["ps", "--format", "{{.Names}}"]);
    // Only "doomed" and "root-app" fail; root-app is stopped too, so name both and check every other stays
    const run = await once(ini, ["--enforce", "stop"]);
    assert.equal(run.status, 1, run.stderr);
    assert.equal(run.byName.get("doomed")?.action, "stopped");
    assert.equal(run.byName.get("kept")?.action, undefined);
    const after = (await podman.podman(["ps", "--format", "{{.Names}}"])).split("\n").filter(Boolean).sort();
    const expected = before
      .split("\n")
      .filter((n) => n && n !== "doomed" && n !== "root-app")
      .sort();
    assert.deepEqual(after, expected);
    // Put root-app back for the tests after this one
    await podman.podman(["start", "root-app"]);
  });

  it("checks a container started while the monitor runs within a second", async (t) => {
    const ini = await config(
      `[policy]\nalways_allow =\n\n[docker_monitor.checks.RunningAsRootCheck]\nallow_root = off\n`,
    );
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        join(REPO_ROOT, "src/cli/entry.ts"),
        "monitor",
        "-f",
        ini,
        "--format",
        "json",
        "--interval",
        "1h",
      ],
      { env: { ...process.env, ...env() }, stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      out += d;
    });
    try {
      // The first full pass has listed the running containers
      await waitFor(() => out.includes('"name":"user-app"'), 20_000);
      const started = Date.now();
      await podman.runContainer({ name: "late", image: app.ref, user: "1000", command: ["sleep", "3600"] });
      await waitFor(() => out.includes('"name":"late"'), 5_000);
      const seenAfter = Date.now() - started;
      t.diagnostic(`the new container was checked ${seenAfter} ms after podman run returned`);
      assert.ok(seenAfter < 1_000, `seen ${seenAfter} ms after podman run returned`);
    } finally {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
    }
  });

  it("grace clock: a new critical finding starts a clock; the monitor enforces only after it, while a new deployment is denied at once", async () => {
    const store = `sqlite:${join(dir, "store.db")}`;
    const bundle = join(dir, "critical.json");
    await writeFile(
      bundle,
      JSON.stringify(
        bundleOfRules("critical-only", [
          [
            "vulnerabilities",
            "package",
            { package_type: "all", severity_comparison: ">=", severity: "critical" },
          ],
        ]),
      ),
    );
    await podman.runContainer({
      name: "graced",
      image: allowed.ref,
      user: "1000",
      command: ["sleep", "3600"],
    });
    const ini = await config(
      `[policy]\nalways_allow =\n\n[cipolice.checks.PolicyCheck]\nbundle = ${bundle}\ngrace_critical = 1d\ngrace_high = 7d\n`,
    );
    const monitorAt = (now: string, extra: string[] = []) =>
      once(ini, ["--store", store, "--now", now, ...extra]);
    // podman lists a local image's manifest digest as its repo digest: reports are stored under it, as CI pushes
    // them, and under the image id, which a Docker engine's never-pushed image is known by alone
    const put = async (text: string) => {
      const s = await openStore(store);
      try {
        for (const subject of [allowed.manifestDigest, allowed.id]) {
          await s.putReports(
            subject,
            [{ name: "trivy", format: "trivy", text }],
            new Date("2026-12-01T00:00:00Z"),
          );
        }
      } finally {
        await s.close();
      }
    };
    const first = await monitorAt("2026-12-01T00:00:00Z");
    assert.match(
      first.byName.get("graced")?.checks[0]?.message ?? "",
      /not decided \(on_no_data = pass\): no scan data/,
    );
    await put(JSON.stringify(trivyReport(allowed.ref, allowed.id)));
    const clean = await monitorAt("2026-12-01T01:00:00Z");
    assert.equal(clean.byName.get("graced")?.outcome, "pass", JSON.stringify(clean.byName.get("graced")));
    await put(JSON.stringify(trivyReport(allowed.ref, allowed.id, "CVE-2026-0001")));
    const found = await monitorAt("2026-12-01T02:00:00Z", ["--enforce", "stop"]);
    const graced = found.byName.get("graced");
    assert.equal(graced?.outcome, "pass", JSON.stringify(graced));
    assert.match(graced?.checks[0]?.message ?? "", /in grace until 2026-12-02T02:00:00\.000Z/);
    assert.equal(graced?.action, undefined);
    // A new deployment of that digest is denied at once by admission (the same bundle and store), with no grace
    const serve = await startServe({ config: serveConfig(bundle), args: ["--store", store] });
    try {
      const answer = await serve.request(
        "POST",
        "/k8s/admission",
        podReview("prod", [`localhost/allowed@${allowed.manifestDigest}`]),
      );
      const response = admissionAnswer(answer.json);
      assert.equal(response.allowed, false, answer.text);
      assert.match(response.status?.message ?? "", /CVE-2026-0001/);
    } finally {
      await serve.stop();
    }
    const status = await runCliAsync(["status", "--store", store, "--now", "2026-12-01T12:00:00Z"]);
    assert.match(
      status.stdout,
      /CVE-2026-0001\+\S* \(critical\): started 2026-12-01T02:00:00\.000Z, ends 2026-12-02T02:00:00\.000Z \(14 h 0 min\)/,
    );
    // Still in grace the next morning; after the day, the monitor stops it
    const later = await monitorAt("2026-12-02T01:00:00Z", ["--enforce", "stop"]);
    assert.equal(later.byName.get("graced")?.outcome, "pass");
    const over = await monitorAt("2026-12-02T03:00:00Z", ["--enforce", "stop"]);
    assert.equal(over.byName.get("graced")?.outcome, "fail");
    assert.match(over.byName.get("graced")?.checks[0]?.message ?? "", /grace period is over/);
    assert.equal(over.byName.get("graced")?.action, "stopped");
  });

  it("in loop mode, an engine that cannot be reached is tried again with a growing wait, each failure said", async () => {
    const ini = await config("[policy]\nalways_allow =\n");
    const child = spawn(
      process.execPath,
      ["--import", "tsx", join(REPO_ROOT, "src/cli/entry.ts"), "monitor", "-f", ini, "--interval", "1s"],
      {
        env: { ...process.env, DOCKER_HOST: `unix://${join(dir, "gone.sock")}` },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let err = "";
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      err += d;
    });
    try {
      await waitFor(() => /trying again in 2 s/.test(err), 15_000);
      assert.match(err, /gone\.sock/);
      assert.match(err, /trying again in 1 s/);
      assert.equal(child.exitCode, null, "the monitor must keep running");
    } finally {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
    }
  });

  it("tells the rules of a cipolice serve of each failed container, once per check", async () => {
    const rules = join(dir, "monitor.rules");
    await writeFile(rules, '# a container the monitor failed\nevent == "container.failed"\n\tlog\n');
    const serve = await startServe({
      config: serveConfig(join(REPO_ROOT, "policies", "default-bundle.yaml"), {
        events: {
          rules: [rules],
          evaluate: false,
          auth: [{ sender: "cipolice", scheme: "bearer", secret: "monitor-secret" }],
        },
      }),
    });
    try {
      const ini = await config(
        `[policy]\nalways_allow = ${allowed.id}\n\n[docker_monitor.checks.ActiveBuildCheck]\nlabels = role=build\n\n[docker_monitor.checks.RunningAsRootCheck]\nallow_root = off\n`,
      );
      const tokenFile = join(dir, "events.token");
      await writeFile(tokenFile, "monitor-secret\n");
      const run = await once(ini, ["--events", serve.url, "--events-token-file", tokenFile]);
      assert.equal(run.status, 1, run.stderr);
      assert.doesNotMatch(run.stderr, /cannot tell the rules/);
      const answer = await serve.request("GET", "/v1/events?limit=50", undefined, AUTH);
      const events = (
        answer.json as {
          events: {
            state: string;
            message?: { event?: string; container?: { name?: string }; check?: string };
          }[];
        }
      ).events;
      const failed = events.filter((e) => e.message?.event === "container.failed");
      assert.ok(
        failed.some((e) => e.message?.container?.name === "root-app" && e.state === "done"),
        JSON.stringify(events).slice(0, 2000),
      );
      assert.ok(failed.every((e) => e.message?.check === "docker_monitor.checks.RunningAsRootCheck"));
      assert.ok(
        !failed.some((e) => e.message?.container?.name === "user-app"),
        "a passing container is not sent",
      );
    } finally {
      await serve.stop();
    }
  });

  it("says clearly when the engine socket is missing", async () => {
    const run = await runCliAsync(["monitor", "-f", await config("[policy]\nalways_allow =\n"), "--once"], {
      env: { DOCKER_HOST: `unix://${join(dir, "nothing.sock")}` },
    });
    assert.equal(run.status, 2);
    assert.match(run.stderr, /nothing\.sock/);
  });
});

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
