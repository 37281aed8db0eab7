import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { corpusPath, skipWithoutCorpus } from "../../test/support/corpus.js";
import {
  apkPurl,
  debPurl,
  encodePurlComponent,
  formatPurl,
  gemPurl,
  golangPurl,
  mavenPurl,
  npmPurl,
  pypiPurl,
} from "./package-url.js";

const FLUENTD = "sbom/cyclonedx/trivy_fluentd-multiple-lockfiles.cdx.json";
const GOMOD = "scanners/trivy/upstream/gomod-vex.json";

describe("package URLs", () => {
  test("the purl spec's encoding: letters, digits, .-_~ and ':' stay, the rest is percent-encoded", () => {
    assert.equal(encodePurlComponent("1:2.31.1-0.4ubuntu3.1"), "1:2.31.1-0.4ubuntu3.1");
    assert.equal(encodePurlComponent("a b+c@d/é"), "a%20b%2Bc%40d%2F%C3%A9");
  });

  test("the spec's own examples", () => {
    assert.equal(debPurl("curl", "7.50.3-1", "i386"), "pkg:deb/debian/curl@7.50.3-1?arch=i386");
    assert.equal(
      formatPurl({
        type: "maven",
        namespace: "org.apache.xmlgraphics",
        name: "batik-anim",
        version: "1.9.1",
        qualifiers: { packaging: "sources" },
      }),
      "pkg:maven/org.apache.xmlgraphics/batik-anim@1.9.1?packaging=sources",
    );
    assert.equal(npmPurl("foobar", "12.3.1"), "pkg:npm/foobar@12.3.1");
  });

  test("deb purls equal the ones trivy wrote for the fluentd image (debian 10.2)", {
    skip: skipWithoutCorpus(FLUENTD),
  }, () => {
    // Re-serialised, so an escaped "\u0026" reads as "&"
    const text = JSON.stringify(JSON.parse(readFileSync(corpusPath(FLUENTD), "utf8")));
    const distro = { name: "debian", version: "10.2" };
    for (const [name, version, arch] of [
      ["libstdc++6", "8.3.0-6", "amd64"],
      ["findutils", "4.6.0+git+20190209-2", "amd64"],
      ["init-system-helpers", "1.56+nmu1", "all"],
    ] as const) {
      const purl = debPurl(name, version, arch, distro);
      assert.ok(text.includes(`"${purl}"`), `${purl} is in trivy's SBOM`);
    }
  });

  const UBUNTU = "scanners/trivy/upstream/ubuntu-1804.json";
  test("an Ubuntu purl equals trivy's (ubuntu 18.04 golden)", { skip: skipWithoutCorpus(UBUNTU) }, () => {
    const golden = JSON.parse(readFileSync(corpusPath(UBUNTU), "utf8")) as {
      Results: { Vulnerabilities?: { PkgIdentifier?: { PURL?: string } }[] }[];
    };
    const purls = golden.Results.flatMap((r) => r.Vulnerabilities ?? []).map((v) => v.PkgIdentifier?.PURL);
    const purl = debPurl("bash", "4.4.18-2ubuntu1.2", "amd64", { name: "ubuntu", version: "18.04" });
    assert.ok(purls.includes(purl), purl);
  });

  test("Go purls split the module path and encode '+' as trivy does", {
    skip: skipWithoutCorpus(GOMOD),
  }, () => {
    const text = JSON.stringify(JSON.parse(readFileSync(corpusPath(GOMOD), "utf8")));
    for (const purl of [
      golangPurl("github.com/docker/distribution", "v2.7.1+incompatible"),
      golangPurl("golang.org/x/text", "v0.3.6"),
    ]) {
      assert.ok(text.includes(`"${purl}"`), `${purl} is in trivy's report`);
    }
  });

  test("type rules: npm scope as %40 namespace, pypi name normalised, apk distro qualifier, maven group", () => {
    assert.equal(npmPurl("@Angular/Core", "12.3.1"), "pkg:npm/%40angular/core@12.3.1");
    assert.equal(pypiPurl("Typing_Extensions", "4.0.0"), "pkg:pypi/typing-extensions@4.0.0");
    assert.equal(
      apkPurl("musl", "1.2.4-r2", "x86_64", { name: "alpine", version: "3.18.4" }),
      "pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64&distro=alpine-3.18.4",
    );
    assert.equal(
      mavenPurl("com.fasterxml.jackson.core", "jackson-core", "2.15.2"),
      "pkg:maven/com.fasterxml.jackson.core/jackson-core@2.15.2",
    );
    assert.equal(gemPurl("rake", "13.0.3"), "pkg:gem/rake@13.0.3");
    assert.equal(golangPurl("stdlib", "v1.22.1"), "pkg:golang/stdlib@v1.22.1");
  });

  test("qualifiers are sorted, lower-cased and empty ones left out", () => {
    assert.equal(
      formatPurl({
        type: "deb",
        namespace: "debian",
        name: "x",
        version: "1",
        qualifiers: { distro: "debian-11", Arch: "amd64", empty: "" },
      }),
      "pkg:deb/debian/x@1?arch=amd64&distro=debian-11",
    );
  });
});
