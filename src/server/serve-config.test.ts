import assert from "node:assert/strict";
import { test } from "node:test";
import type { CipError } from "../model/index.js";
import { httpServerOptions, loadServeConfig, parseListen, registryClientOptions } from "./serve-config.js";

test("an empty configuration gets every default", () => {
  const config = loadServeConfig("{}", "serve.yaml");
  assert.equal(config.listen, "127.0.0.1:8080");
  assert.equal(config.admission.deadlineMs, 3000);
  assert.equal(config.admission.defaultFailMode, "closed");
  assert.deepEqual(config.store, { type: "sqlite", path: "cipolice.db" });
  assert.equal(config.limits.admissionBodyBytes, 4 * 1024 * 1024);
  assert.equal(config.limits.reportBodyBytes, 64 * 1024 * 1024);
  assert.equal(config.cache.ttlSeconds, 300);
  assert.equal(config.log.level, "info");
  assert.equal(config.decisionLog, undefined);
  assert.deepEqual(config.auth.tokens, []);
});

test("reads a full YAML configuration", () => {
  const config = loadServeConfig(
    `
listen: "0.0.0.0:8443"
tls: { cert: /tls/tls.crt, key: /tls/tls.key }
policies: [/policies/bundle.yaml]
store: { type: postgres, urlEnv: DATABASE_URL }
auth:
  tokens:
    - { name: ci, tokenEnv: CI_TOKEN }
    - { name: scanner, tokenFile: /secrets/scanner }
admission:
  deadlineMs: 2000
  failModes:
    - { namespaces: [kube-system, "team-*"], mode: open }
decisionLog: { url: "https://logs.example/ingest", batchSize: 50 }
registry: { insecureRegistries: [registry.local:5000], dockerConfig: /docker/config.json }
`,
    "serve.yaml",
  );
  assert.deepEqual(parseListen(config.listen), { host: "0.0.0.0", port: 8443 });
  assert.equal(config.tls?.pollSeconds, 10);
  assert.deepEqual(config.store, { type: "postgres", urlEnv: "DATABASE_URL", poolSize: 10 });
  assert.equal(config.decisionLog?.flushMs, 1000);
  assert.deepEqual(config.admission.failModes, [{ namespaces: ["kube-system", "team-*"], mode: "open" }]);
  assert.deepEqual(registryClientOptions(config), {
    insecureRegistries: ["registry.local:5000"],
    caFiles: [],
    timeoutMs: 30_000,
    dockerConfigPath: "/docker/config.json",
  });
});

test("gives the HTTP server its options", () => {
  const config = loadServeConfig(
    'listen: ":8443"\ntls: { cert: c.pem, key: k.pem, pollSeconds: 2 }\n',
    "s.yaml",
  );
  const options = httpServerOptions(config, { tokens: [{ name: "ci", token: "t" }] });
  assert.equal(options.host, "::");
  assert.equal(options.port, 8443);
  assert.deepEqual(options.tls, { certFile: "c.pem", keyFile: "k.pem", pollMs: 2000 });
  assert.equal(options.headersTimeoutMs, 10_000);
  assert.deepEqual(options.tokens, [{ name: "ci", token: "t" }]);
});

test("lists every problem with its path", () => {
  const text = `
listen: "nowhere"
admission:
  failModes:
    - { namespaces: [a], mode: open }
    - { namespaces: [b], mode: sometimes }
auth:
  tokens:
    - { name: ci }
    - { name: ci, token: x, tokenEnv: Y }
decisionLog: { file: /var/log/d.jsonl, stdout: true }
cache: { ttlSeconds: -1 }
unknownKey: 1
`;
  assert.throws(
    () => loadServeConfig(text, "serve.yaml"),
    (error: CipError) => {
      assert.equal(error.code, "CIP_CONFIG_INVALID");
      const messages = error.problems.map((p) => p.message);
      assert.ok(
        messages.includes('admission.failModes[1].mode: expected one of "closed", "open", "warn"'),
        messages.join("\n"),
      );
      assert.ok(
        messages.some((m) => m.startsWith("listen: must be host:port")),
        messages.join("\n"),
      );
      assert.ok(
        messages.includes("auth.tokens[0]: give one of token, tokenFile, tokenEnv"),
        messages.join("\n"),
      );
      assert.ok(
        messages.some((m) => m.startsWith("auth.tokens[1]: give only one of")),
        messages.join("\n"),
      );
      assert.ok(
        messages.some((m) => m.startsWith("decisionLog: give only one of file, stdout, url")),
        messages.join("\n"),
      );
      assert.ok(messages.includes("cache.ttlSeconds: must be more than 0"), messages.join("\n"));
      assert.ok(messages.includes('document: unknown field "unknownKey"'), messages.join("\n"));
      assert.match(error.message, /^Cannot load the server configuration: \d+ problems \(serve.yaml\)\n {2}/);
      return true;
    },
  );
});

test("token names are unique", () => {
  assert.throws(
    () =>
      loadServeConfig(
        "auth:\n  tokens:\n    - { name: ci, token: a }\n    - { name: ci, token: b }\n",
        "s.yaml",
      ),
    /auth\.tokens\[1\]\.name: name "ci" is used twice/,
  );
});

test("a YAML syntax error names the line", () => {
  assert.throws(
    () => loadServeConfig("listen: [\n", "serve.yaml"),
    (error: CipError) => error.code === "CIP_PARSE" && /serve.yaml/.test(error.message),
  );
});

test("admission.namespaceLabels maps namespaces to their labels; none by default", () => {
  assert.deepEqual(loadServeConfig("{}", "serve.yaml").admission.namespaceLabels, {});
  const config = loadServeConfig(
    "admission:\n  namespaceLabels:\n    payments: { tier: production, team: pay }\n    sandbox: {}\n",
    "serve.yaml",
  );
  assert.deepEqual(config.admission.namespaceLabels, {
    payments: { tier: "production", team: "pay" },
    sandbox: {},
  });
});

test("a label value that is not a string is refused with its path", () => {
  assert.throws(
    () => loadServeConfig("admission:\n  namespaceLabels:\n    payments: { replicas: 3 }\n", "serve.yaml"),
    (error: CipError) => {
      assert.equal(error.code, "CIP_CONFIG_INVALID");
      assert.deepEqual(
        error.problems.map((p) => p.message),
        ["admission.namespaceLabels.payments.replicas: expected string, got number"],
      );
      return true;
    },
  );
});
