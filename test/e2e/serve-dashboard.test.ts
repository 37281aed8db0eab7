import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type Browser, chromium, type Page } from "playwright-core";
import type { Store } from "../../src/service/store-ports.js";
import { openStore } from "../../src/store/open-store.js";
import { dashboardBundle } from "../support/dashboard-bundle.js";
import { AUTH, admissionAnswer, podReview, serveConfig, TEST_TOKEN } from "./support/serve-fixtures.js";
import { type RunningServe, startServe } from "./support/serve-harness.js";

const CHROMIUM = "/usr/bin/chromium";
const skip = existsSync(CHROMIUM)
  ? false
  : `${CHROMIUM} not found (apt-get install chromium): dashboard test skipped`;
if (skip) console.log(`# ${skip}`);

const DAY_MS = 86_400_000;
// Attacker-controlled values as admission receives them: an image name and a namespace that carry markup
const HOSTILE_IMAGE = `docker.io/team/x"><img src=x onerror="window.pwned=1">:1`;
const HOSTILE_NAMESPACE = "<script>window.pwned=2</script>";

/** The images admitted, by namespace, and whether admission allows each. */
const ADMITTED: { namespace: string; image: string; allowed: boolean }[] = [
  { namespace: "prod", image: "docker.io/library/nginx:1.25", allowed: false },
  { namespace: "prod", image: "docker.io/team/shop:1.0", allowed: true },
  { namespace: "dev", image: "docker.io/team/legacy:latest", allowed: true },
  { namespace: "dev", image: "docker.io/team/shop:latest", allowed: true },
  { namespace: "dev", image: "docker.io/library/redis:7", allowed: false },
  { namespace: HOSTILE_NAMESPACE, image: HOSTILE_IMAGE, allowed: false },
];

interface StoredDecision {
  decisionId: string;
  image: string;
  outcome: string;
  namespace?: string;
}

let dir = "";
let shots = "";
let serve: RunningServe | undefined;
let locked: RunningServe | undefined;
let browser: Browser | undefined;
let dbPath = "";

describe("cipolice serve: the dashboard at /ui in headless Chromium", { skip, timeout: 60_000 }, () => {
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "cipolice-dashboard-"));
    // Kept after the run, so that the screenshots can be looked at
    shots = mkdtempSync(join(tmpdir(), "cipolice-dashboard-shots-"));
    const policy = join(dir, "bundle.json");
    writeFileSync(policy, JSON.stringify(dashboardBundle(Date.now())));
    dbPath = join(dir, "dashboard.db");
    const store = { store: { type: "sqlite", path: dbPath } };
    [serve, locked, browser] = await Promise.all([
      startServe({ config: serveConfig(policy, store) }),
      startServe({ config: serveConfig(policy, { ui: { public: false } }) }),
      chromium.launch({
        executablePath: CHROMIUM,
        args: [
          "--no-sandbox",
          "--disable-gpu",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync",
          "--no-first-run",
        ],
      }),
    ]);
    for (const { namespace, image, allowed } of ADMITTED) {
      const answer = await serve.request("POST", "/k8s/admission", podReview(namespace, [image]));
      assert.equal(answer.status, 200, answer.text);
      assert.equal(admissionAnswer(answer.json).allowed, allowed, `${image}: ${answer.text}`);
    }
    // The store write follows the answer: wait until the API lists every decision
    const deadline = Date.now() + 5000;
    while ((await storedDecisions()).length < ADMITTED.length && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
  });

  after(async () => {
    await browser?.close();
    await Promise.allSettled([serve?.stop(), locked?.stop()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function storedDecisions(): Promise<StoredDecision[]> {
    assert.ok(serve);
    const answer = await serve.request("GET", "/v1/decisions?limit=100", undefined, AUTH);
    assert.equal(answer.status, 200, answer.text);
    return (answer.json as { decisions: StoredDecision[] }).decisions;
  }

  /**
   * A page that records every URL it requests; `outside()` lists those that left the server's origin, with
   * any script error or Content-Security-Policy violation.
   */
  async function openPage(origin: string): Promise<{ page: Page; outside: () => string[] }> {
    assert.ok(browser);
    const page = await browser.newPage({ viewport: { width: 1366, height: 850 } });
    const requested: string[] = [];
    page.on("request", (r) => requested.push(r.url()));
    // An injected script that ran would throw here and fail the page check below
    page.on("pageerror", (e) => requested.push(`pageerror:${e.message}`));
    // A style or form the Content-Security-Policy blocked would be a page that looks or works wrong
    page.on("console", (m) => {
      if (/Content Security Policy/i.test(m.text())) requested.push(`csp:${m.text()}`);
    });
    return { page, outside: () => requested.filter((u) => !u.startsWith(`${origin}/`)) };
  }

  async function shoot(t: test.TestContext, page: Page, name: string): Promise<void> {
    const path = join(shots, `${name}.png`);
    await page.screenshot({ path, fullPage: true });
    assert.ok(statSync(path).size > 1000);
    assert.deepEqual([...readFileSync(path).subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
    t.diagnostic(`screenshot: ${path}`);
  }

  test("the decisions list shows what admission stored; the outcome filter shows only the denied", async (t) => {
    assert.ok(serve);
    const stored = await storedDecisions();
    assert.equal(stored.length, ADMITTED.length, JSON.stringify(stored));
    const { page, outside } = await openPage(serve.url);
    const response = await page.goto(`${serve.url}/ui`);
    assert.equal(response?.status(), 200);
    const rows = page.getByTestId("decision-row");
    assert.equal(await rows.count(), ADMITTED.length);
    // Every stored image is listed by its exact text, the hostile one included, and nothing it carries ran
    const listed = await page.getByTestId("decision-link").allTextContents();
    assert.deepEqual([...listed].sort(), stored.map((d) => d.image).sort());
    assert.ok(listed.includes(HOSTILE_IMAGE), listed.join("\n"));
    assert.ok(await page.getByText(HOSTILE_NAMESPACE, { exact: true }).count());
    assert.equal(await page.evaluate("typeof window.pwned"), "undefined");
    assert.equal(await page.locator("main img, main script").count(), 0);
    // The inline style is the one the CSP allows: applied, not blocked
    assert.equal(
      await page.evaluate('getComputedStyle(document.querySelector("header")).backgroundColor'),
      "rgb(29, 35, 42)",
    );
    await shoot(t, page, "decisions");

    await page.getByLabel("Outcome").selectOption("fail");
    await page.getByRole("button", { name: "Filter" }).click();
    await page.waitForURL(/outcome=fail/);
    const denied = ADMITTED.filter((a) => !a.allowed).length;
    assert.equal(await rows.count(), denied);
    const outcomes = await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-outcome")));
    assert.deepEqual(outcomes, Array(denied).fill("fail"));
    await shoot(t, page, "decisions-denied");

    await page.goto(`${serve.url}/ui?namespace=dev&image=TEAM%2F`);
    assert.deepEqual([...(await page.getByTestId("decision-link").allTextContents())].sort(), [
      "docker.io/team/legacy:latest",
      "docker.io/team/shop:latest",
    ]);
    assert.deepEqual(outside(), [], "no request leaves the page's origin");
    await page.close();
  });

  test("a decision's page lists its rows and what suppressed them; links lead between views", async (t) => {
    assert.ok(serve);
    const { page, outside } = await openPage(serve.url);
    await page.goto(`${serve.url}/ui?image=team/legacy`);
    await page.getByTestId("decision-link").first().click();
    await page.waitForURL(/\/ui\/decisions\//);
    assert.equal(await page.getByTestId("image").textContent(), "docker.io/team/legacy:latest");
    const rows = page.getByTestId("result-row");
    assert.equal(await rows.count(), 1);
    assert.deepEqual(
      await rows
        .first()
        .locator("td")
        .allTextContents()
        .then((cells) => [cells[0], cells[1], cells[4], cells[5]]),
      ["image_source", "tag_latest", "warn", "go"],
    );
    const by = (await page.getByTestId("suppressed-by").textContent()) ?? "";
    assert.match(by, /allowlist Reviewed exceptions item legacy-latest/);
    assert.match(by, /migrating off latest · owner team-web/);
    await shoot(t, page, "decision-allowlisted");

    // A denied image's page: its stopping row with the rule that fired
    await page.goto(`${serve.url}/ui?image=nginx`);
    await page.getByTestId("decision-link").first().click();
    await page.waitForURL(/\/ui\/decisions\//);
    const stop = page.locator('[data-testid="result-row"][data-effective="stop"]');
    assert.equal(await stop.count(), 1);
    assert.match((await stop.textContent()) ?? "", /repository_name/);
    await shoot(t, page, "decision-denied");

    await page.getByTestId("nav-allowlists").click();
    await page.waitForURL(/\/ui\/allowlists$/);
    const items = await page
      .getByTestId("allowlist-row")
      .evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-item")));
    assert.deepEqual(items, ["legacy-latest"], "only the item expiring within 30 days");
    await shoot(t, page, "allowlists");
    await page.getByLabel("Expiring within (days)").fill("500");
    await page.getByRole("button", { name: "Show" }).click();
    await page.waitForURL(/days=500/);
    assert.equal(await page.getByTestId("allowlist-row").count(), 2);
    assert.deepEqual(outside(), [], "no request leaves the page's origin");
    await page.close();
  });

  test("running containers and grace clocks recorded in the store show with their checks and clocks", async (t) => {
    assert.ok(serve);
    const digest = `sha256:${"4".repeat(64)}`;
    const now = Date.now();
    // Written as the monitor does, into the SQLite file the server reads
    const store: Store = await openStore(`sqlite:${dbPath}`);
    try {
      await store.recordContainerCheck({
        host: "unix:///run/test.sock",
        containerId: "c".repeat(64),
        containerName: "web-<b>1</b>",
        image: "team/web:1",
        imageId: `sha256:${"5".repeat(64)}`,
        digest,
        outcome: "fail",
        checks: [
          { section: "ActiveBuildCheck", result: "PASS" },
          { section: "RunningAsRootCheck", result: "FAIL", message: "runs as root" },
        ],
        action: "grace",
        checkedAt: new Date(now - 60_000).toISOString(),
      });
      await store.recordContainerCheck({
        host: "unix:///run/test.sock",
        containerId: "d".repeat(64),
        containerName: "builder",
        image: "team/build:2",
        imageId: `sha256:${"6".repeat(64)}`,
        outcome: "pass",
        checks: [{ section: "ActiveBuildCheck", result: "PASS_FAST" }],
        checkedAt: new Date(now - 120_000).toISOString(),
      });
      await store.startGraceClocks(digest, [
        {
          finding: "CVE-2099-7777+openssl",
          severity: "critical",
          startedAt: new Date(now - DAY_MS).toISOString(),
          endsAt: new Date(now + 6.5 * DAY_MS).toISOString(),
        },
      ]);
    } finally {
      await store.close();
    }
    const { page, outside } = await openPage(serve.url);
    assert.equal((await page.goto(`${serve.url}/ui/containers`))?.status(), 200);
    const rows = page.getByTestId("container-row");
    assert.equal(await rows.count(), 2);
    const failing =
      (await page.locator('[data-testid="container-row"][data-outcome="fail"]').textContent()) ?? "";
    assert.match(failing, /web-<b>1<\/b>/);
    assert.match(failing, /RunningAsRootCheck FAIL runs as root/);
    assert.match(failing, /CVE-2099-7777\+openssl ends in 6 d/);
    await shoot(t, page, "containers");
    await page.getByLabel("Outcome").selectOption("pass");
    await page.getByRole("button", { name: "Filter" }).click();
    await page.waitForURL(/outcome=pass/);
    assert.deepEqual(await page.locator('[data-testid="container-row"] b').allTextContents(), ["builder"]);

    await page.getByTestId("nav-grace").click();
    await page.waitForURL(/\/ui\/grace$/);
    const clock = page.getByTestId("grace-row");
    assert.equal(await clock.count(), 1);
    assert.match((await clock.textContent()) ?? "", /CVE-2099-7777\+openssl.*critical.*running/);
    await shoot(t, page, "grace");
    // From the clock to the containers running that digest
    await clock.getByRole("link", { name: "containers" }).click();
    await page.waitForURL(/\/ui\/containers\?q=sha256/);
    assert.equal(await rows.count(), 1);
    assert.deepEqual(outside(), [], "no request leaves the page's origin");
    await page.close();
  });

  test("ui.public false: the browser signs in with a token and keeps a session cookie", async (t) => {
    assert.ok(locked);
    const { page, outside } = await openPage(locked.url);
    const first = await page.goto(`${locked.url}/ui`);
    assert.equal(first?.status(), 401);
    await page.getByLabel(/API token/).fill("not-the-token");
    await page.getByRole("button", { name: "Sign in" }).click();
    assert.match((await page.getByRole("alert").textContent()) ?? "", /The token is not valid/);
    await page.getByLabel(/API token/).fill(TEST_TOKEN);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(`${locked.url}/ui`);
    assert.ok(await page.getByTestId("decisions-summary").isVisible());
    const cookies = await page.context().cookies();
    const session = cookies.find((c) => c.name === "cipolice_token");
    assert.ok(session, JSON.stringify(cookies));
    assert.equal(session.httpOnly, true);
    assert.equal(session.sameSite, "Strict");
    assert.ok(!session.value.includes(TEST_TOKEN), "the cookie does not hold the token");
    assert.ok(!page.url().includes(TEST_TOKEN));
    await shoot(t, page, "signed-in");
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(/\/ui\/login$/);
    assert.equal((await page.goto(`${locked.url}/ui`))?.status(), 401);
    assert.deepEqual(outside(), [], "no request leaves the page's origin");
    await page.close();
  });
});
