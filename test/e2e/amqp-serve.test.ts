import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { createHmac } from "node:crypto";
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Connection } from "rabbitmq-client";
import { REPO_ROOT } from "../support/corpus.js";
import { runCliAsync } from "../support/run-cli.js";
import { type RabbitMqHandle, rabbitMqMissing, startRabbitMq, waitFor } from "./support/rabbitmq-harness.js";
import { freePort } from "./support/registry-harness.js";
import { AUTH, podReview, serveConfig } from "./support/serve-fixtures.js";
import { type RunningServe, startServe } from "./support/serve-harness.js";

// The event entry points over a real RabbitMQ: `cipolice publish` queues messages that `cipolice serve`
// (events.amqp) consumes; notifications received over HTTP are queued on the broker before the sender
// hears 202; the server's decisions go to the decisions exchange; `cipolice consume` is a worker of its own.
const missing = rabbitMqMissing();
const HMAC_SECRET = "amqp-serve-hmac-secret";

describe("events over AMQP through cipolice serve, publish and consume", { skip: missing }, () => {
  let broker: RabbitMqHandle;
  let dir: string;
  let server: RunningServe;
  let connection: Connection;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "cipolice-amqp-serve-"));
    await mkdir(join(dir, "runs"));
    // One file per run, named by the message's `id` field (written whole, then renamed): a second run shows as `.again`
    await writeFile(
      join(dir, "record.sh"),
      '#!/bin/sh\nd="$(dirname "$0")/runs"\nf="$d/$CIPOLICE_ID.json"\n[ -e "$f" ] && f="$f.again"\ncat > "$f.part" && mv "$f.part" "$f"\n',
    );
    await chmod(join(dir, "record.sh"), 0o755);
    await writeFile(join(dir, "events.rules"), 'id != ""\n\t./record.sh\n');
    broker = await startRabbitMq();
    connection = new Connection({ url: broker.url, retryLow: 100, retryHigh: 500 });
    server = await startServe({
      config: serveConfig(join(REPO_ROOT, "policies", "admission-example.yaml"), {
        events: {
          rules: [join(dir, "events.rules")],
          evaluate: false,
          auth: [{ sender: "cipolice", scheme: "hmac", secret: HMAC_SECRET }],
          amqp: { url: broker.url, queue: "cipolice.events", decisionsExchange: "cipolice.decisions" },
        },
      }),
    });
  });

  after(async () => {
    await server?.stop();
    await connection?.close();
    await broker?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  async function ran(id: string, timeoutMs = 30_000): Promise<Record<string, unknown>> {
    const file = join(dir, "runs", `${id}.json`);
    await waitFor(
      `the rules to run for ${id}`,
      async () => (await readdir(join(dir, "runs"))).includes(`${id}.json`),
      timeoutMs,
      () => server.logs().slice(-2000),
    );
    return JSON.parse(await readFile(file, "utf8"));
  }

  it("`cipolice publish` sends confirmed messages that the server's consumer runs the rules on, once each", async () => {
    const messages = Array.from({ length: 20 }, (_, i) =>
      JSON.stringify({ id: `pub-${i}`, image: `registry.example/app:${i}` }),
    );
    const input = join(dir, "messages.ndjson");
    await writeFile(input, `${messages.join("\n")}\n`);
    const run = await runCliAsync(["publish", "--amqp", broker.url, "--ndjson", `@${input}`]);
    assert.equal(run.status, 0, run.stderr);
    const ids = run.stdout.trim().split("\n");
    assert.equal(ids.length, 20);
    assert.equal(new Set(ids).size, 20, "message ids are unique");
    for (let i = 0; i < 20; i++) assert.equal((await ran(`pub-${i}`)).image, `registry.example/app:${i}`);
    // Published again under the same message id: acknowledged without running
    const again = await runCliAsync([
      "publish",
      "--amqp",
      broker.url,
      "--message-id",
      ids[0] ?? "",
      messages[0] ?? "",
    ]);
    assert.equal(again.status, 0, again.stderr);
    await waitFor(
      "the duplicate to be consumed",
      async () =>
        (await connection.queueDeclare({ queue: "cipolice.events", passive: true })).messageCount === 0,
      10_000,
    );
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(!(await readdir(join(dir, "runs"))).some((f) => f.endsWith(".again")), "a message ran twice");
  });

  it("queues an HTTP notification on the broker before answering 202, then runs it from the queue", async () => {
    const body = JSON.stringify({ id: "http-1", image: "registry.example/web:2" });
    const answer = await server.request("POST", "/events/cipolice", body, {
      "content-type": "application/json",
      "x-cipolice-signature": `sha256=${createHmac("sha256", HMAC_SECRET).update(body).digest("hex")}`,
    });
    assert.equal(answer.status, 202, answer.text);
    assert.equal((answer.json as { delivery: string }).delivery, "amqp");
    assert.equal((await ran("http-1")).image, "registry.example/web:2");
    const [event] = (
      (await server.request("GET", `/v1/events?limit=100`, undefined, AUTH)).json as {
        events: { source: string; message?: { id?: string } }[];
      }
    ).events.filter((e) => e.message?.id === "http-1");
    assert.equal(event?.source, "amqp:cipolice.events");
  });

  it("dead-letters a message that is not JSON, with the reason, and keeps consuming", async () => {
    const run = await runCliAsync(["publish", "--amqp", broker.url, "not json"]);
    assert.equal(run.status, 2, "the CLI refuses what is not a JSON object before sending");
    assert.match(run.stderr, /not valid JSON/);
    const raw = connection.createPublisher({ confirm: true });
    await raw.send(
      { routingKey: "cipolice.events", messageId: "raw-1", durable: true },
      Buffer.from("level >= {"),
    );
    await raw.close();
    await waitFor(
      "the dead letter",
      async () =>
        (await connection.queueDeclare({ queue: "cipolice.events.dead", passive: true })).messageCount >= 1,
      15_000,
    );
    const letter = await connection.basicGet({ queue: "cipolice.events.dead", noAck: true });
    assert.equal(letter?.messageId, "raw-1");
    assert.match(String(letter?.headers?.["x-cipolice-reason"]), /JSON/);
    const run2 = await runCliAsync(["publish", "--amqp", broker.url, JSON.stringify({ id: "after-dead" })]);
    assert.equal(run2.status, 0, run2.stderr);
    await ran("after-dead");
  });

  it("publishes the server's decisions to the decisions exchange under decision.<outcome>", async () => {
    await connection.queueDeclare({ queue: "all-decisions", durable: true });
    await connection.queueBind({
      queue: "all-decisions",
      exchange: "cipolice.decisions",
      routingKey: "decision.*",
    });
    // Denied by name alone (floating `latest`): decided without any lookup
    const review = await server.request("POST", "/k8s/admission", podReview("default", ["nginx:latest"]));
    assert.equal(review.status, 200, review.text);
    await waitFor(
      "a published decision",
      async () =>
        (await connection.queueDeclare({ queue: "all-decisions", passive: true })).messageCount >= 1,
      10_000,
    );
    const message = await connection.basicGet({ queue: "all-decisions", noAck: true });
    assert.equal(message?.routingKey, "decision.fail");
    const record = message?.body as {
      image?: string;
      outcome?: string;
      origin?: string;
      decisionId?: string;
    };
    assert.equal(record.image, "nginx:latest");
    assert.equal(record.origin, "admission");
    assert.equal(message?.messageId, record.decisionId);
  });

  it("`cipolice consume` is a worker of its own: it runs the rules on its queue and stops on SIGTERM", async () => {
    const port = await freePort();
    const worker: ChildProcess = spawn(
      process.execPath,
      [
        ...[
          "--import",
          "tsx",
          "src/cli/entry.ts",
          "consume",
          "--amqp",
          broker.url,
          "--queue",
          "worker.events",
        ],
        ...["--rules", join(dir, "events.rules"), "--store", `sqlite:${join(dir, "worker.db")}`],
        ...["--listen", `127.0.0.1:${port}`, "--log-level", "warn"],
      ],
      { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] },
    );
    let output = "";
    worker.stdout?.setEncoding("utf8").on("data", (d: string) => (output += d));
    worker.stderr?.setEncoding("utf8").on("data", (d: string) => (output += d));
    try {
      await waitFor(
        "the worker's health",
        async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.ok === true,
        30_000,
        () => output,
      );
      const run = await runCliAsync([
        "publish",
        "--amqp",
        broker.url,
        "--queue",
        "worker.events",
        JSON.stringify({ id: "worker-1" }),
      ]);
      assert.equal(run.status, 0, run.stderr);
      await ran("worker-1");
      // The worker serves health and metrics only: no admission, no event receivers
      assert.equal(
        (await fetch(`http://127.0.0.1:${port}/k8s/admission`, { method: "POST", body: "{}" })).status,
        404,
      );
    } finally {
      const exited = new Promise((r) => worker.once("exit", r));
      worker.kill("SIGTERM");
      await exited;
    }
    assert.equal(worker.exitCode, 0, output);
  });
});
