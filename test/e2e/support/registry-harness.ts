import { type ChildProcess, execFile, spawn } from "node:child_process";
import { createPrivateKey, createSign, randomUUID, X509Certificate } from "node:crypto";
import { existsSync, rmSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createNetServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { HttpClient } from "../../../src/image/registry/http-request.js";
import { cleanUpOnExit } from "./cleanup-on-exit.js";

const execFileAsync = promisify(execFile);

/** Path of the Distribution registry binary (Debian package `docker-registry`). */
export const REGISTRY_BIN = "/usr/bin/docker-registry";

/** How a harness registry authenticates clients. */
export type RegistryKind = "anonymous" | "htpasswd" | "token";

/** User name and password a harness registry (or its token server) accepts. */
export interface RegistryCredentials {
  username: string;
  password: string;
}

/** A running registry on loopback; `stop()` ends it and removes its files. */
export interface TestRegistry {
  kind: RegistryKind;
  /** Base URL, e.g. `http://127.0.0.1:40123`. */
  url: string;
  /** `127.0.0.1:port`, the registry part of an image reference. */
  host: string;
  /** Root of the registry's filesystem storage (`docker/registry/v2/…` below it), for tests that tamper. */
  storageDir: string;
  /** Present for `htpasswd` and `token`. */
  credentials?: RegistryCredentials;
  /** Token kind only: the realm URL of the token server and the service name. */
  token?: { realm: string; service: string; issuer: string };
  /** With `tls`: the PEM file of the CA that signed the registry's certificate (for 127.0.0.1). */
  caFile?: string;
  stop(): Promise<void>;
}

/** The harness user, accepted by htpasswd and token registries. */
export const HARNESS_CREDENTIALS: RegistryCredentials = { username: "cipolice", password: "s3cret-pass" };

const TOKEN_SERVICE = "cipolice-test-registry";
const TOKEN_ISSUER = "cipolice-test-token-issuer";
const START_ATTEMPTS = 4;
const READY_TIMEOUT_MS = 10_000;

/** Tools the harness runs; `skip` is false when all are present, else a message naming the missing ones. */
export function registryToolsMissing(kind: RegistryKind = "anonymous"): false | string {
  const needed = [REGISTRY_BIN];
  if (kind === "htpasswd") needed.push("/usr/bin/htpasswd");
  if (kind === "token") needed.push("/usr/bin/openssl");
  const missing = needed.filter((p) => !existsSync(p));
  return missing.length === 0 ? false : `registry harness tools not installed: ${missing.join(", ")}`;
}

/** A loopback port nobody listens on right now (the OS picks it; a race is handled by retrying the start). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createNetServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error("Cannot find a free port"))));
    });
  });
}

// Safety net: a test that never calls stop() must neither hang its process nor leave registries running.
const liveChildren = new Set<ChildProcess>();
const liveDirs = new Set<string>();
cleanUpOnExit(() => {
  for (const child of liveChildren) child.kill("SIGKILL");
  for (const dir of liveDirs) rmSync(dir, { recursive: true, force: true });
});

/** How a harness registry serves: plain HTTP (default), or HTTPS with a certificate from a CA of its own. */
export interface RegistryStartOptions {
  tls?: boolean;
  /** More lines of the registry's YAML configuration (`notifications:` endpoints, say). */
  extraConfig?: string;
}

/**
 * Starts /usr/bin/docker-registry on 127.0.0.1 and a free port, with filesystem storage in a temp
 * dir, deletes enabled and quiet logs. `htpasswd` requires Basic auth; `token` runs a Docker token
 * server on another loopback port issuing ES256 JWTs (x5c header) for the harness user. With `tls`, it
 * serves HTTPS with a certificate signed by a throwaway CA (`caFile`).
 */
export async function startRegistry(
  kind: RegistryKind,
  options: RegistryStartOptions = {},
): Promise<TestRegistry> {
  const missing = registryToolsMissing(kind) || (options.tls ? registryToolsMissing("token") : false);
  if (missing) throw new Error(`Cannot start the ${kind} registry: ${missing}`);
  const dir = await mkdtemp(join(tmpdir(), `cipolice-registry-${kind}-`));
  liveDirs.add(dir);
  let tokenServer: TokenServer | undefined;
  try {
    await mkdir(join(dir, "storage"));
    const auth = await prepareAuth(kind, dir);
    if (kind === "token") {
      tokenServer = await startTokenServer(dir);
      auth.config = tokenAuthConfig(tokenServer.realm, join(dir, "token.crt"));
    }
    const tls = options.tls ? await makeServerCertificate(dir) : undefined;
    const { child, port } = await spawnRegistry(
      dir,
      (tls?.config ?? "") + auth.config + (options.extraConfig ?? ""),
      tls?.caFile,
    );
    const host = `127.0.0.1:${port}`;
    const running = tokenServer;
    const stop = once(async () => {
      await killChild(child);
      if (running) await running.close();
      await rm(dir, { recursive: true, force: true });
      liveDirs.delete(dir);
    });
    const url = `${tls ? "https" : "http"}://${host}`;
    const registry: TestRegistry = { kind, url, host, storageDir: join(dir, "storage"), stop };
    if (tls) registry.caFile = tls.caFile;
    if (kind !== "anonymous") registry.credentials = { ...HARNESS_CREDENTIALS };
    if (running) registry.token = { realm: running.realm, service: TOKEN_SERVICE, issuer: TOKEN_ISSUER };
    return registry;
  } catch (error) {
    if (tokenServer) await tokenServer.close();
    await rm(dir, { recursive: true, force: true });
    liveDirs.delete(dir);
    throw error;
  }
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () => {
    done ??= fn();
    return done;
  };
}

async function prepareAuth(kind: RegistryKind, dir: string): Promise<{ config: string }> {
  if (kind === "htpasswd") {
    const { username, password } = HARNESS_CREDENTIALS;
    // -B: bcrypt is the only hash Distribution's htpasswd accepts.
    const { stdout } = await execFileAsync("htpasswd", ["-Bbn", username, password]);
    const file = join(dir, "htpasswd");
    await writeFile(file, `${stdout.trim()}\n`);
    return { config: `auth:\n  htpasswd:\n    realm: cipolice-test\n    path: ${JSON.stringify(file)}\n` };
  }
  if (kind === "token") {
    const keyFile = join(dir, "token.key");
    const certFile = join(dir, "token.crt");
    await execFileAsync("openssl", ["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", keyFile]);
    await execFileAsync("openssl", [
      ...["req", "-new", "-x509", "-key", keyFile, "-out", certFile, "-days", "2"],
      ...["-subj", "/CN=cipolice-test-token-signer"],
    ]);
  }
  return { config: "" };
}

function tokenAuthConfig(realm: string, certFile: string): string {
  return [
    "auth:",
    "  token:",
    `    realm: ${JSON.stringify(realm)}`,
    `    service: ${TOKEN_SERVICE}`,
    `    issuer: ${TOKEN_ISSUER}`,
    `    rootcertbundle: ${JSON.stringify(certFile)}`,
    "",
  ].join("\n");
}

/** The Distribution registry's config for a storage under `dir/storage` on 127.0.0.1:`port`, plus `auth` lines. */
export function registryConfig(dir: string, port: number, auth: string): string {
  return [
    "version: 0.1",
    "log:",
    "  level: error",
    "  accesslog:",
    "    disabled: true",
    "storage:",
    "  filesystem:",
    `    rootdirectory: ${JSON.stringify(join(dir, "storage"))}`,
    "  delete:",
    "    enabled: true",
    "  maintenance:",
    "    uploadpurging:",
    "      enabled: false",
    "http:",
    `  addr: 127.0.0.1:${port}`,
    `  secret: ${randomUUID()}`,
    auth,
  ].join("\n");
}

/** A CA and a server certificate for 127.0.0.1 signed by it, as the registry's `http.tls` config. */
async function makeServerCertificate(dir: string): Promise<{ caFile: string; config: string }> {
  const file = (name: string) => join(dir, name);
  const ecKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  await execFileAsync("openssl", [
    ...["req", "-x509", ...ecKey, "-keyout", file("ca.key"), "-out", file("ca.crt"), "-days", "2"],
    ...["-subj", "/CN=cipolice-test-ca"],
  ]);
  await execFileAsync("openssl", [
    ...["req", ...ecKey, "-keyout", file("server.key"), "-out", file("server.csr")],
    ...["-subj", "/CN=127.0.0.1"],
  ]);
  await writeFile(file("server.ext"), "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
  await execFileAsync("openssl", [
    ...["x509", "-req", "-in", file("server.csr"), "-CA", file("ca.crt"), "-CAkey", file("ca.key")],
    ...["-CAcreateserial", "-out", file("server.crt"), "-days", "2", "-extfile", file("server.ext")],
  ]);
  const config = [
    "  tls:",
    `    certificate: ${JSON.stringify(file("server.crt"))}`,
    `    key: ${JSON.stringify(file("server.key"))}`,
    "",
  ].join("\n");
  return { caFile: file("ca.crt"), config };
}

async function spawnRegistry(
  dir: string,
  extraConfig: string,
  caFile?: string,
): Promise<{ child: ChildProcess; port: number }> {
  let lastError = "";
  for (let attempt = 0; attempt < START_ATTEMPTS; attempt++) {
    const port = await freePort();
    const configFile = join(dir, "config.yml");
    await writeFile(configFile, registryConfig(dir, port, extraConfig));
    // Drop REGISTRY_* variables: Distribution lets them override the config file.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("REGISTRY_")));
    const child = spawn(REGISTRY_BIN, ["serve", configFile], { stdio: ["ignore", "ignore", "pipe"], env });
    liveChildren.add(child);
    child.on("exit", () => liveChildren.delete(child));
    let stderr = "";
    child.stderr?.setEncoding("utf8");
    child.stderr?.on("data", (chunk: string) => {
      if (stderr.length < 8_000) stderr += chunk;
    });
    const outcome = await waitReady(`${caFile ? "https" : "http"}://127.0.0.1:${port}/v2/`, child, caFile);
    if (outcome === "ready") {
      // Unref'd: pending tests keep the loop alive; a forgotten stop() is cleaned by the exit hook.
      child.unref();
      (child.stderr as { unref?: () => void } | null)?.unref?.();
      return { child, port };
    }
    await killChild(child);
    lastError = stderr.trim() || outcome;
    if (!/address already in use/i.test(stderr)) break;
  }
  throw new Error(`Cannot start ${REGISTRY_BIN}: ${lastError} (${dir})`);
}

async function waitReady(url: string, child: ChildProcess, caFile?: string): Promise<"ready" | string> {
  const probe = new HttpClient(
    caFile === undefined ? {} : { caCertificates: [await readFile(caFile, "utf8")] },
  );
  try {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null)
        return `exited with ${child.exitCode ?? child.signalCode}`;
      try {
        const response = await probe.send(url, { method: "GET" }, 1_000);
        await response.discard();
        if (response.status === 200 || response.status === 401) return "ready";
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    return `no answer on ${url} within ${READY_TIMEOUT_MS} ms`;
  } finally {
    probe.close();
  }
}

async function killChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 3_000);
  await exited;
  clearTimeout(timer);
}

interface TokenServer {
  realm: string;
  close(): Promise<void>;
}

/** Docker token server: GET /token?service=…&scope=… with Basic auth → a signed bearer token. */
async function startTokenServer(dir: string): Promise<TokenServer> {
  const key = createPrivateKey(await readFile(join(dir, "token.key")));
  const certDer = new X509Certificate(await readFile(join(dir, "token.crt"))).raw.toString("base64");
  const server = createServer((req, res) => {
    try {
      handleTokenRequest(req, res, key, certDer);
    } catch (error) {
      res.writeHead(500, { "content-type": "text/plain" }).end(String(error));
    }
  });
  const port = await listenOnFreePort(server);
  server.unref();
  return {
    realm: `http://127.0.0.1:${port}/token`,
    close: once(
      () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    ),
  };
}

async function listenOnFreePort(server: Server): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    try {
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, "127.0.0.1", () => {
          server.off("error", reject);
          resolve();
        });
      });
      return port;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EADDRINUSE" || attempt >= START_ATTEMPTS) throw error;
    }
  }
}

type KeyObject = ReturnType<typeof createPrivateKey>;

function handleTokenRequest(
  req: IncomingMessage,
  res: ServerResponse,
  key: KeyObject,
  certDer: string,
): void {
  const url = new URL(req.url ?? "/", "http://127.0.0.1");
  if (req.method !== "GET" || url.pathname !== "/token") {
    res.writeHead(404, { "content-type": "application/json" }).end('{"errors":[{"code":"NOT_FOUND"}]}');
    return;
  }
  const user = basicUser(req.headers.authorization);
  if (user === null) {
    // Wrong credentials are refused; no credentials get a token with no access, as public servers do.
    res
      .writeHead(401, {
        "content-type": "application/json",
        "www-authenticate": 'Basic realm="cipolice-test"',
      })
      .end('{"errors":[{"code":"UNAUTHORIZED","message":"bad credentials"}]}');
    return;
  }
  const service = url.searchParams.get("service") ?? TOKEN_SERVICE;
  const access = user === "" ? [] : url.searchParams.getAll("scope").flatMap(parseScope);
  const now = Math.floor(Date.now() / 1000);
  const expiresIn = 300;
  const claims = {
    iss: TOKEN_ISSUER,
    sub: user,
    aud: service,
    exp: now + expiresIn,
    nbf: now - 10,
    iat: now,
    jti: randomUUID(),
    access,
  };
  const token = signJwt({ typ: "JWT", alg: "ES256", x5c: [certDer] }, claims, key);
  res.writeHead(200, { "content-type": "application/json" }).end(
    JSON.stringify({
      token,
      access_token: token,
      expires_in: expiresIn,
      issued_at: new Date(now * 1000).toISOString(),
    }),
  );
}

/** "" for no Authorization header, the user name when it matches the harness user, else null. */
function basicUser(header: string | undefined): string | null {
  if (header === undefined) return "";
  const match = /^Basic\s+(\S+)$/i.exec(header);
  if (!match?.[1]) return null;
  const decoded = Buffer.from(match[1], "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  const username = decoded.slice(0, colon);
  const password = decoded.slice(colon + 1);
  const ok =
    colon > 0 && username === HARNESS_CREDENTIALS.username && password === HARNESS_CREDENTIALS.password;
  return ok ? username : null;
}

/** `repository:name:pull,push` → an access entry granting every requested action. */
function parseScope(scope: string): Array<{ type: string; name: string; actions: string[] }> {
  return scope
    .split(" ")
    .filter((s) => s.length > 0)
    .flatMap((one) => {
      const first = one.indexOf(":");
      const last = one.lastIndexOf(":");
      if (first <= 0 || last === first) return [];
      const actions = one
        .slice(last + 1)
        .split(",")
        .filter((a) => a.length > 0);
      return [{ type: one.slice(0, first), name: one.slice(first + 1, last), actions }];
    });
}

function base64url(data: string | Buffer): string {
  return Buffer.from(data).toString("base64url");
}

function signJwt(header: object, claims: object, key: KeyObject): string {
  const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
  // JWS ES256 wants the raw r||s signature, not DER.
  const signature = createSign("SHA256").update(input).sign({ key, dsaEncoding: "ieee-p1363" });
  return `${input}.${base64url(signature)}`;
}
