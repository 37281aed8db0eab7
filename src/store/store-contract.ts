import assert from "node:assert/strict";
import { createHash, randomUUID } from "node:crypto";
import { describe, it } from "node:test";
import { isCipError } from "../model/errors.js";
import type { DecisionV1 } from "../model/index.js";
import type { ContainerCheckRecord, DecisionRecord, GraceClock, Store } from "../service/store-ports.js";

/** Options of the contract suite: skip it all with a visible reason (a missing PostgreSQL). */
export interface StoreContractOptions {
  skip?: false | string;
}

/**
 * The one behaviour every Store adapter must have, as node:test suites. `open` must open the SAME database
 * on each call (a second call plays a second replica); tests use fresh digests and images, so the database
 * may hold other data.
 */
export function describeStoreContract(
  name: string,
  open: () => Promise<Store>,
  options: StoreContractOptions = {},
): void {
  describe(`store contract: ${name}`, { skip: options.skip ?? false }, () => {
    /** Opens a store for one test and closes it however the test ends. */
    async function withStore<T>(fn: (store: Store) => Promise<T>): Promise<T> {
      const store = await open();
      try {
        return await fn(store);
      } finally {
        await store.close();
      }
    }

    describe("reports", () => {
      it("stores reports by name and reads them back with the digest and receive time", () =>
        withStore(async (store) => {
          const digest = freshDigest();
          const now = new Date("2026-03-01T10:00:00.123Z");
          await store.putReports(
            digest,
            [
              { name: "trivy", format: "trivy", text: '{"Results":[]}', pushedBy: "ci-token" },
              { name: "sbom", format: "cyclonedx", text: '{"bomFormat":"CycloneDX"}' },
            ],
            now,
          );
          assert.deepEqual(await store.listReports(digest), [
            {
              digest,
              name: "sbom",
              format: "cyclonedx",
              text: '{"bomFormat":"CycloneDX"}',
              receivedAt: now.toISOString(),
            },
            {
              digest,
              name: "trivy",
              format: "trivy",
              text: '{"Results":[]}',
              pushedBy: "ci-token",
              receivedAt: now.toISOString(),
            },
          ]);
        }));

      it("replaces a report of the same name and keeps the others", () =>
        withStore(async (store) => {
          const digest = freshDigest();
          await store.putReports(
            digest,
            [
              { name: "scan", format: "trivy", text: "old scan" },
              { name: "vex", format: "openvex", text: "vex" },
            ],
            new Date("2026-03-01T10:00:00Z"),
          );
          const later = new Date("2026-03-02T10:00:00Z");
          await store.putReports(digest, [{ name: "scan", format: "grype", text: "new scan" }], later);
          const reports = await store.listReports(digest);
          assert.deepEqual(
            reports.map((r) => [r.name, r.format, r.text, r.receivedAt]),
            [
              ["scan", "grype", "new scan", later.toISOString()],
              ["vex", "openvex", "vex", "2026-03-01T10:00:00.000Z"],
            ],
          );
        }));

      it("keeps the last of two reports with one name in one put", () =>
        withStore(async (store) => {
          const digest = freshDigest();
          await store.putReports(
            digest,
            [
              { name: "scan", format: "trivy", text: "first" },
              { name: "scan", format: "trivy", text: "second" },
            ],
            new Date(),
          );
          assert.deepEqual(
            (await store.listReports(digest)).map((r) => r.text),
            ["second"],
          );
        }));

      it("names a report by its format when it has no name", () =>
        withStore(async (store) => {
          const digest = freshDigest();
          await store.putReports(digest, [{ name: "", format: "grype", text: "{}" }], new Date());
          assert.deepEqual(
            (await store.listReports(digest)).map((r) => r.name),
            ["grype"],
          );
        }));

      it("starts a digest at revision 0 and adds one per put, empty puts included", () =>
        withStore(async (store) => {
          const digest = freshDigest();
          const other = freshDigest();
          assert.equal(await store.reportRevision(digest), 0);
          assert.deepEqual(
            await store.putReports(digest, [{ name: "a", format: "trivy", text: "1" }], new Date()),
            {
              revision: 1,
            },
          );
          assert.deepEqual(
            await store.putReports(digest, [{ name: "a", format: "trivy", text: "2" }], new Date()),
            {
              revision: 2,
            },
          );
          assert.deepEqual(await store.putReports(digest, [], new Date()), { revision: 3 });
          assert.equal(await store.reportRevision(digest), 3);
          assert.equal(await store.reportRevision(other), 0, "another digest's revision moved");
        }));

      it("counts every put when puts run at the same time", () =>
        withStore(async (store) => {
          const digest = freshDigest();
          const revisions = await Promise.all(
            Array.from({ length: 8 }, (_, i) =>
              store.putReports(digest, [{ name: `r${i % 2}`, format: "trivy", text: String(i) }], new Date()),
            ),
          );
          assert.deepEqual(
            revisions.map((r) => r.revision).sort((a, b) => a - b),
            [1, 2, 3, 4, 5, 6, 7, 8],
          );
          assert.equal(await store.reportRevision(digest), 8);
        }));

      it("lists no reports for a digest never stored", () =>
        withStore(async (store) => {
          assert.deepEqual(await store.listReports(freshDigest()), []);
        }));

      it("round-trips a 5 MB report byte for byte", () =>
        withStore(async (store) => {
          const digest = freshDigest();
          const text = largeText(5 * 1024 * 1024);
          await store.putReports(digest, [{ name: "big", format: "cyclonedx", text }], new Date());
          const [report] = await store.listReports(digest);
          assert.ok(report, "the large report was not stored");
          assert.equal(report.text.length, text.length);
          assert.equal(sha256(report.text), sha256(text));
        }));

      it("round-trips unicode and control characters in names, text and pusher", () =>
        withStore(async (store) => {
          const digest = freshDigest();
          const text = 'Ünïcødé ✓ 漢字 🐳 e\u0301 "quote" \\ back\nline\ttab\u0000nul\u2028sep';
          const name = "scan-漢字-🐳";
          await store.putReports(
            digest,
            [{ name, format: "trivy", text, pushedBy: "équipe-ci 🚀" }],
            new Date(),
          );
          const [report] = await store.listReports(digest);
          assert.equal(report?.name, name);
          assert.equal(report?.text, text);
          assert.equal(report?.pushedBy, "équipe-ci 🚀");
        }));

      it("tells a second instance on the same database about a put, until it unsubscribes", () =>
        withStore((first) =>
          withStore(async (second) => {
            const digest = freshDigest();
            const heardBySecond = waitForDigest(second, digest);
            const heardByFirst = waitForDigest(first, digest);
            await first.putReports(digest, [{ name: "trivy", format: "trivy", text: "{}" }], new Date());
            await heardBySecond.heard;
            await heardByFirst.heard;
            heardBySecond.unsubscribe();
            heardByFirst.unsubscribe();

            const heard: (string | undefined)[] = [];
            const unsubscribe = second.onReportsChanged((d) => heard.push(d));
            unsubscribe();
            const after = freshDigest();
            const control = waitForDigest(second, after);
            await first.putReports(after, [], new Date());
            await control.heard;
            control.unsubscribe();
            assert.deepEqual(
              heard.filter((d) => d !== undefined),
              [],
              "an unsubscribed listener was called",
            );
          }),
        ));

      it("keeps calling the other listeners when one throws", () =>
        withStore(async (store) => {
          const digest = freshDigest();
          const unsubscribe = store.onReportsChanged(() => {
            throw new Error("listener bug");
          });
          const heard = waitForDigest(store, digest);
          await store.putReports(digest, [], new Date());
          await heard.heard;
          heard.unsubscribe();
          unsubscribe();
        }));
    });

    describe("decisions", () => {
      it("lists decisions of an image newest first, at most `limit`", () =>
        withStore(async (store) => {
          const image = freshImage();
          const times = ["2026-01-03", "2026-01-01", "2026-01-05", "2026-01-02", "2026-01-04"];
          for (const day of times)
            await store.recordDecision(decisionRecord({ image, decidedAt: `${day}T00:00:00Z` }));
          const all = await store.listDecisions({ image, limit: 10 });
          assert.deepEqual(
            all.map((d) => d.decidedAt.slice(0, 10)),
            ["2026-01-05", "2026-01-04", "2026-01-03", "2026-01-02", "2026-01-01"],
          );
          const two = await store.listDecisions({ image, limit: 2 });
          assert.deepEqual(
            two.map((d) => d.decisionId),
            all.slice(0, 2).map((d) => d.decisionId),
          );
          assert.deepEqual(await store.listDecisions({ image, limit: 0 }), []);
        }));

      it("orders decisions of the same time by when they were recorded, latest first", () =>
        withStore(async (store) => {
          const image = freshImage();
          const ids = [randomUUID(), randomUUID(), randomUUID()];
          for (const decisionId of ids)
            await store.recordDecision(
              decisionRecord({ image, decisionId, decidedAt: "2026-02-01T00:00:00Z" }),
            );
          assert.deepEqual(
            (await store.listDecisions({ image, limit: 10 })).map((d) => d.decisionId),
            [...ids].reverse(),
          );
        }));

      it("filters by digest, by a digest given as image, and by both", () =>
        withStore(async (store) => {
          const image = freshImage();
          const digest = freshDigest();
          const otherDigest = freshDigest();
          await store.recordDecision(decisionRecord({ image, digest, decidedAt: "2026-01-01T00:00:00Z" }));
          await store.recordDecision(
            decisionRecord({ image, digest: otherDigest, decidedAt: "2026-01-02T00:00:00Z" }),
          );
          await store.recordDecision(
            decisionRecord({ image: freshImage(), digest, decidedAt: "2026-01-03T00:00:00Z" }),
          );
          const byDigest = await store.listDecisions({ digest, limit: 10 });
          assert.deepEqual(
            byDigest.map((d) => d.decidedAt.slice(0, 10)),
            ["2026-01-03", "2026-01-01"],
          );
          assert.deepEqual(await store.listDecisions({ image: digest, limit: 10 }), byDigest);
          const both = await store.listDecisions({ image, digest, limit: 10 });
          assert.deepEqual(
            both.map((d) => d.decidedAt.slice(0, 10)),
            ["2026-01-01"],
          );
          assert.deepEqual(await store.listDecisions({ image: freshImage(), limit: 10 }), []);
        }));

      it("lists every image's decisions newest first without a filter", () =>
        withStore(async (store) => {
          await store.recordDecision(decisionRecord({ decidedAt: new Date().toISOString() }));
          const listed = await store.listDecisions({ limit: 50 });
          assert.ok(listed.length >= 1 && listed.length <= 50);
          const times = listed.map((d) => Date.parse(d.decidedAt));
          assert.deepEqual(
            times,
            [...times].sort((a, b) => b - a),
          );
        }));

      it("returns at most 1,000 decisions whatever the limit", () =>
        withStore(async (store) => {
          const image = freshImage();
          const base = Date.parse("2025-01-01T00:00:00Z");
          for (let i = 0; i < 1_005; i++)
            await store.recordDecision(
              decisionRecord({
                image,
                decidedAt: new Date(base + i * 1000).toISOString(),
                decision: undefined,
              }),
            );
          const listed = await store.listDecisions({ image, limit: 5_000 });
          assert.equal(listed.length, 1_000);
          assert.equal(listed[0]?.decidedAt, new Date(base + 1_004 * 1000).toISOString());
        }));

      it("records a decision id once: a second record with that id changes nothing", () =>
        withStore(async (store) => {
          const image = freshImage();
          const first = decisionRecord({ image, outcome: "pass" });
          await store.recordDecision(first);
          await store.recordDecision({ ...first, outcome: "fail", origin: "api" });
          const listed = await store.listDecisions({ image, limit: 10 });
          assert.equal(listed.length, 1);
          assert.equal(listed[0]?.outcome, "pass");
          assert.equal(listed[0]?.origin, first.origin);
        }));

      it("round-trips every field, the decision document and unicode, and leaves absent fields out", () =>
        withStore(async (store) => {
          const image = freshImage();
          const full = decisionRecord({
            image,
            namespace: "prod-ü",
            decidedAt: "2026-04-01T12:30:45.678+02:00",
          });
          const unknown: DecisionRecord = {
            decisionId: randomUUID(),
            image,
            outcome: "unknown",
            origin: "admission",
            decidedAt: "2026-04-01T09:00:00Z",
            reason: "registry unreachable: délai dépassé ⏱",
          };
          await store.recordDecision(full);
          await store.recordDecision(unknown);
          const [newest, oldest] = await store.listDecisions({ image, limit: 10 });
          assert.deepEqual(newest, { ...full, decidedAt: "2026-04-01T10:30:45.678Z" });
          assert.deepEqual(oldest, { ...unknown, decidedAt: "2026-04-01T09:00:00.000Z" });
        }));

      it("refuses a decision time that is not a date with CIP_STORE", () =>
        withStore(async (store) => {
          await assert.rejects(
            store.recordDecision(decisionRecord({ decidedAt: "yesterday" })),
            isStoreError,
          );
        }));
    });

    describe("events", () => {
      it("a first claim runs the message; a second claim while it runs is busy; after finishing it is done", () =>
        withStore(async (store) => {
          const id = randomUUID();
          const now = new Date("2026-03-02T08:00:00.000Z");
          assert.equal(await store.claimEvent(id, "amqp:events", now, 60_000), "new");
          assert.equal(
            await store.claimEvent(id, "amqp:events", new Date(now.getTime() + 1_000), 60_000),
            "busy",
          );
          const outcomes = [
            {
              action: "./label.sh",
              at: "clair.rules:5",
              status: "ok" as const,
              output: "labelled\n",
              startedAt: now.toISOString(),
              durationMs: 12,
            },
          ];
          await store.finishEvent(
            id,
            { state: "done", message: { image: "nginx:latest", level: 3 }, outcomes },
            now,
          );
          assert.equal(
            await store.claimEvent(id, "amqp:events", new Date(now.getTime() + 120_000), 60_000),
            "done",
          );
          const [record] = await store.listEvents({ messageId: id, limit: 10 });
          assert.deepEqual(record, {
            messageId: id,
            source: "amqp:events",
            state: "done",
            receivedAt: now.toISOString(),
            finishedAt: now.toISOString(),
            message: { image: "nginx:latest", level: 3 },
            outcomes,
          });
        }));

      it("a released claim is taken over at once; a finished one stays done", () =>
        withStore(async (store) => {
          const id = randomUUID();
          const now = new Date("2026-03-02T08:00:00.000Z");
          assert.equal(await store.claimEvent(id, "amqp:events", now, 60_000), "new");
          await store.releaseEvent(id);
          assert.equal(
            await store.claimEvent(id, "amqp:events", new Date(now.getTime() + 1_000), 60_000),
            "new",
          );
          await store.finishEvent(id, { state: "done", outcomes: [] }, now);
          await store.releaseEvent(id);
          assert.equal(
            await store.claimEvent(id, "amqp:events", new Date(now.getTime() + 2_000), 60_000),
            "done",
          );
        }));

      it("a claim older than the lease is taken over (its worker is presumed gone)", () =>
        withStore(async (store) => {
          const id = randomUUID();
          const now = new Date("2026-03-02T08:00:00.000Z");
          assert.equal(await store.claimEvent(id, "amqp:events", now, 30_000), "new");
          assert.equal(
            await store.claimEvent(id, "amqp:events", new Date(now.getTime() + 29_000), 30_000),
            "busy",
          );
          assert.equal(
            await store.claimEvent(id, "amqp:events", new Date(now.getTime() + 31_000), 30_000),
            "new",
          );
        }));

      it("only one of two replicas claiming the same message at once gets to run it", async () => {
        const [a, b] = await Promise.all([open(), open()]);
        try {
          const ids = Array.from({ length: 20 }, () => randomUUID());
          const now = new Date();
          const claims = await Promise.all(
            ids.flatMap((id) => [
              a.claimEvent(id, "amqp:q", now, 60_000),
              b.claimEvent(id, "amqp:q", now, 60_000),
            ]),
          );
          for (let i = 0; i < ids.length; i++) {
            const pair = claims.slice(2 * i, 2 * i + 2).sort();
            assert.deepEqual(pair, ["busy", "new"], `message ${i}: ${pair.join(", ")}`);
          }
        } finally {
          await a.close();
          await b.close();
        }
      });

      it("a dead-lettered message keeps its reason and is never run again", () =>
        withStore(async (store) => {
          const id = randomUUID();
          const now = new Date();
          await store.claimEvent(id, "amqp:events", now, 1_000);
          await store.finishEvent(
            id,
            { state: "dead_lettered", outcomes: [], reason: "the body is not JSON" },
            now,
          );
          assert.equal(
            await store.claimEvent(id, "amqp:events", new Date(now.getTime() + 10_000), 1_000),
            "done",
          );
          const [record] = await store.listEvents({ messageId: id, limit: 1 });
          assert.equal(record?.state, "dead_lettered");
          assert.equal(record?.reason, "the body is not JSON");
          assert.equal(record?.message, undefined);
        }));

      it("lists events newest first, at most the limit", () =>
        withStore(async (store) => {
          const base = Date.parse("2030-01-01T00:00:00.000Z") + Math.floor(Math.random() * 1e9);
          const ids = [randomUUID(), randomUUID(), randomUUID()];
          for (const [i, id] of ids.entries())
            await store.claimEvent(id, "test", new Date(base + i * 1_000), 1_000);
          const listed = await store.listEvents({ limit: 2 });
          assert.deepEqual(
            listed.map((e) => e.messageId),
            [ids[2], ids[1]],
          );
        }));
    });

    describe("verdicts", () => {
      it("stores a verdict per subject, a later one replacing it", () =>
        withStore(async (store) => {
          const subject = freshDigest();
          assert.equal(await store.getVerdict(subject), undefined);
          const first = {
            subject,
            verdict: "reject" as const,
            reason: "level 7 finding",
            setBy: "rules clair.rules:4 (message m-1)",
            setAt: "2026-03-02T08:00:00.000Z",
          };
          await store.putVerdict(first);
          assert.deepEqual(await store.getVerdict(subject), first);
          const second = {
            ...first,
            verdict: "accept" as const,
            reason: "rescanned",
            setAt: "2026-03-02T09:00:00.000Z",
          };
          await store.putVerdict(second);
          assert.deepEqual(await store.getVerdict(subject), second);
          const listed = await store.listVerdicts();
          assert.deepEqual(
            listed.filter((v) => v.subject === subject),
            [second],
          );
        }));
    });

    describe("monitor", () => {
      it("reads back only the newest check of each container, newest first, every field kept", () =>
        withStore(async (store) => {
          const host = freshHost();
          const otherHost = freshHost();
          const first = checkRecord({ host, containerId: "c1", checkedAt: "2026-05-01T10:00:00Z" });
          const newest: ContainerCheckRecord = {
            host,
            containerId: "c1",
            containerName: "web-ü",
            image: "registry.example/web:1.2",
            imageId: `sha256:${"1".repeat(64)}`,
            digest: `sha256:${"2".repeat(64)}`,
            outcome: "fail",
            checks: [
              { section: "policy", result: "FAIL", message: "CVE-2026-1+openssl: critical « fix » 漢字 🐳" },
              { section: "signature", result: "PASS_FAST" },
            ],
            action: "stopped",
            checkedAt: "2026-05-01T12:05:00.250+02:00",
          };
          const other = checkRecord({ host, containerId: "c2", checkedAt: "2026-05-01T10:02:00Z" });
          // The same container id on another engine is another container
          const elsewhere = checkRecord({
            host: otherHost,
            containerId: "c1",
            checkedAt: "2026-05-01T11:00:00Z",
          });
          const thirdHost = freshHost();
          const third = checkRecord({
            host: thirdHost,
            containerId: "c3",
            checkedAt: "2026-05-01T09:00:00Z",
          });
          for (const record of [first, newest, other, elsewhere, third])
            await store.recordContainerCheck(record);
          assert.deepEqual(await store.latestContainerChecks({ host, limit: 10 }), [
            { ...newest, checkedAt: "2026-05-01T10:05:00.250Z" },
            { ...other, checkedAt: "2026-05-01T10:02:00.000Z" },
          ]);
          assert.deepEqual(
            (await store.latestContainerChecks({ host: otherHost, limit: 10 })).map((c) => c.checkedAt),
            ["2026-05-01T11:00:00.000Z"],
          );
          // Without a filter every engine's containers are listed (other tests' too: keep this test's)
          const everywhere = await store.latestContainerChecks({ limit: 1_000 });
          const times = everywhere.map((c) => Date.parse(c.checkedAt));
          assert.deepEqual(
            times,
            [...times].sort((x, y) => y - x),
          );
          assert.deepEqual(
            everywhere
              .filter((c) => [host, otherHost, thirdHost].includes(c.host))
              .map((c) => [c.host, c.containerId, c.checkedAt]),
            [
              [otherHost, "c1", "2026-05-01T11:00:00.000Z"],
              [host, "c1", "2026-05-01T10:05:00.250Z"],
              [host, "c2", "2026-05-01T10:02:00.000Z"],
              [thirdHost, "c3", "2026-05-01T09:00:00.000Z"],
            ],
          );
        }));

      it("takes the check recorded last when a container has two of the same time", () =>
        withStore(async (store) => {
          const host = freshHost();
          const at = "2026-05-02T08:00:00.000Z";
          await store.recordContainerCheck(
            checkRecord({ host, containerId: "c1", checkedAt: at, outcome: "pass" }),
          );
          await store.recordContainerCheck(
            checkRecord({ host, containerId: "c1", checkedAt: at, outcome: "fail", action: "paused" }),
          );
          for (const query of [{ host }, { host, since: at }]) {
            const latest = await store.latestContainerChecks({ ...query, limit: 10 });
            assert.deepEqual(
              latest.map((c) => [c.outcome, c.action]),
              [["fail", "paused"]],
              JSON.stringify(query),
            );
          }
        }));

      it("filters by since and host together and alone, at most `limit`", () =>
        withStore(async (store) => {
          // Times no other test uses, so the filter without a host sees only this test's checks
          const base = Date.parse("2031-01-01T00:00:00.000Z") + Math.floor(Math.random() * 1e9);
          const at = (minutes: number) => new Date(base + minutes * 60_000).toISOString();
          const host = freshHost();
          const otherHost = freshHost();
          await store.recordContainerCheck(checkRecord({ host, containerId: "old", checkedAt: at(0) }));
          await store.recordContainerCheck(checkRecord({ host, containerId: "moved", checkedAt: at(1) }));
          await store.recordContainerCheck(checkRecord({ host, containerId: "moved", checkedAt: at(10) }));
          await store.recordContainerCheck(checkRecord({ host, containerId: "new", checkedAt: at(11) }));
          await store.recordContainerCheck(
            checkRecord({ host: otherHost, containerId: "x", checkedAt: at(12) }),
          );
          const ids = (checks: ContainerCheckRecord[]) =>
            checks.map((c) => `${c.containerId}@${c.checkedAt}`);

          assert.deepEqual(ids(await store.latestContainerChecks({ host, since: at(5), limit: 10 })), [
            `new@${at(11)}`,
            `moved@${at(10)}`,
          ]);
          assert.deepEqual(ids(await store.latestContainerChecks({ since: at(10), limit: 10 })), [
            `x@${at(12)}`,
            `new@${at(11)}`,
            `moved@${at(10)}`,
          ]);
          assert.deepEqual(ids(await store.latestContainerChecks({ host, limit: 2 })), [
            `new@${at(11)}`,
            `moved@${at(10)}`,
          ]);
          assert.deepEqual(ids(await store.latestContainerChecks({ host, limit: 10 })), [
            `new@${at(11)}`,
            `moved@${at(10)}`,
            `old@${at(0)}`,
          ]);
          assert.deepEqual(ids(await store.latestContainerChecks({ since: at(0), limit: 1 })), [
            `x@${at(12)}`,
          ]);
          assert.deepEqual(await store.latestContainerChecks({ host, limit: 0 }), []);
          assert.deepEqual(await store.latestContainerChecks({ host: freshHost(), limit: 10 }), []);
        }));

      it("refuses a check time or a since that is not a date with CIP_STORE", () =>
        withStore(async (store) => {
          await assert.rejects(
            store.recordContainerCheck(checkRecord({ host: freshHost(), checkedAt: "just now" })),
            isStoreError,
          );
          await assert.rejects(store.latestContainerChecks({ since: "last week", limit: 10 }), isStoreError);
        }));

      it("starts a clock once: a finding seen again keeps its first start and end", () =>
        withStore(async (store) => {
          const subject = freshDigest();
          const started = await store.startGraceClocks(subject, [
            clock("CVE-2026-1+openssl", "high", "2026-06-01T00:00:00Z", "2026-06-08T00:00:00Z"),
            clock("CVE-2026-2+zlib", "critical", "2026-06-01T00:00:00Z", "2026-06-02T00:00:00Z"),
          ]);
          const openssl = {
            subject,
            finding: "CVE-2026-1+openssl",
            severity: "high",
            startedAt: "2026-06-01T00:00:00.000Z",
            endsAt: "2026-06-08T00:00:00.000Z",
          };
          const zlib = {
            subject,
            finding: "CVE-2026-2+zlib",
            severity: "critical",
            startedAt: "2026-06-01T00:00:00.000Z",
            endsAt: "2026-06-02T00:00:00.000Z",
          };
          assert.deepEqual(started, [zlib, openssl]);

          const again = await store.startGraceClocks(subject, [
            clock("CVE-2026-1+openssl", "critical", "2026-06-05T00:00:00Z", "2026-06-06T00:00:00Z"),
            clock("CVE-2026-3+curl", "medium", "2026-06-05T00:00:00+02:00", "2026-06-30T00:00:00Z"),
            // The first of two clocks of one finding in one call is the one started
            clock("CVE-2026-3+curl", "low", "2026-06-05T00:00:00Z", "2026-06-03T00:00:00Z"),
          ]);
          const curl = {
            subject,
            finding: "CVE-2026-3+curl",
            severity: "medium",
            startedAt: "2026-06-04T22:00:00.000Z",
            endsAt: "2026-06-30T00:00:00.000Z",
          };
          assert.deepEqual(again, [zlib, openssl, curl]);
          assert.deepEqual(await store.listGraceClocks(subject), [zlib, openssl, curl]);
          assert.deepEqual(await store.startGraceClocks(subject, []), [zlib, openssl, curl]);
          assert.deepEqual(await store.startGraceClocks(freshDigest(), []), []);
        }));

      it("stops only the clocks whose finding is not kept, and only the subject's", () =>
        withStore(async (store) => {
          const subject = freshDigest();
          const neighbour = freshDigest();
          const findings = ["CVE-2026-10+a", "CVE-2026-11+b", "CVE-2026-12+c"];
          const clocks = findings.map((f, i) =>
            clock(f, "high", "2026-06-01T00:00:00Z", `2026-06-0${i + 2}T00:00:00Z`),
          );
          await store.startGraceClocks(subject, clocks);
          await store.startGraceClocks(neighbour, clocks);
          await store.stopGraceClocks(subject, ["CVE-2026-12+c", "CVE-2026-10+a", "not-running"]);
          assert.deepEqual(
            (await store.listGraceClocks(subject)).map((c) => c.finding),
            ["CVE-2026-10+a", "CVE-2026-12+c"],
          );
          await store.stopGraceClocks(subject, []);
          assert.deepEqual(await store.listGraceClocks(subject), []);
          assert.deepEqual(
            (await store.listGraceClocks(neighbour)).map((c) => c.finding),
            findings,
            "another subject's clocks were stopped",
          );
        }));

      it("lists every clock ordered by end, or one subject's", () =>
        withStore(async (store) => {
          const a = freshDigest();
          const b = freshDigest();
          await store.startGraceClocks(a, [
            clock("late", "high", "2026-07-01T00:00:00Z", "2026-07-20T00:00:00Z"),
            clock("early", "high", "2026-07-01T00:00:00Z", "2026-07-05T00:00:00Z"),
          ]);
          await store.startGraceClocks(b, [
            clock("middle", "low", "2026-07-01T00:00:00Z", "2026-07-10T00:00:00Z"),
          ]);
          const all = await store.listGraceClocks();
          const ends = all.map((c) => Date.parse(c.endsAt));
          assert.deepEqual(
            ends,
            [...ends].sort((x, y) => x - y),
          );
          assert.deepEqual(
            all.filter((c) => c.subject === a || c.subject === b).map((c) => c.finding),
            ["early", "middle", "late"],
          );
          assert.deepEqual(
            (await store.listGraceClocks(b)).map((c) => [c.subject, c.finding]),
            [[b, "middle"]],
          );
        }));

      it("refuses a clock time that is not a date with CIP_STORE, starting none of the call's clocks", () =>
        withStore(async (store) => {
          const subject = freshDigest();
          await assert.rejects(
            store.startGraceClocks(subject, [
              clock("fine", "high", "2026-06-01T00:00:00Z", "2026-06-02T00:00:00Z"),
              clock("broken", "high", "2026-06-01T00:00:00Z", "in a week"),
            ]),
            isStoreError,
          );
          assert.deepEqual(await store.listGraceClocks(subject), []);
        }));

      it("two replicas starting the same clocks at once end with one clock per finding", async () => {
        const [a, b] = await Promise.all([open(), open()]);
        try {
          const subjects = Array.from({ length: 10 }, () => freshDigest());
          const findings = ["CVE-2026-20+a", "CVE-2026-21+b", "CVE-2026-22+c", "CVE-2026-23+d"];
          const starts = (startedAt: string) =>
            findings.map((f) => clock(f, "high", startedAt, "2026-08-01T00:00:00Z"));
          const results = await Promise.all(
            subjects.flatMap((subject) => [
              a.startGraceClocks(subject, starts("2026-07-01T00:00:00Z")),
              // The other replica names the findings in another order
              b.startGraceClocks(subject, starts("2026-07-02T00:00:00Z").reverse()),
            ]),
          );
          for (const [i, subject] of subjects.entries()) {
            const [fromA, fromB] = [results[2 * i], results[2 * i + 1]];
            assert.deepEqual(fromA, fromB, `the replicas saw different clocks of subject ${i}`);
            const stored = await a.listGraceClocks(subject);
            assert.deepEqual(stored, fromA);
            assert.deepEqual(
              stored.map((c) => c.finding),
              findings,
            );
            assert.equal(new Set(stored.map((c) => c.startedAt)).size, 1, "one start won for each finding");
          }
        } finally {
          await a.close();
          await b.close();
        }
      });

      it("refuses monitor calls after close with CIP_STORE", async () => {
        const store = await open();
        await store.close();
        await assert.rejects(store.recordContainerCheck(checkRecord({ host: freshHost() })), isStoreError);
        await assert.rejects(store.latestContainerChecks({ limit: 1 }), isStoreError);
        await assert.rejects(store.latestContainerChecks({ limit: 0 }), isStoreError);
        await assert.rejects(store.startGraceClocks(freshDigest(), []), isStoreError);
        await assert.rejects(store.stopGraceClocks(freshDigest(), []), isStoreError);
        await assert.rejects(store.listGraceClocks(), isStoreError);
      });
    });

    describe("life cycle", () => {
      it("answers ping, names its kind and location without a password", () =>
        withStore(async (store) => {
          await store.ping();
          assert.ok(store.kind === "sqlite" || store.kind === "postgres");
          assert.ok(store.location.length > 0);
          assert.doesNotMatch(store.location, /:[^:@/]+@/, "the location shows a password");
        }));

      it("opens an existing database again: migrations already applied are a no-op and data stays", async () => {
        const digest = freshDigest();
        await withStore((store) =>
          store.putReports(digest, [{ name: "a", format: "trivy", text: "x" }], new Date()),
        );
        // Two instances opening together, as replicas starting at once do
        const [a, b] = await Promise.all([open(), open()]);
        try {
          assert.equal(await a.reportRevision(digest), 1);
          assert.deepEqual(await b.putReports(digest, [], new Date()), { revision: 2 });
        } finally {
          await a.close();
          await b.close();
        }
        await withStore(async (store) => assert.equal(await store.reportRevision(digest), 2));
      });

      it("refuses calls after close with CIP_STORE, and closes twice without error", async () => {
        const store = await open();
        await store.close();
        await store.close();
        await assert.rejects(store.ping(), isStoreError);
        await assert.rejects(store.listReports(freshDigest()), isStoreError);
        await assert.rejects(store.listDecisions({ limit: 1 }), isStoreError);
      });
    });
  });
}

/** True for a CipError of code CIP_STORE whose message reads "Cannot …". */
export function isStoreError(error: unknown): boolean {
  return isCipError(error) && error.code === "CIP_STORE" && /^Cannot /.test(error.message);
}

/** A digest no other test uses. */
export function freshDigest(): string {
  return `sha256:${createHash("sha256").update(randomUUID()).digest("hex")}`;
}

function freshImage(): string {
  return `registry.example/contract/${randomUUID().slice(0, 8)}:1.0`;
}

/** A container engine endpoint no other test uses. */
function freshHost(): string {
  return `unix:///run/contract-${randomUUID().slice(0, 8)}/engine.sock`;
}

/** A passing container check; `fields` override. */
function checkRecord(fields: Partial<ContainerCheckRecord> = {}): ContainerCheckRecord {
  return {
    host: "unix:///run/podman/podman.sock",
    containerId: randomUUID().replaceAll("-", ""),
    containerName: "app",
    image: "registry.example/app:1.0",
    imageId: `sha256:${"a".repeat(64)}`,
    outcome: "pass",
    checks: [{ section: "policy", result: "PASS" }],
    checkedAt: "2026-05-01T00:00:00.000Z",
    ...fields,
  };
}

/** A clock to start (its subject is the call's). */
function clock(
  finding: string,
  severity: string,
  startedAt: string,
  endsAt: string,
): Omit<GraceClock, "subject"> {
  return { finding, severity, startedAt, endsAt };
}

function sha256(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/** Text of about `bytes` UTF-8 bytes mixing ASCII and multi-byte characters, not one repeated block. */
function largeText(bytes: number): string {
  const parts: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const line = `{"id":"CVE-2026-${i}","pkg":"lïb-${i % 97}","note":"漢字🐳 ${i.toString(36)}"}\n`;
    parts.push(line);
    size += Buffer.byteLength(line);
  }
  return parts.join("");
}

/** Subscribes and resolves `heard` once the store reports a change of `digest` (fails after 10 s). */
export function waitForDigest(
  store: Store,
  digest: string,
): { heard: Promise<void>; unsubscribe: () => void } {
  let unsubscribe: () => void = () => {};
  const heard = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no change of ${digest} was reported within 10 s`)),
      10_000,
    );
    unsubscribe = store.onReportsChanged((changed) => {
      if (changed === digest) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  return { heard, unsubscribe: () => unsubscribe() };
}

function decisionRecord(fields: Partial<DecisionRecord> = {}): DecisionRecord {
  const image = fields.image ?? freshImage();
  const decisionId = fields.decisionId ?? randomUUID();
  const record: DecisionRecord = {
    decisionId,
    image,
    digest: freshDigest(),
    outcome: "fail",
    origin: "admission",
    decidedAt: "2026-01-01T00:00:00.000Z",
    decision: sampleDecision(decisionId, image),
    ...fields,
  };
  if (record.decision === undefined) delete record.decision;
  return record;
}

function sampleDecision(decisionId: string, image: string): DecisionV1 {
  return {
    schemaVersion: "1",
    decisionId,
    image: { ref: image, registry: "registry.example", repository: "contract/app", tag: "1.0" },
    bundle: { id: "default", digest: "sha256:0123" },
    mapping: { id: "all", index: 0 },
    policies: [{ id: "p1", name: "Politique 🔒" }],
    finalAction: "stop",
    policyAction: "stop",
    status: "fail",
    reason: "policy_evaluation",
    results: [
      {
        policyId: "p1",
        ruleId: "r1",
        gate: "vulnerabilities",
        trigger: "package",
        triggerId: "CVE-2026-0001+openssl",
        message: "CRITICAL vulnerability in openssl — « fix » available \u0000",
        action: "stop",
        effectiveAction: "stop",
        status: "fired",
      },
    ],
    problems: [],
    evaluatedAt: "2026-01-01T00:00:00.000Z",
  };
}
