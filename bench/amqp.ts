import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type RabbitMqHandle, rabbitMqMissing, startRabbitMq } from "../test/e2e/support/rabbitmq-harness.js";
import { bundleReactorHandle, trivialReactorHandle } from "./amqp-handlers.js";
import { type AmqpRun, measureAmqp } from "./amqp-throughput.js";

// AMQP benchmark (issue 11): messages per second through a real RabbitMQ node (the test harness's own, on
// loopback), durable quorum queue, persistent messages, publisher confirms, manual acks, and the SQLite event
// ledger in a file (claim + finish per message), each message through CIPolicE's EventReactor (rules planned and
// run, outcomes recorded). (a) a trivial rule set: target >= 1,000 messages/s consumed. (b) the shipped default
// bundle evaluated, for each message, on the facts stored for its digest (read from the store, parsed,
// evaluated; no decision cache; legacy-app's facts, which fail it), the decision put in the message and a rule
// reacting to it with an action: target >= 300/s.
// Knobs: BENCH_AMQP_MESSAGES (20000), BENCH_AMQP_BATCH (500 publishes in flight), BENCH_AMQP_PREFETCH
// (16, the consumer's default).
const MESSAGES = Number(process.env.BENCH_AMQP_MESSAGES ?? 20_000);
const BATCH = Number(process.env.BENCH_AMQP_BATCH ?? 500);
const PREFETCH = Number(process.env.BENCH_AMQP_PREFETCH ?? 16);

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const DIGESTS = 100;
const digestOf = (n: number) => `sha256:${(n % DIGESTS).toString(16).padStart(64, "0")}`;
const RUNS: (AmqpRun & { target: number; setup: (dir: string) => Promise<Pick<AmqpRun, "handle">> })[] = [
  {
    name: "trivial rules",
    messages: MESSAGES,
    batch: BATCH,
    prefetch: PREFETCH,
    target: 1_000,
    setup: async (dir) => ({ handle: await trivialReactorHandle(join(dir, "verdicts.db")) }),
  },
  {
    name: "default bundle",
    messages: Math.min(MESSAGES, 10_000),
    batch: BATCH,
    prefetch: PREFETCH,
    target: 300,
    message: (n) => ({ image: `registry.example/web/app@${digestOf(n)}`, digest: digestOf(n) }),
    setup: async (dir) => ({
      handle: await bundleReactorHandle({
        storeFile: join(dir, "facts.db"),
        bundleFile: join(root, "policies/default-bundle.yaml"),
        factsText: readFileSync(join(root, "examples/legacy-app.facts.json"), "utf8"),
        digests: Array.from({ length: DIGESTS }, (_, n) => digestOf(n)),
      }),
    }),
  },
];

const missing = rabbitMqMissing();
if (missing) {
  console.log(`skipped AMQP benchmark: ${missing}`);
  process.exit(0);
}
const failures: string[] = [];
const dir = mkdtempSync(join(tmpdir(), "cipolice-bench-amqp-"));
let broker: RabbitMqHandle | undefined;
try {
  broker = await startRabbitMq();
  console.log(
    `cipolice AMQP benchmark: RabbitMQ node started in ${broker.startMs} ms; ${availableParallelism()} cores shared by broker, publisher and consumer, load average ${loadavg()[0]?.toFixed(1)} at start; ${MESSAGES} messages, publish batches of ${BATCH}, prefetch ${PREFETCH}`,
  );
  for (const run of RUNS) {
    const r = await measureAmqp(broker.url, dir, { ...run, ...(await run.setup(dir)) });
    const ok = r.consumePerSecond >= run.target;
    console.log(
      `${run.name.padEnd(16)} ${run.messages} messages: publish (confirmed) ${r.publishPerSecond.toFixed(0).padStart(6)} msgs/s, consume (ledger + ack) ${r.consumePerSecond.toFixed(0).padStart(6)} msgs/s ${ok ? `(ok, >= ${run.target})` : `(under ${run.target})`}; handled ${r.handled}, duplicates ${r.duplicates}, dead-lettered ${r.deadLettered}`,
    );
    if (r.handled !== run.messages) failures.push(`${run.name}: handled ${r.handled} of ${run.messages}`);
  }
} catch (error) {
  failures.push(error instanceof Error ? (error.stack ?? error.message) : String(error));
} finally {
  await broker?.stop();
  rmSync(dir, { recursive: true, force: true });
}
for (const failure of failures) console.error(`ERROR: ${failure}`);
process.exit(failures.length > 0 ? 1 : 0);
