import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { corpusPath, skipWithoutCorpus } from "../../test/support/corpus.js";
import { isCipError } from "../model/errors.js";
import { baseEcosystem, compareInEcosystem, orderFor } from "./ecosystem-order.js";

test("release suffixes and Root's variants name their base ecosystem", () => {
  const cases: [string, string][] = [
    ["Alpine:v3.17", "Alpine"],
    ["Debian:12", "Debian"],
    ["Red Hat:rhel_aus:8.6::appstream", "Red Hat"],
    ["Ubuntu:Pro:14.04:LTS", "Ubuntu"],
    ["Root:Alpine:3.18", "Alpine"],
    ["Root:PyPI", "PyPI"],
    ["Maven:https://maven.google.com", "Maven"],
    ["npm", "npm"],
  ];
  for (const [ecosystem, base] of cases) assert.equal(baseEcosystem(ecosystem), base, ecosystem);
});

test("each OSV ecosystem gets its distribution's or registry's order", () => {
  const cases: [string, string][] = [
    ["Debian:12", "dpkg"],
    ["Ubuntu:Pro:14.04:LTS", "dpkg"],
    ["Root:Debian:12", "dpkg"],
    ["Alpine:v3.17", "apk"],
    ["Wolfi", "apk"],
    ["Chainguard", "apk"],
    ["Root:Alpine:3.18", "apk"],
    ["Red Hat:rhel_aus:8.6::appstream", "rpm"],
    ["AlmaLinux:8", "rpm"],
    ["Rocky Linux:9", "rpm"],
    ["SUSE:SUSE Linux Enterprise Server 15 SP5", "rpm"],
    ["openSUSE:Tumbleweed", "rpm"],
    ["Azure Linux:3", "rpm"],
    ["Mariner:2.0", "rpm"],
    ["npm", "semver"],
    ["Go", "semver"],
    ["crates.io", "semver"],
    ["Hex", "semver"],
    ["Root:npm", "semver"],
    ["PyPI", "pep440"],
    ["Maven", "maven"],
    ["RubyGems", "rubygems"],
  ];
  for (const [ecosystem, scheme] of cases) assert.equal(orderFor(ecosystem)?.scheme, scheme, ecosystem);
});

test("ecosystems without a known order get none, and comparing in them fails with a hint", () => {
  for (const ecosystem of [
    "NuGet",
    "Packagist",
    "CRAN",
    "Pub",
    "Hackage",
    "Linux",
    "Android",
    "GIT",
    "Root",
    "",
  ]) {
    assert.equal(orderFor(ecosystem), undefined, ecosystem);
  }
  assert.throws(
    () => compareInEcosystem("NuGet", "1.0", "2.0"),
    (error: unknown) => isCipError(error) && /^Cannot compare versions: .*NuGet/.test(error.message),
  );
});

test("epochs count when only one side has one, unlike the anchore-engine order in policy", () => {
  assert.equal(compareInEcosystem("Debian:12", "1:1.0", "2.0"), 1);
  assert.equal(compareInEcosystem("Red Hat:rhel_aus:8.6::appstream", "3", "1:2"), -1);
});

test("OSV records against installed packages (SOURCES.md record × target rows), through the ecosystem", () => {
  assert.ok(compareInEcosystem("Ubuntu:18.04:LTS", "1.44.1-1ubuntu1.1", "1.44.1-1ubuntu1.2") < 0);
  assert.ok(compareInEcosystem("Debian:9", "1.1.0k-1~deb9u1", "1.1.0l-1~deb9u6") < 0);
  assert.ok(compareInEcosystem("AlmaLinux:8", "1:1.1.1k-4.el8", "1:1.1.1k-6.el8_5") < 0);
  assert.ok(compareInEcosystem("Go", "v1.22.1", "1.22.0-0") > 0);
  assert.ok(compareInEcosystem("Go", "v1.22.1", "1.22.5") < 0);
  assert.ok(compareInEcosystem("Maven", "5.3.15", "5.3.18") < 0);
  assert.ok(compareInEcosystem("RubyGems", "6.0.2.1", "6.0.3.1") < 0);
  assert.ok(compareInEcosystem("PyPI", "2.25.1", "2.3.0") > 0);
});

test("every ecosystem osv-schema lists either has an order or is knowingly left without one", {
  skip: skipWithoutCorpus("osv/schema/ecosystems.json"),
}, () => {
  const names = Object.keys(JSON.parse(readFileSync(corpusPath("osv/schema/ecosystems.json"), "utf8")));
  const without = names.filter((name) => orderFor(name) === undefined).sort();
  // Orders that are not SemVer, dpkg, apk, rpm, PEP 440, Maven or RubyGems, or unknown: exact version lists.
  assert.deepEqual(without, [
    "Android",
    "CRAN",
    "CleanStart",
    "Echo",
    "FreeBSD",
    "GitHub Actions",
    "Hackage",
    "Kubernetes",
    "Linux",
    "NuGet",
    "OSS-Fuzz",
    "Packagist",
    "Pub",
    "Root",
    "TuxCare",
    "VSCode",
    "opam",
  ]);
});
