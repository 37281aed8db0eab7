import { spawnSync } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { buildImage, imageToolsMissing, pushImage } from "../test/e2e/support/images.js";
import { registryToolsMissing, startRegistry } from "../test/e2e/support/registry-harness.js";

// Image facts benchmark: facts for one image from a loopback Distribution registry, against `skopeo inspect
// --config` of the same image, in one run (target: ratio <= 1.0). Measured two ways: the built library in
// this process (a warm client, as a server or a CI step checking many images uses it), and the `cipolice facts`
// command as a fresh process (what one CI step pays), each against skopeo as a fresh process.
const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const missing = registryToolsMissing("anonymous") || imageToolsMissing();
if (missing) {
  console.log(`skipped image benchmark: ${missing}`);
  process.exit(0);
}
const { readImageFacts } = (await import(
  pathToFileURL(join(root, "dist/service/read-image.js")).href
)) as typeof import("../src/service/read-image.js");

const registry = await startRegistry("anonymous");
try {
  const image = await buildImage({
    user: "1000",
    env: ["A=1"],
    labels: { a: "b" },
    files: { "etc/app.conf": "x=1\n" },
  });
  await pushImage(image, registry, "bench/app:1");
  await image.remove();
  const ref = `${registry.host}/bench/app:1`;
  const time = (fn: () => unknown) => {
    const start = process.hrtime.bigint();
    fn();
    return Number(process.hrtime.bigint() - start) / 1e6;
  };
  const timeAsync = async (fn: () => Promise<unknown>) => {
    const start = process.hrtime.bigint();
    await fn();
    return Number(process.hrtime.bigint() - start) / 1e6;
  };
  const skopeo = () => {
    const run = spawnSync("skopeo", [
      "inspect",
      "--config",
      "--tls-verify=false",
      "--no-creds",
      `docker://${ref}`,
    ]);
    if (run.status !== 0) throw new Error(String(run.stderr));
  };
  const cli = () => {
    const run = spawnSync(process.execPath, [
      "--max-semi-space-size=32",
      join(root, "bin/cipolice.cjs"),
      "facts",
      ref,
    ]);
    if (run.status !== 0) throw new Error(String(run.stderr));
  };
  // The floor of any Node.js CLI: a process that starts and does nothing
  const nodeStart = () => {
    const run = spawnSync(process.execPath, ["--max-semi-space-size=32", "-e", "0"]);
    if (run.status !== 0) throw new Error(String(run.stderr));
  };
  const median = (t: number[]) => t.sort((a, b) => a - b)[Math.floor(t.length / 2)] as number;
  const skopeoMs: number[] = [];
  const cliMs: number[] = [];
  const libMs: number[] = [];
  const nodeMs: number[] = [];
  for (let i = 0; i < 11; i++) {
    skopeoMs.push(time(skopeo));
    nodeMs.push(time(nodeStart));
    cliMs.push(time(cli));
    libMs.push(await timeAsync(() => readImageFacts({ kind: "registry", reference: ref })));
  }
  const s = median(skopeoMs);
  console.log(`skopeo inspect --config (fresh process):  ${s.toFixed(1)} ms`);
  console.log(
    `node -e 0 (fresh process, the floor):      ${median(nodeMs).toFixed(1)} ms   ratio ${(median(nodeMs) / s).toFixed(2)}x`,
  );
  console.log(
    `cipolice facts (fresh process):           ${median(cliMs).toFixed(1)} ms   ratio ${(median(cliMs) / s).toFixed(2)}x`,
  );
  console.log(
    `readImageFacts (library, in this process): ${median(libMs).toFixed(1)} ms   ratio ${(median(libMs) / s).toFixed(2)}x (target <= 1.0)`,
  );
} finally {
  await registry.stop();
}
