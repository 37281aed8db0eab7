import assert from "node:assert/strict";
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { buildImage, type ImageLayout, imageToolsMissing, pushImage } from "./support/images.js";
import {
  freePort,
  registryToolsMissing,
  startRegistry,
  type TestRegistry,
} from "./support/registry-harness.js";
import {
  AUTH,
  admissionAnswer,
  type ExampleBundle,
  exampleBundleFor,
  podReview,
  serveConfig,
  trivyReport,
} from "./support/serve-fixtures.js";
import { type RunningServe, startServe } from "./support/serve-harness.js";

// A real Distribution registry notifies `cipolice serve` of each push (its `notifications` endpoint, with
// a header the server checks). The push makes CIPolicE read the image from the registry, take the reports
// stored for its digest, decide, store the decision (admission then finds it ready), and run the rules
// with the decision in the message; a rule's `reject` is then seen by admission.
const skip = registryToolsMissing() || imageToolsMissing();
const SECRET = "registry-notification-secret";

describe("cipolice serve: registry push notifications drive evaluation and rules", { skip }, () => {
  let dir: string;
  let registry: TestRegistry;
  let bundle: ExampleBundle;
  let server: RunningServe;
  const layouts: ImageLayout[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "cipolice-registry-events-"));
    await mkdir(join(dir, "runs"));
    await writeFile(
      join(dir, "record.sh"),
      '#!/bin/sh\nd="$(dirname "$0")/runs"\ncat > "$d/$(printf %05d "$(ls "$d" | wc -l)").json"\n',
    );
    await chmod(join(dir, "record.sh"), 0o755);
    await writeFile(
      join(dir, "push.rules"),
      [
        "# every decided push is recorded; an image nobody scanned is rejected until somebody does",
        'event == "push"',
        "\t./record.sh",
        'event == "push" and decision.status == "unknown"',
        "\treject",
        "",
      ].join("\n"),
    );
    const port = await freePort();
    registry = await startRegistry("anonymous", {
      extraConfig: [
        "notifications:",
        "  endpoints:",
        "    - name: cipolice",
        `      url: http://127.0.0.1:${port}/events/distribution`,
        "      headers:",
        `        Authorization: [${JSON.stringify(SECRET)}]`,
        "      timeout: 5s",
        "      threshold: 3",
        "      backoff: 200ms",
        "",
      ].join("\n"),
    });
    bundle = await exampleBundleFor(registry.host);
    server = await startServe({
      port,
      config: serveConfig(bundle.path, {
        events: {
          rules: [join(dir, "push.rules")],
          auth: [{ sender: "distribution", scheme: "header", secret: SECRET }],
        },
      }),
    });
  });

  after(async () => {
    await server?.stop();
    await registry?.stop();
    await bundle?.remove();
    await Promise.all(layouts.map((l) => l.remove()));
    await rm(dir, { recursive: true, force: true });
  });

  async function recorded(): Promise<Record<string, unknown>[]> {
    const files = (await readdir(join(dir, "runs"))).sort();
    return Promise.all(files.map(async (f) => JSON.parse(await readFile(join(dir, "runs", f), "utf8"))));
  }

  /** Waits until the rules recorded a message about `digest`. */
  async function waitForRun(digest: string): Promise<Record<string, unknown>> {
    for (let i = 0; i < 200; i++) {
      const found = (await recorded()).find((m) => m.digest === digest);
      if (found) return found;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.fail(`no rule ran for the push of ${digest}; server log:\n${server.logs().slice(-3000)}`);
  }

  /** Waits until the ledger has the push of `digest` done, every action of its rules run. */
  async function waitForEvent(digest: string): Promise<void> {
    for (let i = 0; i < 200; i++) {
      const listed = (await server.request("GET", "/v1/events?limit=100", undefined, AUTH)).json as {
        events: { state: string; message?: { digest?: string } }[];
      };
      if (listed.events.some((e) => e.message?.digest === digest && e.state === "done")) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.fail(`the push of ${digest} was not processed to the end`);
  }

  async function build(files: Record<string, string>): Promise<{ layout: ImageLayout; digest: string }> {
    const layout = await buildImage({ files, user: "1000" });
    layouts.push(layout);
    const index = JSON.parse(await readFile(join(layout.layoutDir, "index.json"), "utf8"));
    return { layout, digest: index.manifests[0].digest };
  }

  it("a push of a scanned image: decided from its stored report, the decision in the message and in the store", async () => {
    const { layout, digest } = await build({ "/srv/web/version": "1.0\n" });
    const image = `${registry.host}/web/shop:1.0`;
    const push = await server.request(
      "PUT",
      `/v1/images/${digest}/reports?format=trivy`,
      JSON.stringify(trivyReport(image, digest, "CVE-2024-9999")),
      AUTH,
    );
    assert.equal(push.status, 201, push.text);
    await pushImage(layout, registry, "web/shop:1.0");
    const message = await waitForRun(digest);
    assert.equal(message.event, "push");
    assert.equal(message.sender, "distribution");
    assert.equal(message.image, image);
    const decision = message.decision as Record<string, unknown>;
    // Outside production (a push has no namespace) the example bundle warns of a critical vulnerability
    assert.equal(decision.status, "pass");
    assert.equal(decision.final_action, "warn");
    assert.equal((decision.counts as Record<string, number>).critical, 1);
    assert.equal(decision.digest, digest);
    const stored = (await server.request("GET", `/v1/decisions?digest=${digest}`, undefined, AUTH)).json as {
      decisions: { origin: string; outcome: string; decisionId: string }[];
    };
    const byEvent = stored.decisions.find((d) => d.origin === "event");
    assert.equal(byEvent?.outcome, "pass");
    assert.equal(byEvent?.decisionId, decision.decision_id);
    // In production the same stored report denies it
    const review = await server.request("POST", "/k8s/admission", podReview("prod", [image]));
    const answer = admissionAnswer(review.json);
    assert.equal(answer.allowed, false, review.text);
    assert.match(answer.status?.message ?? "", /CVE-2024-9999|vulnerabilit/);
  });

  it("a push of an image nobody scanned: the rule rejects it, and admission denies it even once a clean report comes", async () => {
    const { layout, digest } = await build({ "/srv/web/version": "2.0\n" });
    const image = `${registry.host}/web/cart:2.0`;
    await pushImage(layout, registry, "web/cart:2.0");
    const message = await waitForRun(digest);
    const decision = message.decision as Record<string, unknown>;
    assert.equal(decision.status, "unknown");
    // The recording action runs before `reject`: wait until the whole message is done
    await waitForEvent(digest);
    assert.match(String(decision.reason), /no scan data/);
    // The clean report would pass the policy, but the rule's verdict on the digest stands
    const push = await server.request(
      "PUT",
      `/v1/images/${digest}/reports?format=trivy`,
      JSON.stringify(trivyReport(image, digest)),
      AUTH,
    );
    assert.equal(push.status, 201, push.text);
    const review = await server.request("POST", "/k8s/admission", podReview("default", [image]));
    const answer = admissionAnswer(review.json);
    assert.equal(answer.allowed, false, review.text);
    assert.match(answer.status?.message ?? "", /rejected by a rule/);
    const events = (await server.request("GET", "/v1/events?limit=100", undefined, AUTH)).json as {
      events: {
        source: string;
        state: string;
        message?: { digest?: string };
        outcomes: { action: string; status: string }[];
      }[];
    };
    const event = events.events.find((e) => e.message?.digest === digest);
    assert.equal(event?.source, "http:distribution");
    assert.equal(event?.state, "done");
    assert.deepEqual(
      event?.outcomes.map((o) => [o.action, o.status]),
      [
        ["./record.sh", "ok"],
        ["reject", "ok"],
      ],
    );
  });
});
