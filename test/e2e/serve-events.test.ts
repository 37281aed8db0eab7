import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { normalizeNotification } from "../../src/rules/notifications/normalize-notification.js";
import { CORPUS_ROOT, NO_CORPUS, REPO_ROOT } from "../support/corpus.js";
import { AUTH, serveConfig } from "./support/serve-fixtures.js";
import { type RunningServe, startServe } from "./support/serve-harness.js";

// `cipolice serve` receiving notifications over HTTP: every corpus payload accepted and turned into
// messages the rules run on; requests that are not authenticated get 401 and run nothing; message text
// reaches actions as data only. Evaluation is off here (the corpus names registries that are not ours).
const SECRETS = {
  clair: Buffer.from("clair-notifier-pre-shared-key").toString("base64"),
  distribution: "distribution-header-secret",
  harbor: "harbor-auth-header",
  dockerhub: "dockerhub-path-token",
  cipolice: "cipolice-hmac-secret",
};
const WEBHOOKS = join(CORPUS_ROOT, "webhooks");

describe("cipolice serve: event notifications over HTTP", () => {
  let dir: string;
  let server: RunningServe;
  // A web hook target that takes requests and never answers
  const hanging = createServer(() => {});
  // Clair's notifier API as documented: the corpus page, then a last page; DELETE marks a notification read
  const notifierRequests: { method: string; url: string; authorization?: string }[] = [];
  const notifier = createServer((req, res) => {
    notifierRequests.push({
      method: req.method ?? "",
      url: req.url ?? "",
      authorization: req.headers.authorization,
    });
    const url = new URL(req.url ?? "/", "http://notifier");
    if (req.method === "DELETE") return void res.writeHead(200).end();
    const page = JSON.parse(
      readFileSync(join(WEBHOOKS, "clair-v4", "notification_page_example.json"), "utf8"),
    );
    // The corpus page names a next page; the second page is the last
    const body = url.searchParams.has("next") ? { page: { size: 100 }, notifications: [] } : page;
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
  });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "cipolice-events-"));
    // The action records what it was given: its arguments and its standard input, one file per run
    await writeFile(
      join(dir, "record.sh"),
      '#!/bin/sh\nd="$(dirname "$0")/runs"\nf="$d/$(printf %05d "$(ls "$d" | grep -c "args$")")"\nprintf "%s\\n" "$@" > "$f.args"\ncat > "$f.stdin"\n',
    );
    await chmod(join(dir, "record.sh"), 0o755);
    await mkdir(join(dir, "runs"));
    await new Promise<void>((resolve) => hanging.listen(0, "127.0.0.1", resolve));
    await new Promise<void>((resolve) => notifier.listen(0, "127.0.0.1", resolve));
    const hook = `http://127.0.0.1:${(hanging.address() as AddressInfo).port}/hook`;
    await writeFile(
      join(dir, "events.rules"),
      `# every message with an image\nimage != ""\n\t./record.sh\nhang == true\n\t${hook}\n`,
    );
    server = await startServe({
      config: serveConfig(join(REPO_ROOT, "policies", "default-bundle.yaml"), {
        events: {
          rules: [join(dir, "events.rules")],
          evaluate: false,
          actionTimeoutSeconds: 2,
          clair: { origins: [`http://127.0.0.1:${(notifier.address() as AddressInfo).port}`] },
          webhooks: { retries: 2, backoffMs: 100 },
          auth: [
            { sender: "distribution", scheme: "header", secret: SECRETS.distribution },
            { sender: "harbor", scheme: "header", secret: SECRETS.harbor },
            { sender: "dockerhub", scheme: "path", secret: SECRETS.dockerhub },
            { sender: "cipolice", scheme: "hmac", secret: SECRETS.cipolice },
            { sender: "clair", scheme: "jwt", secret: SECRETS.clair, secretEncoding: "base64" },
          ],
        },
      }),
    });
  });
  after(async () => {
    hanging.closeAllConnections();
    hanging.close();
    notifier.close();
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  async function runs(): Promise<string[]> {
    return (await readdir(join(dir, "runs"))).filter((f) => f.endsWith(".args")).sort();
  }

  /** Posts a payload as its sender would, authenticated, and waits for the rules. */
  async function post(
    sender: string,
    body: string,
    headers: Record<string, string>,
    path = `/events/${sender}`,
  ) {
    return server.request("POST", `${path}?wait=true`, body, {
      "content-type": "application/json",
      ...headers,
    });
  }

  const corpus: { sender: string; folder: string; headers: Record<string, string>; path?: string }[] = [
    {
      sender: "distribution",
      folder: "distribution-registry",
      headers: { authorization: SECRETS.distribution },
    },
    { sender: "harbor", folder: "harbor", headers: { authorization: SECRETS.harbor } },
    { sender: "dockerhub", folder: "dockerhub", headers: {}, path: `/events/dockerhub/${SECRETS.dockerhub}` },
    { sender: "clair", folder: "clair-v4", headers: { authorization: `Bearer ${clairJwt(SECRETS.clair)}` } },
  ];

  for (const { sender, folder, headers, path } of corpus) {
    it(`accepts every ${sender} payload of the corpus and runs the rules on each image it names`, async (t) => {
      if (NO_CORPUS) return t.skip(NO_CORPUS);
      // Clair's notifier posts only the webhook; its pages are what the callback answers
      const files = (await readdir(join(WEBHOOKS, folder))).filter(
        (f) => f.endsWith(".json") && !f.startsWith("notification_page"),
      );
      assert.ok(files.length > 0, `no ${sender} payloads in the corpus`);
      for (const name of files) {
        let payload = JSON.parse(await readFile(join(WEBHOOKS, folder, name), "utf8"));
        // The documentation's fragment of one event: the registry sends it inside an envelope
        if (name === "event_delete_target.json") payload = { events: [{ action: "delete", ...payload }] };
        const expected = normalizeNotification(payload, { sender: sender as "harbor" });
        const before = (await runs()).length;
        const answer = await post(sender, JSON.stringify(payload), headers, path);
        assert.equal(answer.status, 200, `${name}: ${answer.text}`);
        const json = answer.json as {
          accepted: number;
          messages: { image?: string }[];
          results?: { state: string; outcomes: { status: string }[] }[];
          ignored?: string;
        };
        assert.equal(json.accepted, expected.messages.length, name);
        assert.deepEqual(
          json.messages.map((m) => m.image),
          expected.messages.map((m) => m.image),
          name,
        );
        if (expected.ignored !== undefined) assert.equal(json.ignored, expected.ignored);
        // Each message with an image ran the action once, with that image as its one argument
        const withImage = expected.messages.filter((m) => typeof m.image === "string" && m.image !== "");
        for (const result of json.results ?? []) assert.equal(result.state, "done", name);
        const after = await runs();
        assert.equal(after.length - before, withImage.length, `${name}: runs of the action`);
        for (const [i, run] of after.slice(before).entries()) {
          assert.equal(await readFile(join(dir, "runs", run), "utf8"), `${withImage[i]?.image}\n`);
        }
      }
    });
  }

  it("answers 401 and runs nothing for missing, wrong or replayed-on-another-body credentials", async (t) => {
    if (NO_CORPUS) return t.skip(NO_CORPUS);
    const push = join(WEBHOOKS, "harbor", "zulip_push_image.json");
    const body = await readFile(push);
    const hmac = (text: Buffer | string, secret = SECRETS.cipolice) =>
      `sha256=${createHmac("sha256", secret).update(text).digest("hex")}`;
    const message = JSON.stringify({ image: "registry.example/app:1", level: 5 });
    const before = await runs();
    const attempts: [string, string, Buffer | string, Record<string, string>][] = [
      ["harbor without a header", "/events/harbor", body, {}],
      ["harbor with a wrong header", "/events/harbor", body, { authorization: "guess" }],
      ["harbor with the API token", "/events/harbor", body, AUTH],
      ["harbor's payload on the generic route without a header", "/events", body, {}],
      ["docker hub with a wrong path token", "/events/dockerhub/wrong", body, {}],
      [
        "a message signed with another secret",
        "/events/cipolice",
        message,
        { "x-cipolice-signature": hmac(message, "x") },
      ],
      ["a signature of another body", "/events/cipolice", message, { "x-cipolice-signature": hmac("{}") }],
      ["quay, for which no credential is configured", "/events/quay", "{}", { authorization: "Basic eDp5" }],
    ];
    for (const [what, path, payload, headers] of attempts) {
      const answer = await server.request("POST", `${path}?wait=true`, payload, {
        "content-type": "application/json",
        ...headers,
      });
      assert.equal(answer.status, 401, `${what}: ${answer.text}`);
      const error = (answer.json as { error: { code: string; message: string } }).error;
      assert.equal(error.code, "CIP_UNAUTHORIZED", what);
      assert.match(error.message, /^Cannot accept the \w+ notification: /, what);
    }
    assert.deepEqual(await runs(), before, "an action ran for a refused request");
    const events = (await server.request("GET", "/v1/events?limit=1000", undefined, AUTH)).json as {
      events: { message?: { image?: string } }[];
    };
    assert.ok(
      !events.events.some((e) => e.message?.image === "registry.example/app:1"),
      "a refused message was recorded",
    );
    // The same message, rightly signed, runs
    const ok = await server.request("POST", "/events/cipolice?wait=true", message, {
      "content-type": "application/json",
      "x-cipolice-signature": hmac(message),
    });
    assert.equal(ok.status, 200, ok.text);
    assert.equal((await runs()).length, before.length + 1);
  });

  it("passes message text to actions as data only: no shell, no file touched", async () => {
    const sentinel = join(dir, "sentinel");
    await writeFile(sentinel, "untouched");
    const hostile = [
      `'; rm -rf ${sentinel}; echo '`,
      `$(rm -f ${sentinel})`,
      `\`rm -f ${sentinel}\``,
      `x\nrm -f ${sentinel}`,
      `../../../${sentinel}`,
    ];
    for (const [i, value] of hostile.entries()) {
      const message = JSON.stringify({ image: value, cve: value, note: value, labels: [value], level: 5 });
      const before = (await runs()).length;
      const answer = await server.request("POST", "/events/cipolice?wait=true", message, {
        "content-type": "application/json",
        "x-cipolice-message-id": `hostile-${i}`,
        "x-cipolice-signature": `sha256=${createHmac("sha256", SECRETS.cipolice).update(message).digest("hex")}`,
      });
      assert.equal(answer.status, 200, answer.text);
      const run = (await runs())[before];
      assert.ok(run, `no run for hostile value ${i}`);
      // The script got the value as its one argument, byte for byte, and the message on stdin
      assert.equal(await readFile(join(dir, "runs", run), "utf8"), `${value}\n`);
      const stdin = JSON.parse(await readFile(join(dir, "runs", run.replace(".args", ".stdin")), "utf8"));
      assert.equal(stdin.image, value);
    }
    assert.equal(await readFile(sentinel, "utf8"), "untouched");
  });

  it("runs a message id once: a sender's retry of the same body is acknowledged without running again", async () => {
    const message = JSON.stringify({ image: "registry.example/retry:1" });
    const headers = {
      "content-type": "application/json",
      "x-cipolice-signature": `sha256=${createHmac("sha256", SECRETS.cipolice).update(message).digest("hex")}`,
    };
    const before = (await runs()).length;
    const first = await server.request("POST", "/events/cipolice?wait=true", message, headers);
    const second = await server.request("POST", "/events/cipolice?wait=true", message, headers);
    assert.equal((first.json as { results: { state: string }[] }).results[0]?.state, "done");
    assert.equal((second.json as { results: { state: string }[] }).results[0]?.state, "duplicate");
    assert.equal((await runs()).length, before + 1);
  });

  it("queues messages without ?wait: 202 at once, the rules run behind, the outcome is in /v1/events", async () => {
    const message = JSON.stringify({ image: "registry.example/queued:1" });
    const answer = await server.request("POST", "/events/cipolice", message, {
      "content-type": "application/json",
      "x-cipolice-message-id": "queued-1",
      "x-cipolice-signature": `sha256=${createHmac("sha256", SECRETS.cipolice).update(message).digest("hex")}`,
    });
    assert.equal(answer.status, 202, answer.text);
    assert.equal((answer.json as { delivery: string }).delivery, "local");
    let state: string | undefined;
    for (let i = 0; i < 100 && state !== "done"; i++) {
      await new Promise((r) => setTimeout(r, 50));
      const listed = (await server.request("GET", "/v1/events?id=queued-1", undefined, AUTH)).json as {
        events: { state: string; outcomes: { status: string }[] }[];
      };
      state = listed.events[0]?.state;
      if (state === "done") assert.equal(listed.events[0]?.outcomes[0]?.status, "ok");
    }
    assert.equal(state, "done");
  });

  it("reads a Clair notification back from a trusted notifier: one message per affected manifest, then marks it read", async (t) => {
    if (NO_CORPUS) return t.skip(NO_CORPUS);
    const page = JSON.parse(
      readFileSync(join(WEBHOOKS, "clair-v4", "notification_page_example.json"), "utf8"),
    );
    const origin = `http://127.0.0.1:${(notifier.address() as AddressInfo).port}`;
    const callback = `${origin}/notifier/api/v1/notification/n-1`;
    notifierRequests.length = 0;
    const before = (await runs()).length;
    const answer = await post("clair", JSON.stringify({ notification_id: "n-1", callback }), {
      authorization: `Bearer ${clairJwt(SECRETS.clair)}`,
    });
    assert.equal(answer.status, 200, answer.text);
    const json = answer.json as { accepted: number; messages: { image?: string }[] };
    const manifests = (page.notifications as { manifest: string }[]).map((n) => `@${n.manifest}`);
    assert.equal(json.accepted, manifests.length);
    assert.deepEqual(
      json.messages.map((m) => m.image),
      manifests,
    );
    assert.equal(
      (await runs()).length - before,
      manifests.length,
      "the rules ran once per affected manifest",
    );
    // Both pages read with Clair's PSK, then the notification deleted, in that order
    assert.deepEqual(
      notifierRequests.map(
        (r) => `${r.method} ${new URL(r.url, origin).searchParams.has("next") ? "next" : "first"}`,
      ),
      ["GET first", "GET next", "DELETE first"],
    );
    assert.ok(notifierRequests.every((r) => /^Bearer [\w-]+\.[\w-]+\.[\w-]+$/.test(r.authorization ?? "")));
    assert.equal(new URL(notifierRequests[1]?.url ?? "", origin).searchParams.get("next"), page.page.next);
    // A callback elsewhere is never requested: the notification is taken as it came, and the answer says why
    const elsewhere = await post(
      "clair",
      JSON.stringify({
        notification_id: "n-2",
        callback: "http://127.0.0.2:9/notifier/api/v1/notification/n-2",
      }),
      { authorization: `Bearer ${clairJwt(SECRETS.clair)}` },
    );
    assert.equal(elsewhere.status, 200, elsewhere.text);
    assert.match((elsewhere.json as { ignored: string }).ignored, /not at a trusted notifier origin/);
    assert.equal(notifierRequests.length, 3);
  });

  it("a web hook that hangs is timed out and recorded, and never holds up the next message", async () => {
    const sign = (text: string) =>
      `sha256=${createHmac("sha256", SECRETS.cipolice).update(text).digest("hex")}`;
    const stuck = JSON.stringify({ image: "registry.example/stuck:1", hang: true });
    const queued = await server.request("POST", "/events/cipolice", stuck, {
      "x-cipolice-message-id": "stuck-1",
      "x-cipolice-signature": sign(stuck),
    });
    assert.equal(queued.status, 202, queued.text);
    const next = JSON.stringify({ image: "registry.example/next:1" });
    const answer = await server.request("POST", "/events/cipolice?wait=true", next, {
      "x-cipolice-message-id": "after-stuck-1",
      "x-cipolice-signature": sign(next),
    });
    assert.equal(answer.status, 200, answer.text);
    assert.ok(answer.ms < 1_500, `the next message waited ${answer.ms} ms behind the hanging hook`);
    let event: { state: string; outcomes: { action: string; status: string; error?: string }[] } | undefined;
    for (let i = 0; i < 100 && event?.state !== "done"; i++) {
      await new Promise((r) => setTimeout(r, 100));
      event = (
        (await server.request("GET", "/v1/events?id=stuck-1", undefined, AUTH)).json as {
          events: (typeof event)[];
        }
      ).events[0];
    }
    assert.equal(event?.state, "done");
    const hook = event?.outcomes.find((o) => o.action.startsWith("http://"));
    assert.ok(hook?.status === "timed_out" || hook?.status === "failed", JSON.stringify(hook));
    assert.match(hook?.error ?? "", /tr(y|ies)/);
  });

  it("refuses bodies that are not JSON objects with 400, and unknown senders with 400, naming what is wrong", async () => {
    const sign = (text: string) =>
      `sha256=${createHmac("sha256", SECRETS.cipolice).update(text).digest("hex")}`;
    const notJson = await server.request("POST", "/events/cipolice", "not json", {
      "x-cipolice-signature": sign("not json"),
    });
    assert.equal(notJson.status, 400, notJson.text);
    assert.match(notJson.text, /not valid JSON/);
    const array = await server.request("POST", "/events/cipolice", "[1]", {
      "x-cipolice-signature": sign("[1]"),
    });
    assert.equal(array.status, 400, array.text);
    const unknown = await server.request("POST", "/events/gitlab", "{}", {});
    assert.equal(unknown.status, 400, unknown.text);
    assert.match(unknown.text, /no such sender/);
  });
});

/** An HS256 JWT as Clair's notifier signs it with its pre-shared key (base64), valid for a minute. */
function clairJwt(keyBase64: string): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const now = Math.floor(Date.now() / 1000);
  const unsigned = `${part({ alg: "HS256", typ: "JWT" })}.${part({ iss: "clairv4-notifier", nbf: now, exp: now + 60 })}`;
  const signature = createHmac("sha256", Buffer.from(keyBase64, "base64"))
    .update(unsigned)
    .digest("base64url");
  return `${unsigned}.${signature}`;
}
