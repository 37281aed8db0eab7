import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Store } from "../../src/service/store-ports.js";
import { openStore } from "../../src/store/open-store.js";
import { bundleOfRules } from "../support/one-rule-bundle.js";
import { runCli } from "../support/run-cli.js";

// `cipolice preview`: a bundle not yet in force, evaluated over the images the store knows to run (monitor
// checks) or to have been admitted (admission decisions), with the reports stored for them.
const NOW = "2026-12-01T00:00:00Z";
const digest = (c: string) => `sha256:${c.repeat(64)}`;

function trivy(image: string, findings: [string, string][]): string {
  return JSON.stringify({
    SchemaVersion: 2,
    ArtifactName: image,
    ArtifactType: "container_image",
    Metadata: { OS: { Family: "debian", Name: "12.5" } },
    Results: [
      {
        Target: `${image} (debian 12.5)`,
        Class: "os-pkgs",
        Type: "debian",
        Vulnerabilities: findings.map(([id, severity]) => ({
          VulnerabilityID: id,
          PkgName: "openssl",
          InstalledVersion: "3.0.11-1",
          FixedVersion: "3.0.13-1",
          Status: "fixed",
          Severity: severity,
        })),
      },
    ],
  });
}

function bundle(
  id: string,
  severity: string,
  items: { id: string; trigger: string; expires: string }[],
): string {
  return JSON.stringify(
    bundleOfRules(
      id,
      [["vulnerabilities", "package", { package_type: "all", severity_comparison: ">=", severity }]],
      [
        {
          id: "w",
          name: "exceptions",
          items: items.map((i) => ({
            id: i.id,
            gate: "vulnerabilities",
            trigger_id: i.trigger,
            expires_on: i.expires,
          })),
        },
      ],
    ),
  );
}

describe("cipolice preview", () => {
  let dir: string;
  let spec: string;
  let store: Store;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "cipolice-preview-"));
    spec = `sqlite:${join(dir, "store.db")}`;
    store = await openStore(spec);
    const at = new Date(NOW);
    const running = async (name: string, d: string) =>
      store.recordContainerCheck({
        host: "unix:///run/podman.sock",
        containerId: `${name}-id`,
        containerName: name,
        image: `registry.example/web/${name}:1`,
        imageId: digest("f"),
        digest: d,
        outcome: "pass",
        checks: [],
        checkedAt: NOW,
      });
    const admitted = async (name: string, d: string) =>
      store.recordDecision({
        decisionId: `${name}-decision`,
        image: `registry.example/web/${name}:1`,
        digest: d,
        outcome: "pass",
        origin: "admission",
        namespace: "prod",
        decidedAt: NOW,
      });
    await running("high", digest("a"));
    await store.putReports(
      digest("a"),
      [
        {
          name: "trivy",
          format: "trivy",
          text: trivy("registry.example/web/high:1", [["CVE-2026-1", "HIGH"]]),
        },
      ],
      at,
    );
    await admitted("excepted", digest("b"));
    await store.putReports(
      digest("b"),
      [
        {
          name: "trivy",
          format: "trivy",
          text: trivy("registry.example/web/excepted:1", [["CVE-2026-2", "HIGH"]]),
        },
      ],
      at,
    );
    await admitted("unscanned", digest("c"));
    await running("low", digest("d"));
    await store.putReports(
      digest("d"),
      [
        {
          name: "trivy",
          format: "trivy",
          text: trivy("registry.example/web/low:1", [["CVE-2026-4", "LOW"]]),
        },
      ],
      at,
    );
    writeFileSync(join(dir, "current.json"), bundle("current", "critical", []));
    writeFileSync(
      join(dir, "candidate.json"),
      bundle("candidate", "high", [
        { id: "until-fix", trigger: "CVE-2026-2+openssl", expires: "2026-12-11T00:00:00Z" },
      ]),
    );
  });

  after(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const preview = (format: string) =>
    runCli([
      "preview",
      "--policy",
      join(dir, "candidate.json"),
      "--current",
      join(dir, "current.json"),
      "--store",
      spec,
      "--now",
      NOW,
      "--format",
      format,
    ]);

  it("lists what the candidate newly denies, and what an allowlist item's expiry would deny on its date", () => {
    const run = preview("text");
    assert.equal(run.status, 1, run.stderr);
    assert.match(run.stdout, /^4 known image\(s\); the candidate would newly deny 1:/);
    assert.match(run.stdout, /DENY registry\.example\/web\/high:1 \(sha256:aaaaaaaaaaaa…\) \[running\]/);
    assert.match(run.stdout, /CVE-2026-1/);
    assert.match(
      run.stdout,
      /2026-12-11T00:00:00\.000Z registry\.example\/web\/excepted:1 .*\[admitted\]: exceptions\/until-fix expires;.*CVE-2026-2/,
    );
    assert.doesNotMatch(run.stdout, /DENY .*low:1/);
  });

  it("says in JSON which images had no scan data", () => {
    const run = preview("json");
    const out = JSON.parse(run.stdout) as {
      entries: { image: { image: string }; note?: string; candidate: string }[];
    };
    const unscanned = out.entries.find((e) => e.image.image.endsWith("unscanned:1"));
    assert.equal(unscanned?.candidate, "pass");
    assert.match(unscanned?.note ?? "", /no scan data/);
  });
});
