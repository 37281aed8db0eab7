import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Bundle } from "../../model/index.js";
import type { ContainerCheckRecord, GraceClock } from "../../service/store-ports.js";
import { expiringItems, readDays, renderAllowlistPage } from "./allowlist-page.js";
import { filterContainers, readContainerFilters, renderContainersPage } from "./containers-page.js";
import { renderGracePage } from "./grace-page.js";

const NOW = new Date("2026-12-07T12:00:00Z");
const DIGEST = `sha256:${"a".repeat(64)}`;

const CHECKS: ContainerCheckRecord[] = [
  {
    host: "unix:///run/podman.sock",
    containerId: "f".repeat(64),
    containerName: `web<script>x</script>`,
    image: "team/web:1",
    imageId: `sha256:${"b".repeat(64)}`,
    digest: DIGEST,
    outcome: "fail",
    checks: [
      { section: "ActiveBuildCheck", result: "PASS" },
      { section: "RunningAsRootCheck", result: "FAIL", message: "runs as <root>" },
    ],
    action: "grace until 2026-12-08",
    checkedAt: "2026-12-07T11:59:00Z",
  },
  {
    host: "unix:///run/podman.sock",
    containerId: "1".repeat(64),
    containerName: "builder",
    image: "team/build:2",
    imageId: `sha256:${"c".repeat(64)}`,
    outcome: "pass",
    checks: [{ section: "ActiveBuildCheck", result: "PASS_FAST" }],
    checkedAt: "2026-12-07T11:00:00Z",
  },
];

const CLOCKS: GraceClock[] = [
  {
    subject: DIGEST,
    finding: "CVE-2099-1+openssl",
    severity: "critical",
    startedAt: "2026-12-06T12:00:00Z",
    endsAt: "2026-12-07T12:00:00Z",
  },
  {
    subject: "sha256:other",
    finding: "CVE-2099-2+<curl>",
    severity: "high",
    startedAt: "2026-12-07T00:00:00Z",
    endsAt: "2026-12-14T00:00:00Z",
  },
];

describe("running containers", () => {
  test("filters by outcome and by text in name, image, digest or host", () => {
    const names = (q: string) =>
      filterContainers(CHECKS, readContainerFilters(new URLSearchParams(q)).filters).map(
        (c) => c.containerName,
      );
    assert.deepEqual(names("outcome=pass"), ["builder"]);
    assert.deepEqual(names("q=TEAM/WEB"), [CHECKS[0]?.containerName]);
    assert.deepEqual(names(`q=${DIGEST.slice(0, 20)}`), [CHECKS[0]?.containerName]);
    assert.deepEqual(names("q=podman"), ["web<script>x</script>", "builder"]);
    assert.deepEqual(readContainerFilters(new URLSearchParams("outcome=x")).problems, [
      'outcome must be pass or fail, not "x"',
    ]);
  });

  test("shows each container's checks, action and grace clock, escaped", () => {
    const html = renderContainersPage({
      filters: {},
      problems: [],
      checks: CHECKS,
      clocks: CLOCKS,
      now: NOW,
    });
    assert.ok(!/<script/.test(html));
    assert.equal(html.match(/data-testid="container-row"/g)?.length, 2);
    assert.match(
      html,
      /RunningAsRootCheck <span class="badge b-fail">FAIL<\/span> <span class="dim">runs as &lt;root&gt;/,
    );
    assert.match(html, /CVE-2099-1\+openssl<\/a> ended now/);
    assert.match(html, /2 shown of 2 containers checked; 1 failing/);
  });

  test("empty and failed reads", () => {
    const none = renderContainersPage({ filters: {}, problems: [], checks: [], clocks: [], now: NOW });
    assert.match(none, /data-testid="empty">No container has been checked yet/);
    const failed = renderContainersPage({
      filters: {},
      problems: [],
      checks: undefined,
      clocks: [],
      error: "Cannot read <the store>",
      now: NOW,
    });
    assert.match(failed, /role="alert">Cannot read &lt;the store&gt;/);
    assert.doesNotMatch(failed, /data-testid="empty"/);
  });
});

describe("grace clocks", () => {
  test("each clock with its state; one subject; none", () => {
    const html = renderGracePage({ clocks: CLOCKS, now: NOW });
    assert.deepEqual(
      [...html.matchAll(/data-testid="grace-row" data-state="(\w+)"/g)].map((m) => m[1]),
      ["ended", "running"],
    );
    assert.match(html, /CVE-2099-2\+&lt;curl&gt;/);
    assert.match(html, /ends in 6 d 12 h/);
    assert.match(html, /2 shown of 2 clocks running; 1 ended/);
    const one = renderGracePage({ clocks: CLOCKS, subject: DIGEST, now: NOW });
    assert.equal(one.match(/data-testid="grace-row"/g)?.length, 1);
    assert.match(renderGracePage({ clocks: [], now: NOW }), /data-testid="empty">No grace clock is running/);
  });
});

describe("expiring allowlist items", () => {
  const bundle: Bundle = {
    id: "b1",
    name: "Bundle <one>",
    version: "1_0",
    policies: [],
    allowedImages: [],
    deniedImages: [],
    allowlists: [
      {
        id: "exceptions",
        version: "1_0",
        items: [
          {
            id: "soon",
            gate: "vulnerabilities",
            triggerId: "CVE-1+a",
            expiresOn: "2026-12-10T12:00:00Z",
            owner: "<o>",
          },
          { id: "past", gate: "vulnerabilities", triggerId: "CVE-2+a", expiresOn: "2026-12-01T00:00:00Z" },
          { id: "later", gate: "vulnerabilities", triggerId: "CVE-3+a", expiresOn: "2027-06-01T00:00:00Z" },
          { id: "forever", gate: "vulnerabilities", triggerId: "CVE-4+a" },
        ],
      },
      { id: "unused", version: "1_0", items: [] },
    ],
    mappings: [
      {
        id: "prod",
        name: "Production",
        registry: "*",
        repository: "*",
        image: { type: "tag", value: "*" },
        policyIds: [],
        allowlistIds: ["exceptions"],
      },
    ],
  };

  test("items within the look-ahead and those expired, soonest first, with their mappings", () => {
    const { items, total, withExpiry } = expiringItems([bundle], NOW, 30);
    assert.deepEqual(
      items.map((i) => [i.item.id, i.mappings]),
      [
        ["past", ["Production"]],
        ["soon", ["Production"]],
      ],
    );
    assert.equal(total, 4);
    assert.equal(withExpiry, 3);
    assert.equal(expiringItems([bundle], NOW, 365).items.length, 3);
  });

  test("the page: states, escaping, the days filter and the empty state", () => {
    const html = renderAllowlistPage({ bundles: [bundle], days: 30, problems: [], now: NOW });
    assert.match(html, /data-item="past"><td[^>]*>.*?<\/td><td><span class="badge b-expired">expired/);
    assert.match(html, /data-item="soon"><td[^>]*>.*?in 3 d<\/span>/);
    assert.match(html, /Bundle &lt;one&gt;/);
    assert.match(html, /&lt;o&gt;/);
    assert.deepEqual(readDays(new URLSearchParams("days=7"), 30), { days: 7, problems: [] });
    assert.equal(readDays(new URLSearchParams("days=-1"), 30).days, 30);
    const none = renderAllowlistPage({ bundles: [], days: 30, problems: [], now: NOW });
    assert.match(none, /data-testid="empty">The bundles in force have no allowlist items/);
  });
});
