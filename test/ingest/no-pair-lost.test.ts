import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { type TestContext, test } from "node:test";
import { isCipError, type Vulnerability } from "../../src/model/index.js";
import { gatherFacts } from "../../src/service/gather-facts.js";
import { CORPUS_ROOT, skipWithoutCorpus } from "../support/corpus.js";

// Issue "CI gate fidelity", item 1: every (vulnerability id, package) pair a scanner report lists reaches the
// facts `cipolice facts --report FILE` gives. The pairs are taken from the raw JSON by the small extractors
// below, which share no code with src/ingest, and compared with what gatherFacts returns.

/** One (id, package) pair as the scanner wrote it; `names` are the other names the scanner gives the same entry. */
interface RawPair {
  id: string;
  name: string;
  version?: string;
  names?: string[];
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json =>
  v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Json) : {};
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);

function pair(id: unknown, name: unknown, version?: unknown, names?: unknown[]): RawPair[] {
  const i = str(id);
  const n = str(name);
  if (i === undefined || n === undefined) return [];
  const others = (names ?? []).map(str).filter((x): x is string => x !== undefined && x !== i);
  return [
    {
      id: i,
      name: n,
      ...(str(version) ? { version: str(version) } : {}),
      ...(others.length ? { names: others } : {}),
    },
  ];
}

function trivyResults(results: unknown): RawPair[] {
  return arr(results).flatMap((r) =>
    arr(obj(r).Vulnerabilities).flatMap((v) => {
      const o = obj(v);
      return pair(o.VulnerabilityID, o.PkgName, o.InstalledVersion);
    }),
  );
}

/** How to take the pairs out of each report shape, recognised by its own fields (not by src/ingest's detection). */
const EXTRACTORS: { shape: string; test: (d: unknown) => boolean; pairs: (d: unknown) => RawPair[] }[] = [
  {
    shape: "trivy-k8s",
    test: (d) => "ClusterName" in obj(d),
    pairs: (d) =>
      [...arr(obj(d).Resources), ...arr(obj(d).Vulnerabilities)].flatMap((res) =>
        trivyResults(obj(res).Results),
      ),
  },
  {
    shape: "trivy",
    test: (d) =>
      "SchemaVersion" in obj(d) || d === null || (Array.isArray(d) && d.every((x) => "Target" in obj(x))),
    pairs: (d) => (Array.isArray(d) ? trivyResults(d) : trivyResults(obj(d).Results)),
  },
  {
    shape: "grype",
    test: (d) => Array.isArray(obj(d).matches),
    pairs: (d) =>
      arr(obj(d).matches).flatMap((m) => {
        const o = obj(m);
        const related = arr(o.relatedVulnerabilities).map((r) => obj(r).id);
        return pair(obj(o.vulnerability).id, obj(o.artifact).name, obj(o.artifact).version, related);
      }),
  },
  {
    shape: "clair-v4",
    test: (d) => typeof obj(d).manifest_hash === "string",
    pairs: (d) => {
      const root = obj(d);
      return Object.entries(obj(root.package_vulnerabilities)).flatMap(([pkgId, ids]) => {
        const p = obj(obj(root.packages)[pkgId]);
        return arr(ids).flatMap((vid) => {
          const record = obj(obj(root.vulnerabilities)[String(vid)]);
          // A Clair name is the id, then a title: "RHSA-2022:0892: libarchive security update", "pyup.io-38834 (CVE-…)".
          const name = str(record.name) ?? "";
          const id = name.split(/\s/, 1)[0]?.replace(/:$/, "");
          const cves = `${name} ${str(record.links) ?? ""}`.match(/CVE-\d{4}-\d+/g) ?? [];
          return pair(id, p.name, p.version, cves);
        });
      });
    },
  },
  {
    shape: "klar",
    test: (d) => "LayerCount" in obj(d),
    pairs: (d) =>
      Object.values(obj(obj(d).Vulnerabilities)).flatMap((list) =>
        arr(list).flatMap((v) => pair(obj(v).Name, obj(v).FeatureName, obj(v).FeatureVersion)),
      ),
  },
  {
    shape: "clair-scanner",
    test: (d) => "unapproved" in obj(d),
    pairs: (d) =>
      arr(obj(d).vulnerabilities).flatMap((v) =>
        pair(obj(v).vulnerability, obj(v).featurename, obj(v).featureversion),
      ),
  },
  {
    shape: "anchore policy-engine list",
    test: (d) => Array.isArray(d) && d.length > 0 && "artifact" in obj(d[0]),
    pairs: (d) =>
      arr(d).flatMap((m) =>
        pair(
          obj(obj(m).vulnerability).vulnerability_id,
          obj(obj(m).artifact).name,
          obj(obj(m).artifact).version,
        ),
      ),
  },
  {
    shape: "anchorectl",
    test: (d) => Array.isArray(d) && d.length > 0 && "vuln" in obj(d[0]),
    pairs: (d) => arr(d).flatMap((v) => pair(obj(v).vuln, obj(v).packageName, obj(v).packageVersion)),
  },
  {
    shape: "anchore-cli",
    test: (d) => Array.isArray(obj(d).vulnerabilities) && "vulnerability_type" in obj(d),
    pairs: (d) =>
      arr(obj(d).vulnerabilities).flatMap((v) =>
        pair(obj(v).vuln, obj(v).package_name, obj(v).package_version),
      ),
  },
  {
    shape: "anchore securityEvaluation",
    test: (d) => Array.isArray(obj(d).securityEvaluation),
    // `package` is "name-version", and the version is only in it: compared on the whole string below.
    pairs: (d) => arr(obj(d).securityEvaluation).flatMap((v) => pair(obj(v).vulnerabilityId, obj(v).package)),
  },
  {
    shape: "snyk",
    test: (d) =>
      (Array.isArray(d) ? d : [d]).some((p) => "packageManager" in obj(p) && "vulnerabilities" in obj(p)),
    pairs: (d) =>
      (Array.isArray(d) ? d : [d]).flatMap((p) =>
        // `snyk container test` lists the image's OS findings, then each application's under applications[].
        [p, ...arr(obj(p).applications)]
          .flatMap((target) => arr(obj(target).vulnerabilities))
          .flatMap((v) => {
            const o = obj(v);
            const ids = obj(o.identifiers);
            return pair(o.id, o.packageName, o.version, [...arr(ids.CVE), ...arr(ids.GHSA)]);
          }),
      ),
  },
  {
    shape: "twistlock",
    test: (d) => Array.isArray(obj(d).results),
    pairs: (d) =>
      arr(obj(d).results).flatMap((r) =>
        arr(obj(r).vulnerabilities).flatMap((v) => {
          // OS findings name the source package and its binaries: "glibc (used in libc6, libc-bin)".
          const name = str(obj(v).packageName)?.replace(/ \(used in .*\)$/, "");
          return pair(obj(v).id, name, obj(v).packageVersion);
        }),
      ),
  },
  {
    shape: "harbor",
    test: (d) =>
      "scanner" in obj(d) ||
      Object.keys(obj(d)).some(
        (k) => k.startsWith("application/vnd.") && "vulnerabilities" in obj(obj(d)[k]),
      ),
    pairs: (d) => {
      const root = obj(d);
      const body =
        "scanner" in root ? root : obj(Object.values(root).find((v) => "vulnerabilities" in obj(v)));
      return arr(body.vulnerabilities).flatMap((v) => pair(obj(v).id, obj(v).package, obj(v).version));
    },
  },
  {
    shape: "cyclonedx",
    test: (d) => obj(d).bomFormat === "CycloneDX",
    pairs: (d) => {
      const byRef = new Map<string, Json>();
      const walk = (list: unknown) => {
        for (const c of arr(list)) {
          const ref = str(obj(c)["bom-ref"]) ?? str(obj(c).purl);
          if (ref) byRef.set(ref, obj(c));
          walk(obj(c).components);
        }
      };
      walk([obj(obj(d).metadata).component, ...arr(obj(d).components)]);
      return arr(obj(d).vulnerabilities).flatMap((v) =>
        arr(obj(v).affects).flatMap((a) => {
          const ref = str(obj(a).ref) ?? "";
          // A ref to no listed component is a purl: its name is the last segment before "@".
          const c = byRef.get(ref) ?? { name: decodeURIComponent(ref.split("@")[0]?.split("/").pop() ?? "") };
          const refs = arr(obj(v).references).map((r) => obj(r).id);
          return pair(obj(v).id, c.name, c.version, refs);
        }),
      );
    },
  },
  {
    shape: "spdx",
    test: (d) => "spdxVersion" in obj(d),
    // SPDX has no vulnerability objects; an SBOM may name CVE/GHSA ids in a package's security references.
    pairs: (d) =>
      arr(obj(d).packages).flatMap((p) => {
        const ids = arr(obj(p).externalRefs)
          .filter(
            (r) =>
              /^security$/i.test(str(obj(r).referenceCategory) ?? "") && obj(r).referenceType !== "cpe23Type",
          )
          .flatMap(
            (r) =>
              (str(obj(r).referenceLocator) ?? "").match(/CVE-\d{4}-\d+|GHSA(?:-[0-9a-z]{4}){3}/gi) ?? [],
          );
        return [...new Set(ids)].flatMap((id) => pair(id, obj(p).name, obj(p).versionInfo));
      }),
  },
  {
    shape: "syft",
    test: (d) => Array.isArray(obj(d).artifacts),
    pairs: () => [], // An inventory: no vulnerability data.
  },
];

function filesUnder(dir: string): string[] {
  return readdirSync(dir)
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? filesUnder(path) : [path];
    })
    .sort();
}

const key = (id: string, name: string) => `${id} on ${name}`;

/** The facts `cipolice facts --report FILE` would print, or why the reader refused the file. */
function factsOf(
  file: string,
  text: string,
): { vulns: Vulnerability[]; notes: string[] } | { refused: string } {
  try {
    const { facts, notes } = gatherFacts({
      image: "registry.example/no-pair-lost:1",
      reports: [{ text, source: file }],
      vex: [],
    });
    return { vulns: facts.vulnerabilities ?? [], notes: notes.map((n) => n.message) };
  } catch (error) {
    if (isCipError(error) && error.code === "CIP_REPORT_UNSUPPORTED") return { refused: error.message };
    throw error;
  }
}

/** The name a finding's package goes by, in the form the raw pair has it. */
function packageName(v: Vulnerability, raw: RawPair): string {
  // Anchore's securityEvaluation rows name the package "name-version".
  return raw.version === undefined && raw.name === `${v.package.name}-${v.package.version}`
    ? raw.name
    : v.package.name;
}

/**
 * Reports where fewer findings come out than the scanner listed entries: each merge, why it is legitimate,
 * and the counts (entries in, findings out) so that any other merge fails the test.
 */
const LEGITIMATE_MERGES: Record<string, { entries: number; findings: number; reason: string }> = {
  "scanners/clair-v4/clair-action_quay-rhel8.json": {
    entries: 39,
    findings: 29,
    reason:
      "Clair keeps one record per RHEL repository: each of the 6 RHSAs on 10 packages is listed from both AppStream and BaseOS (same advisory, package and version)",
  },
  "scanners/grype/defectdojo/check_all_fields.json": {
    entries: 6,
    findings: 5,
    reason: "GHSA-v6rh-hp5x-86rv on Django 3.2.9 is listed twice, identical down to its locations",
  },
  "scanners/grype/defectdojo/same_cve_different_paths.json": {
    entries: 2,
    findings: 1,
    reason:
      "CVE-2021-33574 on the one deb package libc6 2.28-10 (one purl), listed once per evidence file (two libc.so.6 paths)",
  },
  "scanners/grype/upstream/chainguard-ruby-test.json": {
    entries: 3,
    findings: 2,
    reason:
      "GHSA-hv5j-3h9f-99c2 on uri 0.10.1 names one CVE, CVE-2023-28755, also matched on uri: a one-to-one alias",
  },
  "scanners/snyk/all_containers_target_output.json": {
    entries: 40,
    findings: 17,
    reason: "Snyk lists a vulnerability once per dependency path (`from`) to the same package version",
  },
  "scanners/snyk/snykcontainer_issue_9270.json": {
    entries: 37,
    findings: 25,
    reason: "Snyk lists a vulnerability once per dependency path (`from`) to the same package version",
  },
  "scanners/trivy/defectdojo/kubernetes.json": {
    entries: 10,
    findings: 5,
    reason:
      "two workloads run images with the same Debian 10.4 packages; a cluster report is flattened to one list (src/ingest/formats/trivy-k8s.ts, said in a note)",
  },
};

/**
 * Entry counts SOURCES.md gives (counted there with jq), so that the extractors above are seen to find every
 * entry; where this test's count differs, why.
 */
const SOURCES_COUNTS: Record<string, { entries: number; why?: string; note?: RegExp }> = {
  "scanners/trivy/defectdojo/legacy_many_vulns.json": { entries: 93 },
  "scanners/trivy/defectdojo/scheme_2_many_vulns.json": { entries: 5 },
  "scanners/trivy/defectdojo/legacy_trivy_mix.json": {
    entries: 6,
    why: "SOURCES.md says 7: one entry has a PkgName and no VulnerabilityID, so no pair; the reader says so",
    note: /1 vulnerability entry without VulnerabilityID or PkgName skipped/,
  },
  "scanners/trivy/defectdojo/all_statuses.json": { entries: 8 },
  "scanners/trivy/defectdojo/issue_9333.json": { entries: 13 },
  "scanners/grype/defectdojo/check_all_fields.json": { entries: 6 },
  "scanners/grype/defectdojo/many_vulns_with_epss_values.json": { entries: 15 },
  "scanners/grype/defectdojo/issue_9618.json": { entries: 35 },
  "scanners/anchore-engine/vuln/many_vulns.json": { entries: 23 },
  "scanners/anchore-engine/vuln/many_vulns_2.4.1.json": { entries: 51 },
  "scanners/anchore-engine/vuln/new_format_issue_11552.json": { entries: 84 },
  "scanners/anchore-engine/policy-engine-vulns/grype_debian-test.json": { entries: 97 },
  "scanners/anchore-engine/policy-engine-vulns/legacy_debian-test.json": { entries: 93 },
  "scanners/clair-scanner/clair_many_vul.json": { entries: 35 },
  "scanners/clair-v4/clair-action_quay-rhel8.json": { entries: 39 },
  "scanners/klar/clairklar_mixed.json": { entries: 6 },
  "scanners/twistlock/many_vulns.json": { entries: 5 },
  "scanners/snyk/snykcontainer_issue_9270.json": {
    entries: 37,
    why: "SOURCES.md's 25 are the image's entries; its one application (/juice-shop/package.json) lists 12 more",
  },
};

interface Tally {
  reports: number;
  entries: number;
  pairs: number;
}

/** Checks one report; returns what is wrong, empty when no pair is lost. */
function check(file: string, raw: RawPair[], vulns: Vulnerability[]): string[] {
  const problems: string[] = [];
  const same = (v: Vulnerability, p: RawPair) =>
    packageName(v, p) === p.name &&
    (p.version === undefined || p.name !== v.package.name || v.package.version === p.version);
  // Every raw pair is a finding in the facts, under its own id or with it as an alias.
  for (const p of raw) {
    if (!vulns.some((v) => same(v, p) && [v.id, ...(v.aliases ?? [])].includes(p.id)))
      problems.push(`${file}: ${key(p.id, p.name)} ${p.version ?? ""} is lost`);
  }
  for (const v of vulns) {
    const names = new Set([v.id, ...(v.aliases ?? [])]);
    const merged = new Set(raw.filter((p) => same(v, p) && names.has(p.id)).map((p) => p.id));
    // Two of the scanner's ids in one finding: only when the scanner says one is the other's single alias.
    const oneToOne = (d: string, c: string) =>
      d === c || raw.some((p) => p.id === d && same(v, p) && p.names?.length === 1 && p.names[0] === c);
    if (merged.size > 1 && ![...merged].some((c) => [...merged].every((d) => oneToOne(d, c))))
      problems.push(`${file}: ${[...merged].join(", ")} on ${v.package.name} are merged into one finding`);
    // No finding is invented: one of its names is one the scanner gave for that package.
    if (!raw.some((p) => same(v, p) && [p.id, ...(p.names ?? [])].some((n) => names.has(n))))
      problems.push(`${file}: ${key(v.id, v.package.name)} is in the facts but not in the report`);
  }
  // Fewer findings than entries: only the merges named above, with their counts.
  const expected = LEGITIMATE_MERGES[file];
  if (vulns.length < raw.length || expected) {
    const actual = { entries: raw.length, findings: vulns.length };
    if (!expected) problems.push(`${file}: ${raw.length} entries give ${vulns.length} findings, unexplained`);
    else if (expected.entries !== actual.entries || expected.findings !== actual.findings)
      problems.push(`${file}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  }
  return problems;
}

function checkFolder(t: TestContext, folder: string): Map<string, Tally> {
  const tallies = new Map<string, Tally>();
  const problems: string[] = [];
  for (const path of filesUnder(join(CORPUS_ROOT, folder))) {
    const file = relative(CORPUS_ROOT, path);
    const text = readFileSync(path, "utf8");
    const outcome = factsOf(file, text);
    if ("refused" in outcome) {
      t.diagnostic(`not checked, refused as no report CIPolicE reads: ${outcome.refused}`);
      continue;
    }
    const document = JSON.parse(text) as unknown;
    const extractor = EXTRACTORS.find((e) => e.test(document));
    if (!extractor) {
      problems.push(`${file}: read by CIPolicE but no raw extractor knows its shape`);
      continue;
    }
    const raw = extractor.pairs(document);
    problems.push(...check(file, raw, outcome.vulns));
    const counted = SOURCES_COUNTS[file];
    if (counted && counted.entries !== raw.length)
      problems.push(`${file}: ${raw.length} entries extracted, ${counted.entries} expected`);
    if (counted?.note && !outcome.notes.some((n) => counted.note?.test(n)))
      problems.push(`${file}: no note matching ${counted.note}`);
    const pairs = new Set(raw.map((p) => `${key(p.id, p.name)} ${p.version ?? ""}`)).size;
    const tally = tallies.get(extractor.shape) ?? { reports: 0, entries: 0, pairs: 0 };
    tallies.set(extractor.shape, {
      reports: tally.reports + 1,
      entries: tally.entries + raw.length,
      pairs: tally.pairs + pairs,
    });
    const merge = LEGITIMATE_MERGES[file];
    t.diagnostic(
      `${file} (${extractor.shape}): ${raw.length} entries, ${pairs} pairs, ${outcome.vulns.length} findings` +
        (merge ? `; merged legitimately: ${merge.reason}` : "") +
        (counted?.why ? `; ${counted.why}` : ""),
    );
  }
  for (const [shape, { reports, entries, pairs }] of tallies)
    t.diagnostic(
      `${shape}: ${reports} reports, ${entries} entries, ${pairs} (id, package, version) pairs checked`,
    );
  assert.deepEqual(problems, []);
  return tallies;
}

test("no (vulnerability id, package) pair of any corpus scanner report is lost", {
  skip: skipWithoutCorpus("scanners"),
}, (t) => {
  const tallies = checkFolder(t, "scanners");
  // Every format CIPolicE reads that the corpus has a report of was checked.
  assert.ok(tallies.size >= 12, [...tallies.keys()].join(", "));
});

test("no (vulnerability id, package) pair of a corpus SBOM with vulnerabilities (CycloneDX, SPDX) is lost", {
  skip: skipWithoutCorpus("sbom"),
}, (t) => {
  const tallies = checkFolder(t, "sbom");
  assert.ok(tallies.has("cyclonedx") && tallies.has("spdx"), [...tallies.keys()].join(", "));
});
