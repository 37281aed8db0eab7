import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { factsFor, fireTrigger, paramProblems } from "../../../test/support/gates.js";
import type { ImageFacts, Vulnerability } from "../../model/index.js";
import type { GateSpec } from "../gate-types.js";
import { defaultTriggerId } from "../trigger-id.js";
import { expressionGate } from "./expression.js";

const gate = expressionGate as GateSpec;

const vulnerability = (overrides: Partial<Vulnerability> & Pick<Vulnerability, "id">): Vulnerability => ({
  package: { name: "openssl", version: "3.0.2", type: "dpkg" },
  severity: "medium",
  fix: { state: "not-fixed", versions: [] },
  ...overrides,
});

const IMAGE: ImageFacts = factsFor({
  digest: "sha256:aaaa",
  config: {
    user: "",
    env: ["PATH=/usr/bin", "JAVA_OPTS=-Xmx1g -Da=b"],
    exposedPorts: ["80/tcp"],
    labels: { maintainer: "team@example.com" },
    created: "2026-01-01T00:00:00Z",
  },
  packages: [
    { name: "openssl", version: "3.0.2", type: "dpkg" },
    { name: "log4j-core", version: "2.14.1", type: "java", path: "/app/lib/log4j-core-2.14.1.jar" },
  ],
  vulnerabilities: [
    vulnerability({
      id: "CVE-2022-0778",
      severity: "critical",
      fix: { state: "fixed", versions: ["3.0.2-0ubuntu1.1"] },
      cvss: [
        { version: "3.1", source: "nvd", baseScore: 7.5 },
        { version: "3.1", source: "vendor", baseScore: 5.9 },
      ],
      epss: { score: 0.02 },
    }),
    vulnerability({
      id: "CVE-2021-44228",
      package: {
        name: "log4j-core",
        version: "2.14.1",
        type: "java",
        path: "/app/lib/log4j-core-2.14.1.jar",
      },
      severity: "critical",
      fix: { state: "fixed", versions: ["2.15.0"] },
      knownExploited: true,
      epss: { score: 0.97 },
    }),
    vulnerability({ id: "CVE-2023-0001", severity: "low" }),
  ],
  distro: { name: "ubuntu", version: "22.04", like: ["debian"] },
  platform: { os: "linux", architecture: "amd64" },
  size: 80_000_000,
  layers: [{ digest: "sha256:1" }, { digest: "sha256:2" }],
  context: { namespace: "prod", environment: "production" },
});

const fire = (params: Record<string, string>, facts: ImageFacts = IMAGE) =>
  fireTrigger(gate, "condition", params, facts);
const fires = (expression: string, facts: ImageFacts = IMAGE) => fire({ expression }, facts).length > 0;
const problems = (params: Record<string, string>) => paramProblems(gate, "condition", params);

describe("expression/condition over the whole image", () => {
  test("fires once with the default message and an md5 trigger id when the expression is true", () => {
    const expression = 'vulnerabilities.exists(v, v.severity == "critical" && v.fixAvailable)';
    const message = `Expression matched: ${expression}`;
    assert.deepEqual(fire({ expression }), [
      { message, triggerId: defaultTriggerId("expression", "condition", message) },
    ]);
  });

  test("does not fire when the expression is false", () => {
    assert.deepEqual(
      fire({ expression: 'vulnerabilities.exists(v, v.severity == "critical" && !v.fixAvailable)' }),
      [],
    );
  });

  test("checks the config: empty or root user, missing labels, environment, ports", () => {
    assert.equal(fires('config.user == "" || config.user == "root"'), true);
    assert.equal(
      fires('config.user == "" || config.user == "root"', factsFor({ config: { user: "app" } })),
      false,
    );
    assert.equal(fires('!("org.opencontainers.image.source" in config.labels)'), true);
    assert.equal(
      fires('"maintainer" in config.labels && config.labels["maintainer"].endsWith("@example.com")'),
      true,
    );
    assert.equal(fires('config.env["JAVA_OPTS"] == "-Xmx1g -Da=b" && "PATH" in config.env'), true);
    assert.equal(fires('"80/tcp" in config.exposedPorts && size(config.exposedPorts) == 1'), true);
  });

  test("exposes image, distro, platform, size, layer count, context and now", () => {
    assert.equal(
      fires('image.registry == "docker.io" && image.repository == "library/test" && image.tag == "1.0"'),
      true,
    );
    assert.equal(fires('image.digest == "sha256:aaaa"'), true);
    assert.equal(
      fires('distro.name == "ubuntu" && distro.version == "22.04" && "debian" in distro.like'),
      true,
    );
    assert.equal(
      fires('platform.os == "linux" && platform.architecture == "amd64" && platform.variant == ""'),
      true,
    );
    assert.equal(fires("size > 50000000 && layerCount == 2"), true);
    assert.equal(fires('context.namespace == "prod" && context.environment == "production"'), true);
    assert.equal(fires('now - config.created > duration("2400h")'), true);
  });

  test("scores: highest CVSS v3 per source, EPSS, known exploited; -1.0 when unknown", () => {
    assert.equal(fires("vulnerabilities.exists(v, v.cvss.nvdBase >= 7.5 && v.cvss.vendorBase == 5.9)"), true);
    assert.equal(
      fires('vulnerabilities.exists(v, v.id == "CVE-2023-0001" && v.cvss.nvdBase == -1.0 && v.epss == -1.0)'),
      true,
    );
    assert.equal(fires("vulnerabilities.exists(v, v.knownExploited && v.epss > 0.9)"), true);
    assert.equal(fires('vulnerabilities.filter(v, v.severity == "critical").size() == 2'), true);
    assert.equal(fires("vulnerabilities.exists(v, v.severityRank >= 5)"), true);
    assert.equal(fires('packages.exists(p, p.type == "java" && p.path.startsWith("/app/"))'), true);
  });

  test("absent facts read as empty values, so expressions do not fail", () => {
    const bare = factsFor();
    assert.equal(fires('config.user == "" && size(config.labels) == 0 && size(config.env) == 0', bare), true);
    assert.equal(
      fires("size(vulnerabilities) == 0 && size(packages) == 0 && size == 0 && layerCount == 0", bare),
      true,
    );
    assert.equal(
      fires('distro.name == "" && platform.os == "" && context.namespace == "" && image.digest == ""', bare),
      true,
    );
    assert.equal(fires("!has(config.created)", bare), true);
  });

  test("a run-time error throws a clear error naming the expression", () => {
    assert.throws(() => fire({ expression: "now > config.created" }, factsFor()), {
      name: "CipError",
      code: "CIP_TRIGGER_ERROR",
      message: 'Cannot evaluate CEL expression "now > config.created": No such key: created (at column 14)',
    });
  });

  test("a message template fills {{ }} placeholders with CEL values", () => {
    const hits = fire({
      expression: "size > 0",
      message:
        "{{ image.repository }}: {{ size(vulnerabilities) }} vulnerabilities, {{ size / 1000000 }} MB, ports {{ config.exposedPorts }}",
    });
    assert.deepEqual(
      hits.map((h) => h.message),
      ["library/test: 3 vulnerabilities, 80 MB, ports 80/tcp"],
    );
  });

  test("multi-line expressions show on one line in the default message", () => {
    const hits = fire({ expression: 'config.user == ""\n  || config.user == "root"' });
    assert.equal(hits[0]?.message, 'Expression matched: config.user == "" || config.user == "root"');
  });
});

describe("expression/condition with for_each", () => {
  test("vulnerabilities: fires once per matching vulnerability with id <vuln id>+<package name>", () => {
    const hits = fire({
      expression: 'vuln.severity == "critical" && vuln.fixAvailable',
      for_each: "vulnerabilities",
    });
    assert.deepEqual(hits, [
      {
        triggerId: "CVE-2022-0778+openssl",
        message:
          'Expression matched for vulnerability CVE-2022-0778 in package openssl-3.0.2: vuln.severity == "critical" && vuln.fixAvailable',
      },
      {
        triggerId: "CVE-2021-44228+log4j-core",
        message:
          'Expression matched for vulnerability CVE-2021-44228 in package log4j-core-2.14.1: vuln.severity == "critical" && vuln.fixAvailable',
      },
    ]);
  });

  test("vulnerabilities: the message template sees vuln and the image variables", () => {
    const hits = fire({
      expression: "vuln.fixAvailable",
      for_each: "vulnerabilities",
      message:
        "{{ vuln.id }} in {{ vuln.package.name }} ({{ image.repository }}) is fixed in {{ vuln.fixVersions }}",
    });
    assert.deepEqual(
      hits.map((h) => h.message),
      [
        "CVE-2022-0778 in openssl (library/test) is fixed in 3.0.2-0ubuntu1.1",
        "CVE-2021-44228 in log4j-core (library/test) is fixed in 2.15.0",
      ],
    );
  });

  test("packages: fires once per matching package with id <name>@<version>", () => {
    const hits = fire({ expression: 'pkg.type == "java"', for_each: "packages" });
    assert.deepEqual(hits, [
      {
        triggerId: "log4j-core@2.14.1",
        message: 'Expression matched for package log4j-core-2.14.1: pkg.type == "java"',
      },
    ]);
  });

  test("a run-time error names the item it failed on", () => {
    assert.throws(() => fire({ expression: "vuln.detectedAt < now", for_each: "vulnerabilities" }), {
      message: /No such key: detectedAt .*\(vulnerability CVE-2022-0778 in package openssl-3.0.2\)$/,
    });
  });

  test("nothing fires when there is nothing to iterate", () => {
    assert.deepEqual(fire({ expression: "true", for_each: "vulnerabilities" }, factsFor()), []);
  });
});

describe("expression/condition validation", () => {
  test("accepts valid expressions", () => {
    assert.deepEqual(
      problems({ expression: 'vulnerabilities.exists(v, v.severity == "critical" && v.fixAvailable)' }),
      [],
    );
    assert.deepEqual(problems({ expression: "vuln.cvss.nvdBase >= 9.0", for_each: "vulnerabilities" }), []);
    assert.deepEqual(problems({ expression: "true", message: "{{ pkg.name }}", for_each: "packages" }), []);
  });

  test("rejects a syntax error with the library's message and a caret", () => {
    assert.deepEqual(problems({ expression: "size > " }), [
      "invalid CEL expression: Unexpected token: EOF\n\n>    1 | size > \n                ^",
    ]);
  });

  test("rejects a misspelt field at compile time", () => {
    const [problem] = problems({ expression: 'vulnerabilities.exists(v, v.severty == "critical")' });
    assert.match(problem ?? "", /^invalid CEL expression: No such key: severty\n/);
    assert.match(problem ?? "", /\n {37}\^$/);
  });

  test("rejects unknown variables, and says when vuln or pkg needs for_each", () => {
    assert.match(problems({ expression: 'imgae.tag == "latest"' })[0] ?? "", /Unknown variable: imgae/);
    assert.match(
      problems({ expression: 'vuln.severity == "high"' })[0] ?? "",
      /Unknown variable: vuln[\s\S]*`vuln` is bound only with for_each "vulnerabilities"/,
    );
    assert.match(
      problems({ expression: 'pkg.name == "x"', for_each: "vulnerabilities" })[0] ?? "",
      /for_each "packages"/,
    );
  });

  test("rejects type errors and expressions that do not return a bool", () => {
    assert.match(
      problems({ expression: 'size > "big"' })[0] ?? "",
      /^invalid CEL expression: no such overload: int > string/,
    );
    assert.deepEqual(problems({ expression: "size" }), ["invalid CEL expression: it returns int, not bool"]);
    assert.deepEqual(problems({ expression: "  " }), ["invalid CEL expression: the expression is empty"]);
  });

  test("rejects a missing expression, an unknown for_each and broken message templates", () => {
    assert.deepEqual(problems({}), ['required parameter "expression" is missing']);
    assert.match(
      problems({ expression: "true", for_each: "layers" })[0] ?? "",
      /expected one of none, vulnerabilities, packages/,
    );
    assert.deepEqual(problems({ expression: "true", message: "size {{ size" }), [
      'invalid message template: "{{" at position 6 is never closed by "}}"',
    ]);
    assert.match(
      problems({ expression: "true", message: "{{ vuln.id }}" })[0] ?? "",
      /placeholder \{\{ vuln.id \}\}: Unknown variable: vuln/,
    );
  });
});
