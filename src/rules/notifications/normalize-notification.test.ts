import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { corpusPath, readCorpusJson } from "../../../test/support/corpus.js";
import { isCipError } from "../../model/index.js";
import { normalizeCipoliceMessage } from "./cipolice-message.js";
import { normalizeClairPage, normalizeClairWebhook } from "./clair-notification.js";
import { detectSender } from "./detect-sender.js";
import { normalizeDistribution } from "./distribution-events.js";
import { normalizeDockerHub } from "./dockerhub-webhook.js";
import { normalizeHarbor } from "./harbor-webhook.js";
import { normalizeNotification } from "./normalize-notification.js";
import type { Sender } from "./notification-types.js";
import { normalizeQuay } from "./quay-notification.js";

// The corpus folder of each sender's payloads.
const FOLDERS: Record<string, Sender> = {
  harbor: "harbor",
  "distribution-registry": "distribution",
  dockerhub: "dockerhub",
  "clair-v4": "clair",
  quay: "quay",
};

// Clair's severities in its order: the index is the level CIPolicE's clair.rules compares.
const CLAIR_ORDER = ["unknown", "negligible", "low", "medium", "high", "critical", "defcon1"];
const OUR_SEVERITY = (word: string) => (word.toLowerCase() === "defcon1" ? "critical" : word.toLowerCase());

// Our own Quay fixtures: the corpus holds none (see test/fixtures/notifications/README.md).
const FIXTURES = fileURLToPath(new URL("../../../test/fixtures/notifications/", import.meta.url));
const fixture = (name: string): Json => JSON.parse(readFileSync(join(FIXTURES, name), "utf8"));

// biome-ignore lint/suspicious/noExplicitAny: corpus payloads are read field by field to compute expectations.
type Json = Record<string, any>;

function webhookFiles(): { file: string; sender: Sender }[] | undefined {
  const root = corpusPath("webhooks");
  if (!existsSync(root)) return undefined;
  return readdirSync(root).flatMap((folder) =>
    FOLDERS[folder] === undefined
      ? []
      : readdirSync(join(root, folder))
          .filter((f) => f.endsWith(".json"))
          .map((f) => ({ file: `webhooks/${folder}/${f}`, sender: FOLDERS[folder] as Sender })),
  );
}

/** Runs `fn`, expecting CIP_REQUEST_INVALID whose message names `path`. */
function assertInvalid(fn: () => unknown, path: string): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(isCipError(error), `expected a CipError, got ${String(error)}`);
    assert.equal(error.code, "CIP_REQUEST_INVALID");
    assert.ok(error.message.endsWith(`(${path})`), `"${error.message}" should name ${path}`);
    return true;
  });
}

describe("corpus: every webhook payload", () => {
  const files = webhookFiles();
  test("is accepted, from the sender its folder names, as messages or reasoned ignores", (t) => {
    if (files === undefined) return t.skip("corpus folder webhooks/ not found");
    assert.ok(files.length >= 10, `expected the corpus' webhook files, found ${files.length}`);
    for (const { file, sender } of files) {
      const payload = readCorpusJson(file) as Json;
      let result: { messages: unknown[]; ignored?: string };
      if (file.includes("notification_page")) {
        result = normalizeClairPage(payload);
      } else if (file.endsWith("event_delete_target.json")) {
        // A fragment of one event (its target only): sent inside an envelope, as the registry does.
        result = normalizeDistribution({ events: [{ action: "delete", target: payload.target }] });
      } else {
        assert.equal(detectSender({}, payload), sender, `${file}: detected sender`);
        result = normalizeNotification(payload);
      }
      assert.ok(
        result.messages.length > 0 || (result.ignored ?? "") !== "",
        `${file}: neither a message nor a reason to ignore it`,
      );
    }
  });
});

describe("Distribution registry envelopes", () => {
  const push = "webhooks/distribution-registry/envelope_push_3events.json";
  test("a manifest push is one message; each layer push is ignored because of its media type", (t) => {
    if (!existsSync(corpusPath(push))) return t.skip(`corpus file ${push} not found`);
    const envelope = readCorpusJson(push) as Json;
    const result = normalizeDistribution(envelope);
    const manifests = envelope.events.filter((e: Json) => e.target.mediaType.includes("manifest"));
    const layers = envelope.events.filter((e: Json) => !e.target.mediaType.includes("manifest"));
    assert.ok(manifests.length > 0 && layers.length > 0);
    assert.deepEqual(
      result.messages,
      manifests.map((e: Json) => ({
        sender: "distribution",
        event: "push",
        image: `${e.request.host}/${e.target.repository}@${e.target.digest}`,
        registry: e.request.host,
        repository: e.target.repository,
        digest: e.target.digest,
        media_type: e.target.mediaType,
        pushed_by: e.actor.name,
        event_id: e.id,
        timestamp: e.timestamp,
      })),
    );
    assert.equal(result.event, "push");
    for (const layer of layers) {
      assert.match(
        result.ignored ?? "",
        new RegExp(`${layer.id}\\): a layer \\(${escapeRegExp(layer.target.mediaType)}\\) push`),
      );
    }
  });

  test("a tagged manifest push names registry/repository:tag", (t) => {
    if (!existsSync(corpusPath(push))) return t.skip(`corpus file ${push} not found`);
    const envelope = readCorpusJson(push) as Json;
    const event = { ...envelope.events[0], target: { ...envelope.events[0].target, tag: "1.0" } };
    const [message] = normalizeDistribution({ events: [event] }).messages;
    assert.equal(message?.image, `${event.request.host}/${event.target.repository}:1.0`);
    assert.equal(message?.tag, "1.0");
    assert.equal(message?.digest, event.target.digest);
  });

  test("a pull is ignored with its reason", (t) => {
    const file = "webhooks/distribution-registry/envelope_pull_manifest.json";
    if (!existsSync(corpusPath(file))) return t.skip(`corpus file ${file} not found`);
    const result = normalizeNotification(readCorpusJson(file));
    assert.deepEqual(result.messages, []);
    assert.equal(result.event, "pull");
    assert.match(result.ignored ?? "", /a pull changes no image/);
  });

  test("a manifest delete (digest and repository only) is a delete message", (t) => {
    const file = "webhooks/distribution-registry/event_delete_target.json";
    if (!existsSync(corpusPath(file))) return t.skip(`corpus file ${file} not found`);
    const { target } = readCorpusJson(file) as Json;
    const result = normalizeDistribution({
      events: [{ id: "d1", action: "delete", target, request: { host: "registry.local:5000" }, actor: {} }],
    });
    assert.deepEqual(result.messages, [
      {
        sender: "distribution",
        event: "delete",
        image: `registry.local:5000/${target.repository}@${target.digest}`,
        registry: "registry.local:5000",
        repository: target.repository,
        digest: target.digest,
        event_id: "d1",
      },
    ]);
    assert.equal(result.ignored, undefined);
  });

  test("the envelope media type alone says Distribution", () => {
    assert.equal(
      detectSender(
        { "content-type": "application/vnd.docker.distribution.events.v1+json; charset=utf-8" },
        {},
      ),
      "distribution",
    );
  });

  test("malformed envelopes name the JSON path", () => {
    assertInvalid(() => normalizeDistribution({ events: "x" }), "$.events");
    assertInvalid(() => normalizeDistribution({}), "$.events");
    assertInvalid(
      () => normalizeDistribution({ events: [{ action: "push", target: {} }] }),
      "$.events[0].target.repository",
    );
    assertInvalid(
      () =>
        normalizeDistribution({
          events: [{ action: "push", target: { repository: "a", digest: "sha256:1" } }, 3],
        }),
      "$.events[1]",
    );
    assertInvalid(() => normalizeDistribution({ events: [{ action: "push" }] }), "$.events[0].target");
    assertInvalid(() => normalizeDistribution([]), "$");
  });
});

describe("Harbor webhooks", () => {
  const EVENTS: Record<string, string> = {
    PUSH_ARTIFACT: "push",
    DELETE_ARTIFACT: "delete",
    SCANNING_COMPLETED: "scan_completed",
    SCANNING_FAILED: "scan_failed",
  };
  const files = (webhookFiles() ?? []).filter((f) => f.sender === "harbor").map((f) => f.file);

  test("each resource is one message with the payload's image, digest, tag and repository", (t) => {
    if (files.length === 0) return t.skip("corpus folder webhooks/harbor not found");
    for (const file of files) {
      const payload = readCorpusJson(file) as Json;
      const result = normalizeHarbor(payload);
      assert.equal(result.event, EVENTS[payload.type], file);
      assert.equal(result.messages.length, payload.event_data.resources.length, file);
      payload.event_data.resources.forEach((r: Json, i: number) => {
        const m = result.messages[i] as Json;
        assert.equal(m.sender, "harbor");
        assert.equal(m.event, EVENTS[payload.type]);
        assert.equal(m.image, r.resource_url, file);
        assert.equal(m.registry, r.resource_url.split("/")[0]);
        assert.equal(m.digest, r.digest);
        assert.equal(m.tag, r.tag);
        assert.equal(m.repository, payload.event_data.repository.repo_full_name);
        assert.equal(m.operator, payload.operator);
        assert.equal(m.occurred_at, new Date(payload.occur_at * 1000).toISOString());
        if (payload.type === "PUSH_ARTIFACT") assert.equal(m.pushed_by, payload.operator);
      });
    }
  });

  test("a completed scan carries its counts by severity, total, fixable and the level of the worst", (t) => {
    const scanned = files.filter((f) => f.includes("scanning_completed"));
    if (scanned.length === 0) return t.skip("no Harbor scanning_completed payload in the corpus");
    for (const file of scanned) {
      const payload = readCorpusJson(file) as Json;
      const r = payload.event_data.resources[0];
      const report = Object.values(r.scan_overview)[0] as Json;
      const counts: Json = { critical: 0, high: 0, medium: 0, low: 0, negligible: 0, unknown: 0 };
      for (const [word, n] of Object.entries(report.summary.summary))
        counts[OUR_SEVERITY(word)] += n as number;
      const words = Object.keys(report.summary.summary).map((w) => w.toLowerCase());
      const level = Math.max(0, ...words.map((w) => CLAIR_ORDER.indexOf(w)));
      const [m] = normalizeHarbor(payload).messages as Json[];
      assert.deepEqual(m?.counts, counts, file);
      assert.equal(m?.total, report.summary.total);
      assert.equal(m?.fixable, report.summary.fixable);
      assert.equal(m?.scan_status, report.scan_status);
      assert.equal(m?.scanner, report.scanner.name);
      assert.equal(m?.level, level, file);
      assert.equal(m?.severity, words.length === 0 ? "none" : OUR_SEVERITY(CLAIR_ORDER[level] as string));
    }
  });

  test("pulls and events on no artifact are ignored with the reason", () => {
    const pull = normalizeHarbor({ type: "PULL_ARTIFACT", event_data: { resources: [] } });
    assert.deepEqual(pull.messages, []);
    assert.match(pull.ignored ?? "", /PULL_ARTIFACT: a pull changes no image/);
    const quota = normalizeHarbor({ type: "QUOTA_EXCEED", event_data: {} });
    assert.deepEqual(quota.messages, []);
    assert.match(quota.ignored ?? "", /QUOTA_EXCEED names no image action/);
  });

  test("malformed payloads name the JSON path", (t) => {
    const file = "webhooks/harbor/zulip_push_image.json";
    if (!existsSync(corpusPath(file))) return t.skip(`corpus file ${file} not found`);
    const good = readCorpusJson(file) as Json;
    const bad = structuredClone(good);
    bad.event_data.resources[0].digest = 5;
    assertInvalid(() => normalizeHarbor(bad), "$.event_data.resources[0].digest");
    const noUrl = structuredClone(good);
    delete noUrl.event_data.resources[0].resource_url;
    assertInvalid(() => normalizeHarbor(noUrl), "$.event_data.resources[0].resource_url");
    assertInvalid(() => normalizeHarbor({ ...good, event_data: [] }), "$.event_data");
    assertInvalid(() => normalizeHarbor({ ...good, type: 7 }), "$.type");
  });
});

describe("Docker Hub webhooks", () => {
  const file = "webhooks/dockerhub/docker-docs_push_payload.json";
  test("a push is docker.io/<repo_name>:<tag> with who pushed it and when", (t) => {
    if (!existsSync(corpusPath(file))) return t.skip(`corpus file ${file} not found`);
    const payload = readCorpusJson(file) as Json;
    assert.deepEqual(normalizeNotification(payload), {
      sender: "dockerhub",
      event: "push",
      messages: [
        {
          sender: "dockerhub",
          event: "push",
          image: `docker.io/${payload.repository.repo_name}:${payload.push_data.tag}`,
          registry: "docker.io",
          repository: payload.repository.repo_name,
          tag: payload.push_data.tag,
          pushed_by: payload.push_data.pusher,
          pushed_at: new Date(payload.push_data.pushed_at * 1000).toISOString(),
          callback_url: payload.callback_url,
        },
      ],
    });
  });

  test("an official image's one-part name gets library/, and malformed payloads name the path", (t) => {
    if (!existsSync(corpusPath(file))) return t.skip(`corpus file ${file} not found`);
    const payload = readCorpusJson(file) as Json;
    const official = { ...payload, repository: { ...payload.repository, repo_name: "nginx" } };
    assert.equal(
      normalizeDockerHub(official).messages[0]?.image,
      `docker.io/library/nginx:${payload.push_data.tag}`,
    );
    assertInvalid(
      () => normalizeDockerHub({ ...payload, repository: { ...payload.repository, repo_name: 1 } }),
      "$.repository.repo_name",
    );
    assertInvalid(() => normalizeDockerHub({ ...payload, push_data: "x" }), "$.push_data");
    assertInvalid(() => normalizeDockerHub({ ...payload, push_data: { pusher: "x" } }), "$.push_data.tag");
  });
});

describe("Quay notifications (fixtures written from Quay's documentation: the corpus has none)", () => {
  test("repo_push is one push message per updated tag", () => {
    const payload = fixture("quay_repo_push.json");
    assert.equal(detectSender({}, payload), "quay");
    const result = normalizeQuay(payload);
    assert.equal(result.event, "push");
    assert.deepEqual(
      result.messages,
      payload.updated_tags.map((tag: string) => ({
        sender: "quay",
        event: "push",
        image: `${payload.docker_url}:${tag}`,
        registry: payload.docker_url.split("/")[0],
        repository: payload.repository,
        namespace: payload.namespace,
        homepage: payload.homepage,
        tag,
      })),
    );
  });

  test("vulnerability_found is one message per tag with the cve, priority and level; a digest tag pins", () => {
    const payload = fixture("quay_vulnerability_found.json");
    assert.equal(detectSender({}, payload), "quay");
    const result = normalizeQuay(payload);
    const v = payload.vulnerability;
    assert.equal(result.event, "vulnerability_found");
    assert.deepEqual(
      result.messages,
      payload.tags.map((tag: string) => ({
        sender: "quay",
        event: "vulnerability_found",
        image: tag.startsWith("sha256:") ? `${payload.docker_url}@${tag}` : `${payload.docker_url}:${tag}`,
        registry: payload.docker_url.split("/")[0],
        repository: payload.repository,
        namespace: payload.namespace,
        homepage: payload.homepage,
        ...(tag.startsWith("sha256:") ? { digest: tag } : { tag }),
        cve: v.id,
        cves: [v.id],
        priority: v.priority,
        severity: OUR_SEVERITY(v.priority),
        level: CLAIR_ORDER.indexOf(v.priority.toLowerCase()),
        has_fix: v.has_fix,
        link: v.link,
      })),
    );
  });

  test("a vulnerabilities list gives every id and the level of the worst", () => {
    const payload = fixture("quay_vulnerability_found_multiple.json");
    const [m] = normalizeQuay(payload).messages;
    const levels = payload.vulnerabilities.map((v: Json) => CLAIR_ORDER.indexOf(v.priority.toLowerCase()));
    const worst = payload.vulnerabilities[levels.indexOf(Math.max(...levels))];
    assert.deepEqual(
      m?.cves,
      payload.vulnerabilities.map((v: Json) => v.id),
    );
    assert.equal(m?.cve, worst.id);
    assert.equal(m?.level, Math.max(...levels));
  });

  test("build events are ignored; malformed payloads name the path", () => {
    const build = normalizeQuay({ build_id: "b1", docker_url: "quay.example.com/a/b", repository: "a/b" });
    assert.deepEqual(build.messages, []);
    assert.match(build.ignored ?? "", /build event/);
    const push = fixture("quay_repo_push.json");
    assertInvalid(() => normalizeQuay({ ...push, updated_tags: ["ok", 3] }), "$.updated_tags[1]");
    assertInvalid(() => normalizeQuay({ ...push, docker_url: undefined }), "$.docker_url");
    const vuln = fixture("quay_vulnerability_found.json");
    assertInvalid(
      () => normalizeQuay({ ...vuln, vulnerability: { ...vuln.vulnerability, id: null } }),
      "$.vulnerability.id",
    );
  });
});

describe("Clair v4 notifier", () => {
  const hook = "webhooks/clair-v4/notification_webhook_example.json";
  const page = "webhooks/clair-v4/notification_page_example.json";
  test("the webhook names no image: one clair_notification message with its id and callback", (t) => {
    if (!existsSync(corpusPath(hook))) return t.skip(`corpus file ${hook} not found`);
    const payload = readCorpusJson(hook) as Json;
    assert.deepEqual(normalizeNotification(payload), {
      sender: "clair",
      event: "clair_notification",
      messages: [
        {
          sender: "clair",
          event: "clair_notification",
          notification_id: payload.notification_id,
          callback: payload.callback,
        },
      ],
    });
  });

  test("a notification page is one message per affected manifest, with cve, severity and level", (t) => {
    if (!existsSync(corpusPath(page))) return t.skip(`corpus file ${page} not found`);
    const payload = readCorpusJson(page) as Json;
    const result = normalizeClairPage(payload, "n-1");
    assert.equal(result.next, payload.page.next);
    assert.deepEqual(
      result.messages,
      payload.notifications.map((n: Json) => ({
        sender: "clair",
        event: n.reason === "added" ? "vulnerability_found" : "vulnerability_removed",
        image: `@${n.manifest}`,
        digest: n.manifest,
        manifest: n.manifest,
        reason: n.reason,
        cve: n.vulnerability.name,
        severity: OUR_SEVERITY(n.vulnerability.normalized_severity),
        level: CLAIR_ORDER.indexOf(n.vulnerability.normalized_severity.toLowerCase()),
        package: n.vulnerability.package.name,
        package_version: n.vulnerability.package.version,
        fixed_in_version: n.vulnerability.fixed_in_version,
        distribution: n.vulnerability.distribution.pretty_name,
        link: n.vulnerability.links,
        notification_id: "n-1",
        clair_notification: n.id,
      })),
    );
  });

  test("malformed webhooks and pages name the path; a callback must be http(s)", (t) => {
    if (!existsSync(corpusPath(page))) return t.skip(`corpus file ${page} not found`);
    assertInvalid(
      () => normalizeClairWebhook({ notification_id: "x", callback: "file:///etc/passwd" }),
      "$.callback",
    );
    assertInvalid(() => normalizeClairWebhook({ callback: "http://clair/" }), "$.notification_id");
    const bad = structuredClone(readCorpusJson(page)) as Json;
    bad.notifications[0].vulnerability.name = 42;
    assertInvalid(() => normalizeClairPage(bad), "$.notifications[0].vulnerability.name");
    assertInvalid(() => normalizeClairPage({ page: {} }), "$.notifications");
  });
});

describe("CIPolicE's own messages", () => {
  test("pass through unchanged (the seed's three shapes)", () => {
    const shapes = [
      { cve: "CVE-2020-7050", clairresult: -1, image: "nginx:latest", compromised: true },
      { image: "nginx:latest", level: 3 },
      { image: "nginx:latest", "size-mb": 133, labels: [] },
    ];
    for (const message of shapes) {
      assert.equal(detectSender({ "content-type": "application/json" }, message), "cipolice");
      const result = normalizeNotification(message);
      assert.deepEqual(result, { sender: "cipolice", event: "message", messages: [message] });
      assert.notEqual(result.messages[0], message, "a copy, so actions cannot change the caller's object");
    }
  });

  test("are checked: an object, usual fields of their usual types, bounded depth and size", () => {
    assertInvalid(() => normalizeCipoliceMessage("nginx"), "$");
    assertInvalid(() => normalizeCipoliceMessage([{ image: "x" }]), "$");
    assertInvalid(() => normalizeCipoliceMessage({ image: "x", level: "3" }), '$["level"]');
    assertInvalid(() => normalizeCipoliceMessage({ image: 1 }), '$["image"]');
    let deep: unknown = 1;
    for (let i = 0; i < 100; i++) deep = { d: deep };
    assertInvalid(() => normalizeCipoliceMessage({ deep }), "$");
    assertInvalid(() => normalizeCipoliceMessage({ image: "x", blob: "a".repeat(300 * 1024) }), "$");
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
