import assert from "node:assert/strict";
import { test } from "node:test";
import { readCorpusJson, skipWithoutCorpus } from "../../../test/support/corpus.js";
import { claimedBy, corpusFilesWhere, fuzzParser, severityCounts } from "../../../test/support/ingest.js";
import { CipError } from "../../model/index.js";
import { trivyFormat } from "./trivy.js";
import { trivyK8sFormat } from "./trivy-k8s.js";

const OLDER = "scanners/trivy/defectdojo/kubernetes.json";
const RESOURCES = "scanners/trivy/defectdojo/issue_10991.json";

test("kubernetes.json (older shape): 10 vulnerability entries over 2 images flatten to 5 findings", {
  skip: skipWithoutCorpus(OLDER),
}, () => {
  const report = trivyK8sFormat.parse(readCorpusJson(OLDER), OLDER);
  // Both redis images are debian 10.4 with the same 5 findings (jq '.Vulnerabilities[].Results[].Vulnerabilities[]'),
  // so one finding per (id, package, location) leaves 5. DefectDojo's 20 = these 10 entries + 10 misconfigurations.
  assert.equal(report.vulnerabilities?.length, 5);
  assert.deepEqual(severityCounts(report), { medium: 1, low: 4 });
  assert.equal(report.image, undefined, "a report on two images names neither");
  assert.equal(report.format, "trivy-k8s");
  assert.deepEqual(report.notes, [
    "Trivy cluster report of arn:aws:eks:us-east-1:576036489467:cluster/monitoring-test-cluster: 6 resources, " +
      "2 images scanned (gcr.io/google_samples/gb-redis-follower:v2, docker.io/redis:6.0.5); " +
      "the findings of all images are flattened into one list.",
    "Trivy found 10 misconfigurations (MEDIUM 4, LOW 6), 108 checks passed; not modelled.",
    "5 repeated vulnerability entries (same id, package and location) merged.",
    "The report lists no package inventory (Trivy writes one with --list-all-pkgs).",
  ]);
  const apt = report.vulnerabilities?.find((v) => v.id === "CVE-2020-27350");
  assert.deepEqual(apt?.package, { name: "apt", version: "1.8.2.1", type: "dpkg" });
});

test("issue_10991 (Resources[] shape): 37 misconfigurations, no vulnerabilities (DefectDojo asserts 37 findings)", {
  skip: skipWithoutCorpus(RESOURCES),
}, () => {
  const report = trivyK8sFormat.parse(readCorpusJson(RESOURCES), RESOURCES);
  assert.deepEqual(report.vulnerabilities, []);
  assert.deepEqual(report.notes, [
    "Trivy cluster report: 13 resources, 0 images scanned.",
    "Trivy found 37 misconfigurations (HIGH 1, MEDIUM 5, LOW 31), 1939 checks passed; not modelled.",
  ]);
});

test("a cluster report of one image names it; image paths are absolute", () => {
  const report = trivyK8sFormat.parse(
    {
      ClusterName: "kind",
      Resources: [
        {
          Namespace: "default",
          Kind: "Deployment",
          Name: "web",
          Results: [
            {
              Target: "nginx:1.25 (debian 12.1)",
              Class: "os-pkgs",
              Type: "debian",
              Vulnerabilities: [
                { VulnerabilityID: "CVE-1", PkgName: "libc6", InstalledVersion: "2.36", Severity: "HIGH" },
              ],
            },
            {
              Target: "Node.js",
              Class: "lang-pkgs",
              Type: "node-pkg",
              Vulnerabilities: [
                {
                  VulnerabilityID: "CVE-2",
                  PkgName: "ms",
                  PkgPath: "app/node_modules/ms/package.json",
                  Severity: "LOW",
                },
              ],
            },
          ],
        },
        { Namespace: "default", Kind: "Pod", Name: "broken", Error: "timeout" },
      ],
    },
    "one.json",
  );
  assert.deepEqual(report.image, { ref: "nginx:1.25" });
  assert.deepEqual(report.distro, { name: "debian", version: "12.1" });
  assert.equal(report.vulnerabilities?.[1]?.package.path, "/app/node_modules/ms/package.json");
  assert.ok(report.notes.includes("Trivy could not scan 1 resource (their Error is set)."));
});

test("detection: true for both cluster reports, false for every other corpus file; Trivy's image format declines them", {
  skip: skipWithoutCorpus(OLDER, RESOURCES),
}, () => {
  const expected = corpusFilesWhere((relative) => relative === OLDER || relative === RESOURCES);
  assert.deepEqual(claimedBy(trivyK8sFormat), expected);
  const trivyClaims = claimedBy(trivyFormat);
  assert.deepEqual(
    expected.filter((relative) => trivyClaims.includes(relative)),
    [],
    "Trivy's image format must decline cluster reports",
  );
});

test("broken cluster reports: CIP_REPORT_INVALID naming the place", () => {
  const cases: [unknown, RegExp][] = [
    [{ ClusterName: "c", Resources: {} }, /expected an array, got an object \(at \$\.Resources\)/],
    [{ ClusterName: "c", Resources: ["x"] }, /expected an object, got a string \(at \$\.Resources\[0\]\)/],
    [
      { ClusterName: "c", Resources: [{ Results: 1 }] },
      /expected an array, got a number \(at \$\.Resources\[0\]\.Results\)/,
    ],
    [null, /expected an object, got null \(at \$\)/],
  ];
  for (const [document, message] of cases) {
    assert.throws(
      () => trivyK8sFormat.parse(document, "bad.json"),
      (e: unknown) => e instanceof CipError && e.code === "CIP_REPORT_INVALID" && message.test(e.message),
    );
  }
});

test("mutated cluster reports: a result or a CipError, never another exception", {
  skip: skipWithoutCorpus(OLDER),
}, () => {
  fuzzParser(trivyK8sFormat, readCorpusJson(OLDER), OLDER, 200, 7);
});
