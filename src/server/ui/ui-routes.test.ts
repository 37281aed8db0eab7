import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { dashboardBundle } from "../../../test/support/dashboard-bundle.js";
import { send, type TestAnswer } from "../../../test/support/http-client.js";
import { createHttpServer, type HttpServer } from "../http-server.js";
import { silentLogger } from "../logger.js";
import { loadServeConfig } from "../serve-config.js";
import { type RunningServer, startServer } from "../start-server.js";
import { registerUiRoutes } from "./ui-routes.js";

const TOKEN = "ui-routes-token-0123456789";

function review(namespace: string, image: string): string {
  return JSON.stringify({
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: {
      uid: `uid-${Math.random()}`,
      kind: { group: "", version: "v1", kind: "Pod" },
      resource: { group: "", version: "v1", resource: "pods" },
      namespace,
      operation: "CREATE",
      object: { metadata: { name: "p", namespace }, spec: { containers: [{ name: "c", image }] } },
    },
  });
}

describe("the dashboard routes on a real server context", () => {
  let dir: string;
  let server: RunningServer;
  let open: HttpServer;
  let closed: HttpServer;
  let openUrl = "";
  let closedUrl = "";

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "cipolice-ui-routes-"));
    const path = join(dir, "bundle.json");
    writeFileSync(path, JSON.stringify(dashboardBundle(Date.now())));
    server = await startServer({
      config: loadServeConfig(
        JSON.stringify({ listen: "127.0.0.1:0", auth: { tokens: [{ name: "ci", token: TOKEN }] } }),
        "test",
      ),
      storeSpec: `sqlite:${join(dir, "cipolice.db")}`,
      policyPaths: [path],
      logger: silentLogger(),
    });
    const tokens = [{ name: "ci", token: TOKEN }];
    open = createHttpServer({ port: 0 });
    open.router.group("/ui", registerUiRoutes(server.context, { tokens, host: "127.0.0.1", tls: false }));
    closed = createHttpServer({ port: 0 });
    closed.router.group(
      "/ui",
      registerUiRoutes(server.context, { tokens, host: "127.0.0.1", tls: false, public: false }),
    );
    openUrl = (await open.listen()).url;
    closedUrl = (await closed.listen()).url;
    for (const [ns, image] of [
      ["prod", "docker.io/library/nginx:1.25"],
      ["prod", "docker.io/team/shop:1.0"],
      ["dev", "docker.io/team/legacy:latest"],
      ["dev", `docker.io/team/shop:latest`],
    ] as const) {
      const answer = await send(`${server.url}/k8s/admission`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: review(ns, image),
      });
      assert.equal(answer.status, 200, answer.text);
    }
    // The store write follows the answer
    for (let i = 0; i < 100; i++) {
      if ((await server.context.store.listDecisions({ limit: 10 })).length >= 4) break;
      await new Promise((r) => setTimeout(r, 20));
    }
  });

  after(async () => {
    await open?.close(100);
    await closed?.close(100);
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const get = (base: string, path: string, headers: Record<string, string> = {}) =>
    send(`${base}${path}`, { headers, timeoutMs: 10_000 });
  const rows = (a: TestAnswer) =>
    [...a.text.matchAll(/data-testid="decision-row" data-outcome="(\w+)"/g)].map((m) => m[1]);

  test("lists the stored decisions and filters them by outcome, namespace and image", async () => {
    const all = await get(openUrl, "/ui");
    assert.equal(all.status, 200, all.text);
    assert.equal(all.headers["content-type"], "text/html; charset=utf-8");
    assert.match(String(all.headers["content-security-policy"]), /^default-src 'none'/);
    assert.equal(all.headers["cache-control"], "no-store");
    assert.equal(rows(all).length, 4);
    assert.deepEqual(rows(await get(openUrl, "/ui?outcome=fail")), ["fail"]);
    assert.equal(rows(await get(openUrl, "/ui?namespace=dev")).length, 2);
    const legacy = await get(openUrl, "/ui?image=LEGACY");
    assert.equal(rows(legacy).length, 1);
    const bad = await get(openUrl, "/ui?outcome=<b>");
    assert.equal(bad.status, 400);
    assert.match(bad.text, /not &quot;&lt;b&gt;&quot;/);
  });

  test("a decision's page lists its rows and the allowlist item that suppressed one", async () => {
    const legacy = await get(openUrl, "/ui?image=team/legacy");
    const link = /href="(\/ui\/decisions\/[^"]+)"/.exec(legacy.text)?.[1];
    assert.ok(link, legacy.text);
    const one = await get(openUrl, link);
    assert.equal(one.status, 200, one.text);
    assert.match(one.text, /data-testid="result-row" data-effective="go"/);
    assert.match(one.text, /allowlist <b>Reviewed exceptions<\/b> item <b>legacy-latest<\/b>/);
    assert.match(one.text, /migrating off latest · owner team-web/);
    const missing = await get(openUrl, "/ui/decisions/no-such-id");
    assert.equal(missing.status, 404);
    assert.match(missing.text, /No decision <code>no-such-id<\/code>/);
  });

  test("expiring allowlist items come from the bundles in force", async () => {
    const soon = await get(openUrl, "/ui/allowlists");
    assert.equal(soon.status, 200);
    assert.deepEqual(
      [...soon.text.matchAll(/data-item="([^"]+)"/g)].map((m) => m[1]),
      ["legacy-latest"],
    );
    const year = await get(openUrl, "/ui/allowlists?days=500");
    assert.deepEqual(
      [...year.text.matchAll(/data-item="([^"]+)"/g)].map((m) => m[1]),
      ["legacy-latest", "next-year"],
    );
  });

  test("containers and grace clocks: the empty states of a store the monitor never wrote to", async () => {
    const containers = await get(openUrl, "/ui/containers");
    assert.equal(containers.status, 200, containers.text);
    assert.match(containers.text, /data-testid="empty">No container has been checked yet/);
    const grace = await get(openUrl, "/ui/grace");
    assert.equal(grace.status, 200, grace.text);
    assert.match(grace.text, /data-testid="empty">No grace clock is running/);
  });

  test("open on loopback only to requests that name a loopback host", async () => {
    const rebound = await get(openUrl, "/ui", { host: "127.0.0.1.nip.io" });
    assert.equal(rebound.status, 401);
    assert.match(rebound.text, /served without a token on loopback only/);
    assert.doesNotMatch(rebound.text, /<form class="login"/);
    assert.match(rebound.text, /Open it as http:\/\/127\.0\.0\.1:&lt;port&gt;\/ui/);
  });

  test("ui.public false: a sign-in form; a bad token is refused; a good one gives a session cookie", async () => {
    const first = await get(closedUrl, "/ui");
    assert.equal(first.status, 401);
    assert.match(first.text, /<form class="login" method="post" action="\/ui\/login"/);
    const post = (body: string, headers: Record<string, string> = {}) =>
      send(`${closedUrl}/ui/login`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
        body,
      });
    const wrong = await post("token=nope");
    assert.equal(wrong.status, 401);
    assert.match(wrong.text, /The token is not valid/);
    const foreign = await post(`token=${TOKEN}`, { origin: "https://attacker.example" });
    assert.equal(foreign.status, 403);
    const ok = await post(`token=${encodeURIComponent(TOKEN)}`, { origin: closedUrl });
    assert.equal(ok.status, 303);
    assert.equal(ok.headers.location, "/ui");
    const cookie = String(ok.headers["set-cookie"]).split(";")[0] ?? "";
    assert.match(cookie, /^cipolice_token=v1\.\d+\./);
    assert.ok(!cookie.includes(TOKEN));
    const signedIn = await get(closedUrl, "/ui", { cookie });
    assert.equal(signedIn.status, 200);
    assert.match(signedIn.text, /Sign out/);
    const bearer = await get(closedUrl, "/ui/grace", { authorization: `Bearer ${TOKEN}` });
    assert.notEqual(bearer.status, 401);
    const out = await send(`${closedUrl}/ui/logout`, { method: "POST", headers: { cookie } });
    assert.equal(out.status, 303);
    assert.match(String(out.headers["set-cookie"]), /^cipolice_token=; .*Max-Age=0/);
  });
});
