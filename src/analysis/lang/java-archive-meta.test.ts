import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { corpusPath, skipWithoutCorpus } from "../../../test/support/corpus.js";
import { javaPackages, readJavaManifest, readPomProperties } from "./java-archive-meta.js";

const J = "pkgdb/lang/java/syft";
const bytes = (file: string) => readFileSync(corpusPath(`${J}/${file}`));

// Expected values: SOURCES.md's pkgdb/lang java rows (syft Test_parseJavaArchive_regressions,
// TestParseJavaPomProperties, TestParseJavaManifest)
describe("Java archive metadata", () => {
  test("manifest main section keys in file order (standard-info)", {
    skip: skipWithoutCorpus(`${J}/manifest/standard-info`),
  }, () => {
    const manifest = readJavaManifest(bytes("manifest/standard-info"), "/META-INF/MANIFEST.MF");
    assert.deepEqual(
      [...manifest.main.keys()],
      [
        "Manifest-Version",
        "Name",
        "Specification-Title",
        "Specification-Vendor",
        "Specification-Version",
        "Implementation-Title",
        "Implementation-Vendor",
        "Implementation-Version",
      ],
    );
    assert.equal(manifest.main.get("Implementation-Version"), "the-impl-version");
    assert.deepEqual(manifest.sections, []);
  });

  test("jackson-core 2.15.2 from its manifest and file name, with purl and licence", {
    skip: skipWithoutCorpus(`${J}/jackson-core-2.15.2/META-INF/MANIFEST.MF`),
  }, () => {
    const manifest = readJavaManifest(
      bytes("jackson-core-2.15.2/META-INF/MANIFEST.MF"),
      "/app/jackson-core-2.15.2.jar!/META-INF/MANIFEST.MF",
    );
    assert.deepEqual(javaPackages({ archivePath: "/app/jackson-core-2.15.2.jar", manifest }), [
      {
        name: "jackson-core",
        version: "2.15.2",
        type: "java",
        path: "/app/jackson-core-2.15.2.jar",
        purl: "pkg:maven/com.fasterxml.jackson.core/jackson-core@2.15.2",
        licenses: ["https://www.apache.org/licenses/LICENSE-2.0.txt"],
      },
    ]);
  });

  const saml = "opensaml-core-3.4.6/META-INF";
  test("opensaml-core: pom.properties gives the coordinates; the named section of the manifest is read", {
    skip: skipWithoutCorpus(`${J}/${saml}/MANIFEST.MF`),
  }, () => {
    const manifest = readJavaManifest(bytes(`${saml}/MANIFEST.MF`), "m");
    assert.deepEqual(
      manifest.sections.map((s) => [s.name, s.attributes.get("Implementation-Version")]),
      [["org/opensaml/core/", "3.4.6"]],
    );
    const pom = readPomProperties(bytes(`${saml}/maven/org.opensaml/opensaml-core/pom.properties`), "p");
    assert.deepEqual([pom.groupId, pom.artifactId, pom.version], ["org.opensaml", "opensaml-core", "3.4.6"]);
    const [pkg] = javaPackages({ archivePath: "/lib/opensaml-core.jar", manifest, pomProperties: [pom] });
    assert.equal(pkg?.purl, "pkg:maven/org.opensaml/opensaml-core@3.4.6");
    // Without pom.properties the manifest's named section still gives the version
    const [fromManifest] = javaPackages({ archivePath: "/lib/opensaml-core.jar", manifest });
    assert.equal(`${fromManifest?.name} ${fromManifest?.version}`, "opensaml-core 3.4.6");
  });

  test("pom.properties with stray spaces, and with extra keys", {
    skip: skipWithoutCorpus(`${J}/pom/small.pom.properties`, `${J}/pom/extra.pom.properties`),
  }, () => {
    assert.deepEqual(readPomProperties(bytes("pom/small.pom.properties"), "p"), {
      groupId: "org.anchore",
      artifactId: "example-java-app-maven",
      version: "0.1.0",
      extra: {},
    });
    assert.deepEqual(readPomProperties(bytes("pom/extra.pom.properties"), "p"), {
      groupId: "org.anchore",
      artifactId: "example-java-app-maven",
      version: "0.1.0",
      name: "something-here",
      extra: { another: "thing", sweet: "work" },
    });
  });

  test("manifest continuation lines join without their leading space", () => {
    const manifest = readJavaManifest(
      "Manifest-Version: 1.0\r\nImport-Package: com.a,com\r\n .b,com.c\r\n\r\n",
      "m",
    );
    assert.equal(manifest.main.get("Import-Package"), "com.a,com.b,com.c");
  });

  test("properties continuation and escapes", () => {
    const pom = readPomProperties("groupId = org.\\\n    example\nartifactId:a\\u0062c\nversion 1.0\n", "p");
    assert.deepEqual([pom.groupId, pom.artifactId, pom.version], ["org.example", "abc", "1.0"]);
  });
});
