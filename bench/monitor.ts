import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { loadMonitorConfig } from "../src/monitor/config/load-monitor-config.js";
import { DockerEngineClient, engineEndpoint } from "../src/monitor/engine/index.js";
import { checkRunningContainers } from "../src/monitor/monitor-run.js";
import { podmanMissing, startPodman } from "../test/e2e/support/podman-harness.js";
import { interleavedMediansAsync } from "./timing.js";

// Monitor benchmark (issue 13): checking every running container once, as a ratio to `podman ps` listing the
// same containers in the same run (the floor: one engine round trip per container is the least a check of
// each container's effective user costs). N containers from one cached image run under the harness's own
// podman service; the checks are the seed's ActiveBuild and RunningAsRoot. Measured two ways: the library
// with a warm engine client (a monitor in loop mode), and `cipolice monitor --once` as a fresh process (cron).
// Knob: BENCH_MONITOR_CONTAINERS (200).
const COUNT = Number(process.env.BENCH_MONITOR_CONTAINERS ?? 200);
const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const BIN = join(root, "bin/cipolice.cjs");

const missing = podmanMissing();
if (missing) {
  console.log(`skipped monitor benchmark: ${missing}`);
  process.exit(0);
}
if (!existsSync(join(root, "dist/cli/cipolice.cjs"))) {
  console.error("monitor benchmark: dist/cli/cipolice.cjs is missing; run npm run build first");
  process.exit(2);
}

const dir = mkdtempSync(join(tmpdir(), "cipolice-bench-monitor-"));
const podman = await startPodman();
try {
  const image = await podman.buildImage({ name: "bench", tag: "v1" });
  const setup = Date.now();
  for (let i = 0; i < COUNT; i++) {
    await podman.runContainer({
      name: `bench-${i}`,
      image: image.ref,
      command: ["sleep", "3600"],
      ...(i % 2 === 0 ? { user: "1000" } : {}),
    });
  }
  console.log(
    `monitor benchmark: ${COUNT} running containers started in ${((Date.now() - setup) / 1000).toFixed(0)} s`,
  );
  const ini = join(dir, "monitor.ini");
  writeFileSync(
    ini,
    "[policy]\nalways_allow =\n\n[docker_monitor.checks.ActiveBuildCheck]\n\n[docker_monitor.checks.RunningAsRootCheck]\nallow_root = off\n",
  );
  const env = { ...process.env, DOCKER_HOST: podman.dockerHost };
  const podmanPs = () => podman.podman(["ps", "--format", "{{.ID}} {{.Names}}"]);
  const client = new DockerEngineClient(engineEndpoint({ DOCKER_HOST: podman.dockerHost }));
  const config = await loadMonitorConfig({ path: ini });
  let checked = 0;
  const library = async () => {
    const results = await checkRunningContainers({
      client,
      host: podman.dockerHost,
      config,
      now: () => new Date(),
      onResult: () => {},
      onWarning: (m) => console.error(m),
    });
    checked = results.length;
  };
  const cli = async () => {
    try {
      execFileSync(process.execPath, [BIN, "monitor", "-f", ini, "--once", "--format", "json"], {
        env,
        stdio: ["ignore", "ignore", "pipe"],
      });
    } catch (error) {
      // Exit status 1: half the containers run as root and fail, as intended
      if ((error as { status?: number }).status !== 1) throw error;
    }
  };
  const [psLib, lib] = await interleavedMediansAsync(podmanPs, library, 7, 1);
  if (checked !== COUNT) throw new Error(`checked ${checked} containers, expected ${COUNT}`);
  const [psCli, fresh] = await interleavedMediansAsync(podmanPs, cli, 7, 1);
  client.close();
  console.log(`  podman ps (the floor)                  ${psLib.toFixed(0).padStart(6)} ms`);
  console.log(
    `  library, warm engine client            ${lib.toFixed(0).padStart(6)} ms   ratio ${(lib / psLib).toFixed(2)}x  (${((lib / COUNT) * 1000).toFixed(0)} µs per container)`,
  );
  console.log(
    `  cipolice monitor --once (new process)  ${fresh.toFixed(0).padStart(6)} ms   ratio ${(fresh / psCli).toFixed(2)}x  (podman ps ${psCli.toFixed(0)} ms alongside)`,
  );
} finally {
  await podman.stop();
  rmSync(dir, { recursive: true, force: true });
}
