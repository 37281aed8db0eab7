import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { basename, dirname, join, relative } from "node:path";
import { after, describe, test } from "node:test";
import { connect } from "node:tls";
import { parseAllDocuments, parse as parseYaml } from "yaml";
import { INSPECTED_RESOURCES } from "../../src/server/k8s/admission-review.js";
import { ADMISSION_PATH, IMAGE_REVIEW_PATH } from "../../src/server/k8s/paths.js";
import { REPO_ROOT } from "../support/corpus.js";

// biome-ignore lint/suspicious/noExplicitAny: manifests are read by path; a wrong path fails the assertion reading it
type Json = Record<string, any>;

const DEPLOY = join(REPO_ROOT, "deploy");
/** The server's admission deadline when the configuration does not set one. */
const DEFAULT_DEADLINE_MS = 3000;
/** The longest webhook timeout worth having: the API server allows 30 s, but a Pod create should not wait. */
const MAX_WEBHOOK_TIMEOUT_SECONDS = 10;
// biome-ignore lint/suspicious/noTemplateCurlyInString: the literal placeholder that envsubst fills in
const CA_PLACEHOLDER = "${CA_BUNDLE}";

/** Every YAML file under deploy/, relative to it. */
function yamlFiles(dir = DEPLOY): string[] {
  return readdirSync(dir)
    .flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return yamlFiles(path);
      return /\.ya?ml$/.test(name) ? [relative(DEPLOY, path)] : [];
    })
    .sort();
}

/** Every document of every YAML file, parsed strictly (a YAML error fails the test that reads it). */
function loadDocuments(): { file: string; doc: Json }[] {
  return yamlFiles().flatMap((file) =>
    parseAllDocuments(readFileSync(join(DEPLOY, file), "utf8")).map((document) => {
      assert.deepEqual(document.errors, [], `${file}: YAML errors`);
      return { file, doc: document.toJS() as Json };
    }),
  );
}

const ALL = loadDocuments();
/** Documents kubectl applies: deploy/*.yaml and deploy/webhook/*.yaml; deploy/apiserver/ is the API server's. */
const APPLIED = ALL.filter((d) => !d.file.startsWith("apiserver"));

function one(kind: string, docs = APPLIED): Json {
  const found = docs.filter((d) => d.doc.kind === kind);
  assert.equal(found.length, 1, `expected one ${kind}, found ${found.length}`);
  return (found[0] as { doc: Json }).doc;
}

const deployment = one("Deployment");
const service = one("Service");
const pdb = one("PodDisruptionBudget");
const webhookConfig = one("ValidatingWebhookConfiguration");
const configMap = one("ConfigMap");
const podSpec = deployment.spec.template.spec as Json;
const podLabels = deployment.spec.template.metadata.labels as Record<string, string>;
const container = podSpec.containers[0] as Json;
const containerPort = container.ports[0].containerPort as number;
const args = container.args as string[];
const configPath = args[args.indexOf("--config") + 1] as string;
const serveConfig = parseYaml(configMap.data[basename(configPath)]) as Json;

/** A container port named or numbered as a Service or probe gives it. */
function resolvePort(port: string | number): number | undefined {
  if (typeof port === "number") return port;
  return (container.ports as Json[]).find((p) => p.name === port)?.containerPort;
}

/** Kubernetes label selector semantics (matchLabels and matchExpressions), for checking selectors agree. */
function selects(selector: Json, labels: Record<string, string>): boolean {
  for (const [key, value] of Object.entries(selector.matchLabels ?? {}))
    if (labels[key] !== value) return false;
  for (const { key, operator, values } of (selector.matchExpressions ?? []) as Json[]) {
    const has = key in labels;
    const ok =
      operator === "In"
        ? has && values.includes(labels[key])
        : operator === "NotIn"
          ? !has || !values.includes(labels[key])
          : operator === "Exists"
            ? has
            : operator === "DoesNotExist"
              ? !has
              : assert.fail(`unknown operator ${operator}`);
    if (!ok) return false;
  }
  return true;
}

test("every applied document has apiVersion, kind and metadata.name; namespaced ones are in cipolice", () => {
  assert.ok(APPLIED.length >= 7, `only ${APPLIED.length} documents`);
  const clusterScoped = new Set(["Namespace", "ValidatingWebhookConfiguration"]);
  for (const { file, doc } of APPLIED) {
    assert.equal(typeof doc.apiVersion, "string", `${file}: apiVersion`);
    assert.equal(typeof doc.kind, "string", `${file}: kind`);
    assert.equal(typeof doc.metadata?.name, "string", `${file}: metadata.name`);
    if (!clusterScoped.has(doc.kind)) assert.equal(doc.metadata.namespace, "cipolice", `${file}: namespace`);
  }
  assert.equal(one("Namespace").metadata.name, "cipolice");
});

test("the API server's files: an AdmissionConfiguration and a kubeconfig", () => {
  const apiserver = ALL.filter((d) => !APPLIED.includes(d));
  assert.deepEqual(apiserver.map((d) => d.doc.kind).sort(), ["AdmissionConfiguration", "Config"]);
  for (const { file, doc } of apiserver) assert.equal(typeof doc.apiVersion, "string", `${file}: apiVersion`);
});

describe("Deployment", () => {
  test("2 replicas of `serve --config` on port 8443, selecting its own pods", () => {
    assert.equal(deployment.spec.replicas, 2);
    assert.deepEqual(args, ["serve", "--config", "/etc/cipolice/config.yaml"]);
    assert.equal(containerPort, 8443);
    assert.ok(selects(deployment.spec.selector, podLabels));
  });

  test("probes: readiness /readyz and liveness /healthz, over HTTPS on the container port", () => {
    assert.equal(container.readinessProbe.httpGet.path, "/readyz");
    assert.equal(container.livenessProbe.httpGet.path, "/healthz");
    for (const probe of [container.readinessProbe, container.livenessProbe]) {
      assert.equal(resolvePort(probe.httpGet.port), containerPort);
      assert.equal(probe.httpGet.scheme, "HTTPS");
    }
  });

  test("non-root, read-only root filesystem, no privilege escalation, no capabilities, resources set", () => {
    assert.equal(podSpec.securityContext.runAsNonRoot, true);
    assert.ok(podSpec.securityContext.runAsUser > 0);
    assert.equal(podSpec.securityContext.seccompProfile.type, "RuntimeDefault");
    assert.equal(container.securityContext.readOnlyRootFilesystem, true);
    assert.equal(container.securityContext.allowPrivilegeEscalation, false);
    assert.deepEqual(container.securityContext.capabilities.drop, ["ALL"]);
    for (const part of ["requests", "limits"]) {
      assert.ok(container.resources[part].memory, `resources.${part}.memory`);
      assert.ok(container.resources[part].cpu, `resources.${part}.cpu`);
    }
  });

  test("the config file comes from the ConfigMap and the TLS pair from the Secret, both mounted whole", () => {
    const mounts = container.volumeMounts as Json[];
    const volumes = podSpec.volumes as Json[];
    const mountOf = (volumeName: string) => mounts.find((m) => m.name === volumeName);
    const configVolume = volumes.find((v) => v.configMap?.name === configMap.metadata.name);
    assert.ok(configVolume, "no volume of the ConfigMap");
    assert.equal(mountOf(configVolume.name)?.mountPath, dirname(configPath));
    const tlsVolume = volumes.find((v) => v.secret?.secretName === "cipolice-tls");
    assert.ok(tlsVolume, "no volume of the Secret cipolice-tls");
    const tlsMount = mountOf(tlsVolume.name);
    assert.ok(tlsMount?.readOnly);
    // A subPath mount would never see a renewed certificate.
    assert.ok(mounts.every((m) => m.subPath === undefined));
    assert.equal(dirname(serveConfig.tls.cert), tlsMount.mountPath);
    assert.equal(dirname(serveConfig.tls.key), tlsMount.mountPath);
    assert.deepEqual([basename(serveConfig.tls.cert), basename(serveConfig.tls.key)], ["tls.crt", "tls.key"]);
  });

  test("the configuration listens on the container port", () => {
    const listen = serveConfig.listen;
    const port = typeof listen === "object" ? listen.port : Number(String(listen).split(":").at(-1));
    assert.equal(port, containerPort);
  });

  test("every environment variable the configuration reads is set from a Secret", () => {
    const env = (container.env ?? []) as Json[];
    const wanted = [
      serveConfig.store?.urlEnv,
      ...(serveConfig.auth?.tokens ?? []).map((t: Json) => t.tokenEnv),
    ];
    for (const name of wanted.filter((n) => n !== undefined)) {
      const entry = env.find((e) => e.name === name);
      assert.ok(entry?.valueFrom?.secretKeyRef?.name, `${name} is not set from a Secret`);
    }
  });

  test("the policies the configuration names are shipped in the image (/app is the repository's build)", () => {
    const policies = serveConfig.policies as string[];
    assert.ok(policies.length > 0, "no policy configured");
    for (const path of policies) {
      assert.ok(path.startsWith("/app/"), `${path} is not in the image`);
      assert.ok(existsSync(join(REPO_ROOT, path.slice("/app/".length))), `${path} is not in the repository`);
    }
  });

  test("the configuration validates against the server's schema", async (t) => {
    const schemaFile = join(REPO_ROOT, "src/server/serve-config.ts");
    if (!existsSync(schemaFile)) return t.skip("src/server/serve-config.ts is not written yet");
    const module = (await import("../../src/server/serve-config.js" as string)) as Json;
    if (typeof module.loadServeConfig !== "function")
      return t.skip("serve-config.ts exports no loadServeConfig");
    const config = module.loadServeConfig(configMap.data[basename(configPath)], "deploy/configmap.yaml");
    assert.equal(config.admission.deadlineMs, serveConfig.admission?.deadlineMs ?? DEFAULT_DEADLINE_MS);
  });
});

test("Service: port 443 to the container port of the Deployment's pods", () => {
  assert.ok(selects({ matchLabels: service.spec.selector }, podLabels));
  const [port] = service.spec.ports as Json[];
  assert.equal(port?.port, 443);
  assert.equal(resolvePort(port?.targetPort), containerPort);
});

test("PodDisruptionBudget: minAvailable 1 of the Deployment's pods", () => {
  assert.equal(pdb.spec.minAvailable, 1);
  assert.ok(selects(pdb.spec.selector, podLabels));
  assert.deepEqual(pdb.spec.selector, deployment.spec.selector);
});

describe("ValidatingWebhookConfiguration", () => {
  const [webhook] = webhookConfig.webhooks as Json[];
  assert.ok(webhook);

  test("calls the Service at the server's admission route", () => {
    const target = webhook.clientConfig.service;
    assert.equal(target.name, service.metadata.name);
    assert.equal(target.namespace, service.metadata.namespace);
    assert.equal(target.port, service.spec.ports[0].port);
    assert.equal(target.path, ADMISSION_PATH);
    assert.equal(target.path, "/k8s/admission");
  });

  test("times out after the server's deadline and within 10 s; fails closed; no side effects", () => {
    const deadlineMs = serveConfig.admission?.deadlineMs ?? DEFAULT_DEADLINE_MS;
    assert.ok(webhook.timeoutSeconds <= MAX_WEBHOOK_TIMEOUT_SECONDS);
    assert.ok(webhook.timeoutSeconds * 1000 > deadlineMs, `${webhook.timeoutSeconds} s vs ${deadlineMs} ms`);
    assert.equal(webhook.failurePolicy, "Fail");
    assert.equal(webhook.sideEffects, "None");
    assert.deepEqual(webhook.admissionReviewVersions, ["v1", "v1beta1"]);
  });

  test("the CA bundle is a placeholder to fill in", () => {
    assert.equal(webhook.clientConfig.caBundle, CA_PLACEHOLDER);
  });

  test("the namespace selector exempts cipolice and admits the others", () => {
    const ns = (name: string) => ({ "kubernetes.io/metadata.name": name });
    assert.equal(selects(webhook.namespaceSelector, ns("cipolice")), false);
    assert.equal(selects(webhook.namespaceSelector, ns("default")), true);
    assert.equal(selects(webhook.namespaceSelector, ns("team-a")), true);
  });

  test("the rules cover every kind the parser inspects, on CREATE and UPDATE, and ephemeral containers", () => {
    const covered = new Set<string>();
    for (const rule of webhook.rules as Json[]) {
      assert.ok(rule.operations.includes("CREATE") && rule.operations.includes("UPDATE"));
      for (const group of rule.apiGroups)
        for (const resource of rule.resources) covered.add(`${group}/${resource}`);
    }
    // The extensions group was last served by Kubernetes 1.15; matchPolicy Equivalent covers old clients.
    for (const r of INSPECTED_RESOURCES.filter((r) => r.group !== "extensions")) {
      assert.ok(covered.has(`${r.group}/${r.resource}`), `${r.group}/${r.resource} is not in the rules`);
    }
    assert.ok(covered.has("/pods/ephemeralcontainers"));
    assert.equal(webhook.matchPolicy, "Equivalent");
  });
});

describe("ImagePolicyWebhook (API server files)", () => {
  const admission = one("AdmissionConfiguration", ALL);
  const kubeconfig = one("Config", ALL);
  const plugin = (admission.plugins as Json[]).find((p) => p.name === "ImagePolicyWebhook");

  test("denies when CIPolicE is unreachable; caches and retries with sane values", () => {
    const policy = plugin?.configuration?.imagePolicy;
    assert.ok(policy);
    assert.equal(policy.defaultAllow, false);
    for (const key of ["allowTTL", "denyTTL", "retryBackoff"]) assert.ok(policy[key] > 0, key);
    assert.equal(basename(policy.kubeConfigFile), "imagepolicy-kubeconfig.yaml");
    assert.ok(existsSync(join(DEPLOY, "apiserver", "imagepolicy-kubeconfig.yaml")));
  });

  test("the kubeconfig points at the Service's image review route and trusts a CA", () => {
    const context = (kubeconfig.contexts as Json[]).find((c) => c.name === kubeconfig["current-context"]);
    const cluster = (kubeconfig.clusters as Json[]).find((c) => c.name === context?.context.cluster);
    assert.ok(cluster, "the current context names no cluster");
    const url = new URL(cluster.cluster.server);
    assert.equal(url.protocol, "https:");
    assert.equal(url.hostname, `${service.metadata.name}.${service.metadata.namespace}.svc`);
    assert.equal(Number(url.port || 443), service.spec.ports[0].port);
    assert.equal(url.pathname, IMAGE_REVIEW_PATH);
    assert.equal(url.pathname, "/k8s/imagereview");
    assert.ok(cluster.cluster["certificate-authority"]);
  });
});

describe("deploy/README.md: the TLS steps work", () => {
  const missing = (
    [
      ["openssl", "version"],
      ["bash", "--version"],
    ] as const
  ).find(([tool, flag]) => spawnSync(tool, [flag]).error !== undefined)?.[0];
  const dir = mkdtempSync(join(tmpdir(), "cipolice-deploy-tls-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("the certificate made by the README's openssl commands is trusted for the Service's name", async (t) => {
    if (missing) return t.skip(`${missing} not found`);
    const readme = readFileSync(join(DEPLOY, "README.md"), "utf8");
    const block = /<!-- begin: tls -->\s*```sh\n([\s\S]*?)```\s*<!-- end: tls -->/.exec(readme)?.[1];
    assert.ok(block, "the README has no TLS block");
    // kubectl needs a cluster; the rest is run as written.
    const script = block
      .split("\n")
      .filter((line) => !line.startsWith("kubectl"))
      .join("\n");
    writeFileSync(join(dir, "steps.sh"), script);
    execFileSync("bash", ["-e", "steps.sh"], { cwd: dir, stdio: "pipe" });

    const server = createServer(
      { key: readFileSync(join(dir, "tls.key")), cert: readFileSync(join(dir, "tls.crt")) },
      (_req, res) => res.end("ok"),
    );
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const handshake = (servername: string) =>
        new Promise<{ authorized: boolean; error?: string }>((resolve) => {
          const socket = connect({
            host: "127.0.0.1",
            port,
            servername,
            ca: readFileSync(join(dir, "ca.crt")),
          });
          socket.once("secureConnect", () => {
            resolve({ authorized: socket.authorized });
            socket.end();
          });
          socket.once("error", (error) => resolve({ authorized: false, error: error.message }));
        });
      const serviceName = `${service.metadata.name}.${service.metadata.namespace}.svc`;
      assert.deepEqual(await handshake(serviceName), { authorized: true });
      assert.equal((await handshake("cipolice.example.com")).authorized, false);
    } finally {
      server.close();
    }
  });

  test("the README's envsubst fills the caBundle with the CA certificate in base64", (t) => {
    if (missing) return t.skip(`${missing} not found`);
    if (spawnSync("envsubst", ["--version"]).error !== undefined) return t.skip("envsubst not found");
    if (!existsSync(join(dir, "ca.crt"))) return t.skip("the TLS steps did not run");
    const ca = readFileSync(join(dir, "ca.crt"), "utf8");
    const filled = execFileSync("envsubst", [CA_PLACEHOLDER], {
      input: readFileSync(join(DEPLOY, "webhook", "validating-webhook.yaml")),
      env: { ...process.env, CA_BUNDLE: Buffer.from(ca).toString("base64") },
    }).toString();
    const doc = parseYaml(filled) as Json;
    assert.equal(Buffer.from(doc.webhooks[0].clientConfig.caBundle, "base64").toString(), ca);
  });
});
