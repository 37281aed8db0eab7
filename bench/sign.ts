import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseImageReference } from "../src/image/image-reference.js";
import { RegistryClient } from "../src/image/registry/registry-client.js";
import { signImage } from "../src/service/sign-image.js";
import { verifyImageSignatures } from "../src/service/verify-image.js";
import { loadPrivateKey } from "../src/sign/keys/index.js";
import { imageToolsMissing } from "../test/e2e/support/images.js";
import {
  registryToolsMissing,
  startRegistry,
  type TestRegistry,
} from "../test/e2e/support/registry-harness.js";
import {
  buildImageVariants,
  pushSignBenchImages,
  type SignBenchImage,
  type SignBenchKeys,
  writeSignBenchKeys,
} from "./sign-fixtures.js";

// Signing benchmark (issue 12): cosign signing and verification of one image on a loopback Distribution
// registry, per image, as a ratio to `skopeo inspect` of the same image in the same run (no target: figures
// only). Each round runs the floor and every measured path one after the other on a fresh copy of the image (its
// own repositories, so each signing is the first one and each verification finds exactly one signature): the
// library in this process (signImage / verifyImageSignatures, one warm RegistryClient, as a server or a CI step
// signing many images uses it) and the `cipolice sign` / `verify` commands as fresh processes (what one CI step
// pays), with the cosign encrypted key `keys generate` writes and, apart, an unencrypted PKCS#8 key (no scrypt).
// First ROUNDS rounds of one image, then DISTINCT distinct images (another manifest digest each).
// Knobs: BENCH_SIGN_ROUNDS (11), BENCH_SIGN_IMAGES (20).
const ROUNDS = Number(process.env.BENCH_SIGN_ROUNDS ?? 11);
const DISTINCT = Number(process.env.BENCH_SIGN_IMAGES ?? 20);
const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const BIN = join(root, "bin/cipolice.cjs");
const BUNDLE = join(root, "dist/cli/cipolice.cjs");

const missing = registryToolsMissing("anonymous") || imageToolsMissing();
if (missing) {
  console.log(`skipped signing benchmark: ${missing}`);
  process.exit(0);
}
if (!existsSync(BUNDLE) || !readFileSync(BUNDLE, "utf8").includes('"verify-attestation"')) {
  console.error(
    "signing benchmark: dist/cli/cipolice.cjs is missing or has no sign command; run npm run build first",
  );
  process.exit(2);
}

/** What one round measured, in milliseconds. */
interface Round {
  skopeo: number;
  node: number;
  cliStart: number;
  libSign: number;
  libVerify: number;
  cliSign: number;
  cliSignPkcs8: number;
  cliVerify: number;
}
type Measured = Exclude<keyof Round, "skopeo">;

const failures: string[] = [];
const dir = mkdtempSync(join(tmpdir(), "cipolice-bench-sign-"));
let registry: TestRegistry | undefined;
const client = new RegistryClient();
try {
  registry = await startRegistry("anonymous");
  const keys = writeSignBenchKeys(dir);
  const layout = await buildImageVariants(DISTINCT);
  const setupStart = Date.now();
  // Round 0 of the one image warms the client, skopeo's and node's file caches, and is not counted
  const one = await pushSignBenchImages(
    layout,
    registry,
    Array.from({ length: ROUNDS + 1 }, (_, r) => ({ name: `one-${r}`, tag: "v0" })),
  );
  const distinct = await pushSignBenchImages(
    layout,
    registry,
    layout.tags.map((tag, i) => ({ name: `img-${i}`, tag })),
  );
  await layout.remove();
  console.log(
    `cipolice signing benchmark: loopback Distribution registry, ${availableParallelism()} cores, load average ${loadavg()[0]?.toFixed(1)} at start; ${3 * (one.length + distinct.length)} image copies pushed in ${Date.now() - setupStart} ms`,
  );
  console.log(
    `key derivation of the cosign encrypted key (scrypt N=65536, in this process, median of 5): ${decryptMs(keys).toFixed(1)} ms`,
  );
  report(`one image, ${ROUNDS} rounds`, (await measureAll(one, keys)).slice(1));
  report(`${DISTINCT} distinct images, one round each`, await measureAll(distinct, keys));
} catch (error) {
  failures.push(error instanceof Error ? (error.stack ?? error.message) : String(error));
} finally {
  client.close();
  await registry?.stop();
  rmSync(dir, { recursive: true, force: true });
}
for (const failure of failures) console.error(`ERROR: ${failure}`);
process.exit(failures.length > 0 ? 1 : 0);

async function measureAll(images: SignBenchImage[], keys: SignBenchKeys): Promise<Round[]> {
  const rounds: Round[] = [];
  for (const image of images) rounds.push(await measureRound(image, keys));
  return rounds;
}

/** The floor and each measured path once, in this order, on the image's own repositories. */
async function measureRound(image: SignBenchImage, keys: SignBenchKeys): Promise<Round> {
  const trusted = [{ name: "bench", key: keys.publicKey }];
  const ref = parseImageReference(image.library);
  const skopeo = time(() => run("skopeo", ["inspect", "--tls-verify=false", `docker://${image.library}`]));
  // The floor of any Node.js command: a process that starts and does nothing
  const node = time(() => run(process.execPath, ["--max-semi-space-size=32", "-e", "0"]));
  // The floor of any cipolice command: the bundle loaded, nothing done
  const cliStart = time(() => cli(["--version"], keys, /^\d+\.\d+/));
  const libSign = await timeAsync(async () => {
    const result = await signImage(ref, { client, privateKey: keys.privateKey });
    if (!result.added) throw new Error(`signImage pushed nothing for ${image.library}`);
  });
  const libVerify = await timeAsync(async () => {
    const found = await verifyImageSignatures(ref, { client, keys: trusted });
    const valid = found.signatures.filter((s) => s.valid).length;
    if (valid !== 1 || found.signatures.length !== 1)
      throw new Error(
        `verifyImageSignatures found ${valid} valid of ${found.signatures.length} on ${image.library}`,
      );
  });
  const cliSign = time(() => cli(["sign", image.cli, "--key", keys.encryptedKeyFile], keys, /^signed /));
  const cliSignPkcs8 = time(() =>
    cli(["sign", image.cliPkcs8, "--key", keys.pkcs8KeyFile], keys, /^signed /),
  );
  const cliVerify = time(() =>
    cli(["verify", image.cli, "--key", keys.publicKeyFile], keys, /^verified: 1 valid signature/m),
  );
  return { skopeo, node, cliStart, libSign, libVerify, cliSign, cliSignPkcs8, cliVerify };
}

function run(command: string, args: string[], env?: NodeJS.ProcessEnv): string {
  const child = spawnSync(command, args, { encoding: "utf8", ...(env ? { env } : {}) });
  if (child.status !== 0)
    throw new Error(`${command} ${args.join(" ")} exited ${child.status}: ${child.stderr.trim()}`);
  return child.stdout;
}

/** `cipolice …` as a fresh process, as a user runs it; its output must match `expect`. */
function cli(args: string[], keys: SignBenchKeys, expect: RegExp): void {
  // CIPOLICE_PASSWORD is read before COSIGN_PASSWORD: set it, whatever the environment holds
  const out = run(process.execPath, ["--max-semi-space-size=32", BIN, ...args], {
    ...process.env,
    CIPOLICE_PASSWORD: keys.passphrase,
  });
  if (!expect.test(out)) throw new Error(`cipolice ${args.join(" ")} printed: ${out.trim()}`);
}

function decryptMs(keys: SignBenchKeys): number {
  const pem = readFileSync(keys.encryptedKeyFile, "utf8");
  return median(
    Array.from({ length: 5 }, () => time(() => loadPrivateKey(pem, keys.passphrase, keys.encryptedKeyFile))),
  );
}

function time(fn: () => unknown): number {
  const start = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

async function timeAsync(fn: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

function median(values: number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
}

/** Median time of each path and its ratio to the same round's skopeo inspect: median and range over rounds. */
function report(title: string, rounds: Round[]): void {
  const skopeo = median(rounds.map((r) => r.skopeo));
  console.log(`${title}: skopeo inspect (fresh process, the floor) ${skopeo.toFixed(1)} ms median`);
  const rows: [Measured, string][] = [
    ["node", "node -e 0 (fresh process)"],
    ["cliStart", "cipolice --version (CLI start-up)"],
    ["libSign", "signImage (library, this process)"],
    ["libVerify", "verifyImageSignatures (library)"],
    ["cliSign", "cipolice sign (cosign encrypted key)"],
    ["cliSignPkcs8", "cipolice sign (PKCS#8 key)"],
    ["cliVerify", "cipolice verify"],
  ];
  for (const [field, label] of rows) {
    const ratios = rounds.map((r) => r[field] / r.skopeo);
    const total = rounds.reduce((sum, r) => sum + r[field], 0) / rounds.reduce((sum, r) => sum + r.skopeo, 0);
    console.log(
      `  ${label.padEnd(38)} ${median(rounds.map((r) => r[field]))
        .toFixed(1)
        .padStart(
          7,
        )} ms   ratio ${median(ratios).toFixed(2)}x (rounds ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}, sums ${total.toFixed(2)}x)`,
    );
  }
}
