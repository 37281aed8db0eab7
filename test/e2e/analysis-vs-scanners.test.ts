import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { corpusPath, skipWithoutCorpus } from "../support/corpus.js";
import { goBuildInfoElf } from "../support/go-binary.js";
import { runCliAsync } from "../support/run-cli.js";
import { SYFT_APK_MULTIPLE_2_PACKAGES, TRIVY_APK_PACKAGES } from "../support/scanner-package-lists.js";
import { imageToolsMissing } from "./support/images.js";

// CIPolicE's own image analysis (`facts IMAGE --analyze`) against what other scanners answered for the same
// packages: the package inventory a scanner listed, and the (vulnerability, package) pairs it found.
//
// The corpus has no image that carries both a package database and a scanner's answer about it, so each
// image here is built (umoci) from what a scanner was given or reported: a Syft SBOM's components become a
// dpkg status file or an apk database, a scanner's test database is copied in as it is. CIPolicE then reads
// the image like any other, and its answer is compared with the scanner's. Every expected value comes from the
// corpus (the SBOM, the report, the scanners' own test expectations quoted in SOURCES.md) or from a real tool
// run here (dpkg-query); none is copied from CIPolicE's output. Differences are asserted and explained.
const run = promisify(execFile);

const OFFLINE = "osv/osv-scanner-offline";
const POSTGRES_SBOM = `${OFFLINE}/inputs/postgres-stretch.cdx.xml`;
const ALPINE_SBOM = `${OFFLINE}/inputs/locks-many-with-insecure/alpine.cdx.xml`;
const UBUNTU_STATUS = "pkgdb/dpkg/trivy/ubuntu-18.04/status";
const TRIVY_UBUNTU = "scanners/trivy/upstream/ubuntu-1804.json";
const TRIVY_DISTROLESS = "scanners/trivy/upstream/distroless-base.json";
const TRIVY_APK = "pkgdb/apk/trivy/installed";
const SYFT_APK = "pkgdb/apk/syft/multiple-2/lib/apk/db/installed";
const OSV_DIRS = [`${OFFLINE}/Debian`, `${OFFLINE}/Go`, `${OFFLINE}/Alpine`, "osv/ubuntu"];
const skip =
  imageToolsMissing() ||
  skipWithoutCorpus(
    POSTGRES_SBOM,
    ALPINE_SBOM,
    UBUNTU_STATUS,
    TRIVY_UBUNTU,
    TRIVY_DISTROLESS,
    TRIVY_APK,
    SYFT_APK,
    ...OSV_DIRS,
  );
const dpkgQueryMissing = existsSync("/usr/bin/dpkg-query") ? false : "dpkg-query not installed";

// ---- CycloneDX SBOMs (Syft 0.73) -------------------------------------------------------------------------

interface Purl {
  type: string;
  namespace?: string;
  name: string;
  version: string;
  qualifiers: Record<string, string>;
}

interface Component {
  purl: Purl;
  licenses: string[];
  properties: Map<string, string>;
}

function xmlText(text: string): string {
  return text
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, "&");
}

/** `pkg:type/namespace/name@version?k=v&…`, percent-decoded; enough of the purl spec for Syft's purls. */
function parsePurl(text: string): Purl {
  const match = /^pkg:([^/]+)\/(.+?)@([^?#]*)(?:\?([^#]*))?/.exec(text);
  assert.ok(match, `not a purl: ${text}`);
  const path = (match[2] as string).split("/").map(decodeURIComponent);
  const qualifiers: Record<string, string> = {};
  for (const pair of (match[4] ?? "").split("&")) {
    const eq = pair.indexOf("=");
    if (eq > 0) qualifiers[pair.slice(0, eq)] = decodeURIComponent(pair.slice(eq + 1));
  }
  const name = path.pop() as string;
  const purl: Purl = {
    type: match[1] as string,
    name,
    version: decodeURIComponent(match[3] as string),
    qualifiers,
  };
  if (path.length > 0) purl.namespace = path.join("/");
  return purl;
}

/** The components (with a purl) of a CycloneDX XML SBOM, read with bounded regular expressions. */
function sbomComponents(xml: string): Component[] {
  const body = xml.slice(xml.indexOf("<components>"));
  const components: Component[] = [];
  for (const block of body.matchAll(/<component\b[^>]*>([\s\S]*?)<\/component>/g)) {
    const inner = block[1] as string;
    const purl = /<purl>([^<]+)<\/purl>/.exec(inner)?.[1];
    if (purl === undefined) continue;
    const licenses = [...inner.matchAll(/<license>\s*<(?:id|name)>([^<]+)<\/(?:id|name)>/g)].map((m) =>
      xmlText(m[1] as string),
    );
    const properties = new Map<string, string>();
    for (const p of inner.matchAll(/<property name="([^"]+)">([^<]*)<\/property>/g)) {
      properties.set(xmlText(p[1] as string), xmlText(p[2] as string));
    }
    components.push({ purl: parsePurl(xmlText(purl)), licenses, properties });
  }
  return components;
}

/** The source package a purl's `upstream` qualifier names (`openssl`, `util-linux@2.29.2-1+deb9u1`). */
function upstreamOf(purl: Purl): { name: string; version?: string } | undefined {
  const upstream = purl.qualifiers.upstream;
  if (upstream === undefined) return undefined;
  const at = upstream.indexOf("@");
  return at < 0 ? { name: upstream } : { name: upstream.slice(0, at), version: upstream.slice(at + 1) };
}

// ---- package databases written by the test ----------------------------------------------------------------

interface DebPackage {
  name: string;
  version: string;
  arch?: string;
  source?: { name: string; version?: string };
}

/** One dpkg status stanza, as dpkg writes it for an installed package (status.d entries have no Status). */
function dpkgStanza(pkg: DebPackage, withStatus = true): string {
  const lines = [`Package: ${pkg.name}`];
  if (withStatus) lines.push("Status: install ok installed");
  if (pkg.arch !== undefined) lines.push(`Architecture: ${pkg.arch}`);
  if (pkg.source !== undefined) {
    lines.push(`Source: ${pkg.source.name}${pkg.source.version ? ` (${pkg.source.version})` : ""}`);
  }
  lines.push(`Version: ${pkg.version}`);
  return `${lines.join("\n")}\n`;
}

function debPackageOf(c: Component): DebPackage {
  const pkg: DebPackage = { name: c.purl.name, version: c.purl.version };
  if (c.purl.qualifiers.arch !== undefined) pkg.arch = c.purl.qualifiers.arch;
  const source = upstreamOf(c.purl);
  if (source !== undefined) pkg.source = source;
  return pkg;
}

/** One `lib/apk/db/installed` entry: P, V, A, o (origin) and L lines. */
function apkEntry(c: Component): string {
  const lines = [`P:${c.purl.name}`, `V:${c.purl.version}`];
  if (c.purl.qualifiers.arch !== undefined) lines.push(`A:${c.purl.qualifiers.arch}`);
  const origin = upstreamOf(c.purl);
  if (origin !== undefined) lines.push(`o:${origin.name}`);
  if (c.licenses.length > 0) lines.push(`L:${c.licenses.join(" ")}`);
  return `${lines.join("\n")}\n`;
}

/** Adds `tag` to the OCI layout: one layer holding `files` (paths in `executables` get mode 0755). */
async function addImage(
  layout: string,
  work: string,
  tag: string,
  files: Record<string, string | Buffer>,
  executables: string[] = [],
): Promise<void> {
  const bundle = join(work, `bundle-${tag}`);
  await run("umoci", ["new", "--image", `${layout}:${tag}`]);
  await run("umoci", ["unpack", "--rootless", "--image", `${layout}:${tag}`, bundle]);
  for (const [path, content] of Object.entries(files)) {
    const target = join(bundle, "rootfs", path);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, content);
  }
  for (const path of executables) await chmod(join(bundle, "rootfs", path), 0o755);
  await run("umoci", ["repack", "--image", `${layout}:${tag}`, bundle]);
  await rm(bundle, { recursive: true, force: true });
}

// ---- CIPolicE's answer ----------------------------------------------------------------------------------

interface FactsPackage {
  name: string;
  version: string;
  type: string;
  sourceName?: string;
  path?: string;
}

interface FactsVulnerability {
  id: string;
  aliases?: string[];
  advisories?: string[];
  package: FactsPackage;
  fix?: { state: string; versions?: string[] };
}

interface Facts {
  distro?: { name: string; version?: string };
  packages: FactsPackage[];
  vulnerabilities: FactsVulnerability[];
}

const nameVersion = (p: { name: string; version: string }): string => `${p.name} ${p.version}`;
const sorted = (values: Iterable<string>): string[] => [...new Set(values)].sort();
/** A finding as a distribution scanner's table shows it: the advisory and the source package. */
const bySource = (v: FactsVulnerability): string => `${v.id} ${v.package.sourceName ?? v.package.name}`;
/** Whether a finding is about `cve`: its id, an alias, or an advisory it names (UBUNTU-CVE-…) says so. */
const about = (v: FactsVulnerability, cve: string): boolean =>
  [v.id, ...(v.aliases ?? []), ...(v.advisories ?? [])].some((n) => n === cve || n.endsWith(`-${cve}`));

/** The OSV records of a corpus directory, as text (to show a CVE is simply not in the database). */
async function recordTexts(dir: string): Promise<string[]> {
  const files = (await readdir(corpusPath(dir))).filter((f) => f.endsWith(".json"));
  return Promise.all(files.map((f) => readFile(corpusPath(`${dir}/${f}`), "utf8")));
}

describe("CIPolicE's own analysis agrees with the scanners' answers", { skip }, () => {
  let work: string;
  let layout: string;
  let db: string;
  let postgres: Component[];
  let alpine: Component[];
  let distroless: {
    Metadata: { OS: { Family: string; Name: string } };
    Results: {
      Vulnerabilities?: {
        VulnerabilityID: string;
        PkgName: string;
        InstalledVersion: string;
        PkgIdentifier?: { PURL?: string };
      }[];
    }[];
  };

  async function analyse(tag: string): Promise<Facts> {
    const facts = await runCliAsync(["facts", `oci:${layout}:${tag}`, "--analyze", "--db", db]);
    assert.equal(facts.status, 0, facts.stderr);
    return JSON.parse(facts.stdout) as Facts;
  }

  before(async () => {
    work = await mkdtemp(join(tmpdir(), "cipolice-vs-scanners-"));
    layout = join(work, "oci");
    await run("umoci", ["init", "--layout", layout]);

    // 1. postgres:11.15-stretch as Syft saw it: its deb components as a dpkg status, gosu's modules as a Go binary
    postgres = sbomComponents(await readFile(corpusPath(POSTGRES_SBOM), "utf8"));
    const debs = postgres.filter((c) => c.purl.type === "deb");
    const golang = postgres.filter((c) => c.purl.type === "golang");
    const gosu = golang[0]?.properties;
    assert.ok(gosu, "the SBOM lists gosu's Go modules");
    const mainModule = gosu.get("syft:metadata:mainModule") as string;
    const goModule = (c: Component) => [c.purl.namespace, c.purl.name].filter(Boolean).join("/");
    const modInfo = [
      `path\t${mainModule}`,
      `mod\t${mainModule}\t${golang.find((c) => goModule(c) === mainModule)?.purl.version ?? "(devel)"}\t`,
      ...golang
        .filter((c) => goModule(c) !== mainModule)
        .map(
          (c) =>
            `dep\t${goModule(c)}\t${c.purl.version}\t${c.properties.get("syft:metadata:h1Digest") ?? ""}`,
        ),
      "",
    ].join("\n");
    const gosuPath = gosu.get("syft:location:0:path") as string;
    await addImage(
      layout,
      work,
      "postgres",
      {
        "etc/os-release":
          'PRETTY_NAME="Debian GNU/Linux 9 (stretch)"\nNAME="Debian GNU/Linux"\nVERSION_ID="9"\nID=debian\n',
        "var/lib/dpkg/status": debs.map((c) => dpkgStanza(debPackageOf(c))).join("\n"),
        [gosuPath]: goBuildInfoElf(gosu.get("syft:metadata:goCompiledVersion") as string, modInfo),
      },
      [gosuPath],
    );

    // 2. osv-scanner's Alpine SBOM as an apk database
    alpine = sbomComponents(await readFile(corpusPath(ALPINE_SBOM), "utf8"));
    const alpineVersion = /^alpine-(.+)$/.exec(alpine[0]?.purl.qualifiers.distro ?? "")?.[1];
    assert.equal(alpineVersion, "3.17.2", "the SBOM's purls say distro=alpine-3.17.2");
    await addImage(layout, work, "alpine", {
      "etc/os-release": `NAME="Alpine Linux"\nID=alpine\nVERSION_ID=${alpineVersion}\n`,
      "lib/apk/db/installed": alpine
        .filter((c) => c.purl.type === "apk")
        .map(apkEntry)
        .join("\n"),
    });

    // 3. Trivy's Ubuntu 18.04 dpkg status, as it is
    await addImage(layout, work, "ubuntu", {
      "etc/os-release":
        'NAME="Ubuntu"\nVERSION="18.04 LTS (Bionic Beaver)"\nID=ubuntu\nID_LIKE=debian\nVERSION_ID="18.04"\n',
      "var/lib/dpkg/status": await readFile(corpusPath(UBUNTU_STATUS)),
    });

    // 4. the scanners' apk test databases, as they are
    await addImage(layout, work, "apk-trivy", {
      "lib/apk/db/installed": await readFile(corpusPath(TRIVY_APK)),
    });
    await addImage(layout, work, "apk-syft", {
      "lib/apk/db/installed": await readFile(corpusPath(SYFT_APK)),
    });

    // 5. Trivy's distroless-base report: its (vulnerable) packages as distroless status.d entries. The report
    // gives no source package; Syft's SBOM of the same Debian release says which binaries come from which.
    distroless = JSON.parse(await readFile(corpusPath(TRIVY_DISTROLESS), "utf8"));
    const sourceOf = new Map(
      debs.flatMap((c) => {
        const source = upstreamOf(c.purl);
        return source === undefined ? [] : [[c.purl.name, source.name] as const];
      }),
    );
    const statusD: Record<string, string> = {};
    for (const v of distroless.Results.flatMap((r) => r.Vulnerabilities ?? [])) {
      const pkg: DebPackage = { name: v.PkgName, version: v.InstalledVersion };
      const arch =
        v.PkgIdentifier?.PURL === undefined ? undefined : parsePurl(v.PkgIdentifier.PURL).qualifiers.arch;
      if (arch !== undefined) pkg.arch = arch;
      const source = sourceOf.get(v.PkgName);
      if (source !== undefined) pkg.source = { name: source };
      statusD[`var/lib/dpkg/status.d/${v.PkgName}`] = dpkgStanza(pkg, false);
    }
    const os = distroless.Metadata.OS;
    await addImage(layout, work, "distroless", {
      // distroless's own os-release names only the major release; /etc/debian_version the point release
      "etc/os-release": `PRETTY_NAME="Distroless"\nNAME="Debian GNU/Linux"\nID="${os.Family}"\nVERSION_ID="${os.Name.split(".")[0]}"\n`,
      "etc/debian_version": `${os.Name}\n`,
      ...statusD,
    });

    db = join(work, "osv.db");
    const imported = await runCliAsync(["db", "import", ...OSV_DIRS.map((d) => corpusPath(d)), "--db", db]);
    assert.equal(imported.status, 0, imported.stderr);
  });

  after(async () => {
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  it("postgres:11.15-stretch: the dpkg inventory is Syft's, the findings are osv-scanner's", async () => {
    const facts = await analyse("postgres");
    const debs = postgres.filter((c) => c.purl.type === "deb");
    assert.deepEqual(facts.distro, { name: "debian", version: "9" });
    assert.deepEqual(
      sorted(facts.packages.filter((p) => p.type === "dpkg").map(nameVersion)),
      sorted(debs.map((c) => nameVersion(c.purl))),
    );

    // The Go modules of gosu: Syft's three, plus the standard library at the toolchain version, which CIPolicE
    // (as trivy) lists and Syft 0.73 did not. The main module built as `(devel)` has no version.
    const golang = postgres.filter((c) => c.purl.type === "golang");
    const goModule = (c: Component) => [c.purl.namespace, c.purl.name].filter(Boolean).join("/");
    const goVersion = golang[0]?.properties.get("syft:metadata:goCompiledVersion") as string;
    assert.deepEqual(
      sorted(facts.packages.filter((p) => p.type === "go").map((p) => nameVersion(p))),
      sorted([
        ...golang.map((c) => `${goModule(c)} ${c.purl.version === "(devel)" ? "" : c.purl.version}`),
        `stdlib ${goVersion.replace(/^go/, "v")}`,
      ]),
    );

    // osv-scanner TestCommand_LocalDatabases, one_specific_supported_sbom_with_vulns: the six findings SOURCES.md
    // states in the osv/osv-scanner-offline rows (its table names Debian findings by source package).
    const osvScanner = [
      "DLA-3022-1 dpkg",
      "DLA-3012-1 libxml2",
      "DLA-3008-1 openssl",
      "DLA-3051-1 tzdata",
      "GO-2022-0274 github.com/opencontainers/runc",
      "GO-2022-0493 golang.org/x/sys",
    ];
    // The one difference: GO-2022-0493 also names the standard library (fixed in Go 1.17.10), and gosu was
    // built with go1.16.7. osv-scanner could not see it: Syft 0.73's SBOM has no stdlib component.
    const stdlib = "GO-2022-0493 stdlib";
    const go0493 = JSON.parse(await readFile(corpusPath(`${OFFLINE}/Go/GO-2022-0493.json`), "utf8")) as {
      affected: { package: { name: string } }[];
    };
    assert.ok(go0493.affected.some((a) => a.package.name === "stdlib"));
    assert.ok(!golang.some((c) => c.purl.name === "stdlib"));
    assert.deepEqual(sorted(facts.vulnerabilities.map(bySource)), sorted([...osvScanner, stdlib]));

    // Each Debian advisory is reported on every installed binary of its source package, as the SBOM lists them
    // (DLA-3008-1: openssl and libssl1.1).
    for (const finding of osvScanner.filter((f) => f.startsWith("DLA-"))) {
      const [id, source] = finding.split(" ") as [string, string];
      const binaries = debs.filter((c) => (upstreamOf(c.purl)?.name ?? c.purl.name) === source);
      assert.deepEqual(
        sorted(facts.vulnerabilities.filter((v) => v.id === id).map((v) => nameVersion(v.package))),
        sorted(binaries.map((c) => nameVersion(c.purl))),
        id,
      );
    }
    assert.deepEqual(
      sorted(facts.vulnerabilities.filter((v) => v.id === "DLA-3008-1").map((v) => v.package.name)),
      ["libssl1.1", "openssl"],
    );
  });

  it("osv-scanner's Alpine SBOM: the apk inventory is the SBOM's, the one finding is musl's", async () => {
    const facts = await analyse("alpine");
    const apks = alpine.filter((c) => c.purl.type === "apk");
    assert.deepEqual(facts.distro, { name: "alpine", version: "3.17.2" });
    assert.deepEqual(sorted(facts.packages.map(nameVersion)), sorted(apks.map((c) => nameVersion(c.purl))));
    // osv-scanner's snapshot (SOURCES.md, Alpine/ALPINE-CVE-2025-26519.json row): musl 1.2.3-r4 → affected, fixed
    // 1.2.3-r6. It names the origin package; CIPolicE reports each binary of it (musl and musl-utils).
    assert.deepEqual(sorted(facts.vulnerabilities.map(bySource)), ["ALPINE-CVE-2025-26519 musl"]);
    assert.deepEqual(
      sorted(facts.vulnerabilities.map((v) => nameVersion(v.package))),
      sorted(apks.filter((c) => upstreamOf(c.purl)?.name === "musl").map((c) => nameVersion(c.purl))),
    );
    const record = JSON.parse(
      await readFile(corpusPath(`${OFFLINE}/Alpine/ALPINE-CVE-2025-26519.json`), "utf8"),
    ) as {
      affected: { package: { ecosystem: string }; ranges: { events: { fixed?: string }[] }[] }[];
    };
    const fixed = record.affected
      .filter((a) => a.package.ecosystem === "Alpine:v3.17")
      .flatMap((a) => a.ranges.flatMap((r) => r.events.flatMap((e) => e.fixed ?? [])));
    assert.deepEqual(fixed, ["1.2.3-r6"], "SOURCES.md: v3.17 fixed 1.2.3-r6");
    for (const v of facts.vulnerabilities) assert.deepEqual(v.fix?.versions, fixed);
  });

  it("Trivy's Ubuntu 18.04 dpkg status: dpkg-query's installed list, and Trivy's CVE-2019-5094 packages", {
    skip: dpkgQueryMissing,
  }, async () => {
    const admindir = join(work, "dpkg-admindir");
    await mkdir(join(admindir, "info"), { recursive: true });
    await mkdir(join(admindir, "updates"), { recursive: true });
    await writeFile(join(admindir, "status"), await readFile(corpusPath(UBUNTU_STATUS)));
    const { stdout } = await run("dpkg-query", [
      `--admindir=${admindir}`,
      "-W",
      "-f",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own field syntax, not a template
      "${db:Status-Abbrev} ${Package} ${Version}\n",
    ]);
    const installed = stdout
      .split("\n")
      .map((line) => /^(\S+)\s+(\S+)\s+(\S+)$/.exec(line))
      .filter((m): m is RegExpExecArray => m?.[1] === "ii")
      .map((m) => `${m[2]} ${m[3]}`);
    // trivy's Test_dpkgAnalyzer_Analyze "valid" asserts 90 packages (SOURCES.md, pkgdb/dpkg/ row)
    assert.equal(installed.length, 90);

    const facts = await analyse("ubuntu");
    assert.deepEqual(sorted(facts.packages.map(nameVersion)), sorted(installed));

    const trivy = JSON.parse(await readFile(corpusPath(TRIVY_UBUNTU), "utf8")) as {
      Metadata: { OS: { Family: string; Name: string } };
      Results: { Vulnerabilities?: { VulnerabilityID: string; PkgName: string; FixedVersion?: string }[] }[];
    };
    assert.deepEqual(
      [facts.distro?.name, facts.distro?.version],
      [trivy.Metadata.OS.Family, trivy.Metadata.OS.Name],
    );
    const trivyFindings = trivy.Results.flatMap((r) => r.Vulnerabilities ?? []);
    const cve = "CVE-2019-5094";
    const trivyE2fs = trivyFindings.filter((v) => v.VulnerabilityID === cve);
    const ours = facts.vulnerabilities.filter((v) => about(v, cve));
    assert.deepEqual(sorted(ours.map((v) => v.package.name)), sorted(trivyE2fs.map((v) => v.PkgName)));
    // Two OSV records cover CVE-2019-5094 (Ubuntu's notice USN-4142-1, whose upstream is UBUNTU-CVE-2019-5094,
    // and that CVE record itself) and CIPolicE reports each: two findings per package where Trivy has one row.
    const coveringRecords = (await recordTexts("osv/ubuntu"))
      .map((text) => JSON.parse(text) as { id: string; aliases?: string[]; upstream?: string[] })
      .filter((r) =>
        [r.id, ...(r.aliases ?? []), ...(r.upstream ?? [])].some((n) => n === cve || n.endsWith(`-${cve}`)),
      )
      .map((r) => r.id);
    assert.equal(coveringRecords.length, 2);
    for (const t of trivyE2fs) {
      assert.deepEqual(
        sorted(ours.filter((v) => v.package.name === t.PkgName).map((v) => v.id)),
        sorted(coveringRecords),
        t.PkgName,
      );
    }
    // Same fix. The installed versions differ: Trivy's report is of trivy-test-images:ubuntu-1804, which has
    // 1.44.1-1ubuntu1.1; the status file has 1.44.1-1. Both are below the fix.
    for (const v of ours) {
      assert.deepEqual(v.fix?.versions, sorted(trivyE2fs.map((t) => t.FixedVersion ?? "")));
      assert.ok(installed.includes(nameVersion(v.package)), nameVersion(v.package));
    }
    // Nothing else is found; Trivy's other finding (bash, CVE-2019-18276) has no record in the OSV data imported.
    assert.deepEqual(
      facts.vulnerabilities.filter((v) => !about(v, cve)),
      [],
    );
    const others = sorted(trivyFindings.map((v) => v.VulnerabilityID).filter((id) => id !== cve));
    assert.deepEqual(others, ["CVE-2019-18276"]);
    const records = (await recordTexts("osv/ubuntu")).join("\n");
    for (const id of others) assert.ok(!records.includes(id), `${id} is not in osv/ubuntu`);
  });

  it("the scanners' apk test databases: the packages trivy and syft expect", async () => {
    // The lists the scanners' own tests expect, as SOURCES.md quotes them (test/support/scanner-package-lists.ts)
    const trivyFacts = await analyse("apk-trivy");
    assert.deepEqual(sorted(trivyFacts.packages.map(nameVersion)), sorted(TRIVY_APK_PACKAGES));
    assert.equal(trivyFacts.packages.length, 15);
    const bySourceName = (facts: Facts, name: string) =>
      facts.packages.find((p) => p.name === name)?.sourceName;
    assert.equal(bySourceName(trivyFacts, "libssl1.0"), "openssl");
    assert.equal(bySourceName(trivyFacts, "libcrypto1.0"), "openssl");

    const syftFacts = await analyse("apk-syft");
    assert.deepEqual(sorted(syftFacts.packages.map(nameVersion)), sorted(SYFT_APK_MULTIPLE_2_PACKAGES));
    assert.equal(syftFacts.packages.length, 14);
  });

  it("Trivy's distroless-base report: DLA-3008-1 on openssl's binaries, Trivy's older CVEs explained", async () => {
    const facts = await analyse("distroless");
    const reported = distroless.Results.flatMap((r) => r.Vulnerabilities ?? []);
    assert.deepEqual(facts.distro, { name: "debian", version: distroless.Metadata.OS.Name });
    assert.deepEqual(
      sorted(facts.packages.map(nameVersion)),
      sorted(reported.map((v) => `${v.PkgName} ${v.InstalledVersion}`)),
    );
    // Computed facts row DLA-3008-1 × distroless-base.json: openssl/libssl1.1 1.1.0k-1~deb9u1 < 1.1.0l-1~deb9u6
    const record = JSON.parse(await readFile(corpusPath(`${OFFLINE}/Debian/DLA-3008-1.json`), "utf8")) as {
      upstream: string[];
      affected: { ranges: { events: { fixed?: string }[] }[] }[];
    };
    const fixed = record.affected.flatMap((a) =>
      a.ranges.flatMap((r) => r.events.flatMap((e) => e.fixed ?? [])),
    );
    assert.deepEqual(sorted(facts.vulnerabilities.map((v) => `${v.id} ${v.package.name}`)), [
      "DLA-3008-1 libssl1.1",
      "DLA-3008-1 openssl",
    ]);
    for (const v of facts.vulnerabilities) assert.deepEqual(v.fix?.versions, fixed);

    // Why Trivy lists other CVEs for these packages: its test DB predates CVE-2022-1292 (DLA-3008-1's), so that
    // is not in its report; and its CVE-2019-1551/-1563 have no record in the OSV data imported here.
    const trivyIds = sorted(reported.map((v) => v.VulnerabilityID));
    assert.ok(record.upstream.includes("CVE-2022-1292"));
    assert.ok(!trivyIds.includes("CVE-2022-1292"));
    const records = (await recordTexts(`${OFFLINE}/Debian`)).join("\n");
    for (const id of trivyIds) assert.ok(!records.includes(id), `${id} is not in ${OFFLINE}/Debian`);
  });
});
