import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { isCipError } from "../../model/index.js";
import { DockerEngineClient } from "./docker-engine-client.js";
import { engineEndpoint } from "./engine-endpoint.js";

// Engines that misbehave in ways a real one rarely does on demand: the client must fail clearly, never hang.
// The real engine (podman) is exercised in test/e2e/docker-engine.test.ts.

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "cipolice-engine-unit-"));
});
// A failed assertion skips a test's own close(): whatever is still open is closed here, so nothing hangs
const open = new Set<Server>();
after(async () => {
  await Promise.all([...open].map(close));
  await rm(dir, { recursive: true, force: true });
});

let serial = 0;
/**
 * An engine on a unix socket of the test's dir. `/_ping` answers OK announcing API `ping` (as Docker and
 * podman do) unless `ping` is null; every other request goes to `handler`.
 */
async function serve(
  handler: Handler,
  ping: string | null = "1.41",
): Promise<{ socket: string; server: Server; paths: string[] }> {
  const socket = join(dir, `engine-${serial++}.sock`);
  const paths: string[] = [];
  const server = createServer((req, res) => {
    paths.push(req.url ?? "");
    if (req.url === "/_ping" && ping !== null) {
      res.writeHead(200, { "content-type": "text/plain", "api-version": ping }).end("OK");
      return;
    }
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  open.add(server);
  return { socket, server, paths };
}

function close(server: Server): Promise<void> {
  open.delete(server);
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

function json(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(value));
}

function clientFor(socket: string, options: ConstructorParameters<typeof DockerEngineClient>[1] = {}) {
  return new DockerEngineClient(engineEndpoint({ DOCKER_HOST: `unix://${socket}` }), options);
}

describe("DockerEngineClient against misbehaving engines", () => {
  test("negotiates the engine's API version when older, ours when newer, refuses too old", async () => {
    for (const [served, expected] of [
      ["1.41", ["/_ping", "/v1.41/containers/json"]],
      ["1.52", ["/_ping", "/v1.47/containers/json"]],
      // No API-Version header on /_ping: /version says it
      ["", ["/_ping", "/version", "/v1.43/containers/json"]],
    ] as const) {
      const { socket, server, paths } = await serve(
        (req, res) => (req.url === "/version" ? json(res, 200, { ApiVersion: "1.43" }) : json(res, 200, [])),
        served,
      );
      const client = clientFor(socket);
      assert.deepEqual(await client.listRunningContainers(), []);
      assert.deepEqual(paths, expected);
      client.close();
      await close(server);
    }
    const { socket, server } = await serve((_req, res) => json(res, 200, { ApiVersion: "1.12" }), "1.12");
    const client = clientFor(socket);
    await assert.rejects(client.ping(), /serves API 1\.12, older than the 1\.24 this client needs/);
    await assert.rejects(client.version(), /serves API 1\.12, older than the 1\.24 this client needs/);
    client.close();
    await close(server);
  });

  test("an answer that is not JSON names the endpoint and quotes its start", async () => {
    const { socket, server } = await serve(
      (_req, res) =>
        res.writeHead(200, { "content-type": "text/html" }).end("<html><body>proxy login</body></html>"),
      null,
    );
    const client = clientFor(socket);
    await assert.rejects(client.version(), (error: unknown) => {
      assert.ok(isCipError(error));
      assert.equal(
        error.message,
        `Cannot read the container engine's version: the answer (HTTP 200) is not JSON: "<html><body>proxy login</body></html>" (unix://${socket})`,
      );
      assert.match(error.hint ?? "", /Docker-compatible engine API/);
      return true;
    });
    client.close();
    await close(server);
  });

  test("an engine that never answers times out with CIP_DEADLINE", async () => {
    const { socket, server } = await serve(() => {
      // holds the request forever
    }, null);
    const client = clientFor(socket, { timeoutMs: 300 });
    const started = Date.now();
    await assert.rejects(client.ping(), (error: unknown) => {
      assert.ok(isCipError(error));
      assert.equal(error.code, "CIP_DEADLINE");
      assert.equal(
        error.message,
        `Cannot reach the container engine: no answer within 300 ms (unix://${socket})`,
      );
      return true;
    });
    assert.ok(Date.now() - started < 2_000);
    client.close();
    await close(server);
  });

  test("an answer over the size limit is refused while it streams", async () => {
    const { socket, server } = await serve((_req, res) => {
      // No Content-Length: only counting the bytes can stop it
      res.writeHead(200, { "content-type": "application/json" });
      res.write(`[${'{"Id":"x"},'.repeat(2_000)}`);
    });
    const client = clientFor(socket, { maxAnswerBytes: 4_096 });
    await assert.rejects(client.listRunningContainers(), (error: unknown) => {
      assert.ok(isCipError(error));
      assert.equal(error.code, "CIP_INPUT_TOO_LARGE");
      assert.match(error.message, /^Cannot list the running containers: the engine's answer is too large/);
      return true;
    });
    client.close();
    await close(server);
  });

  test("an engine error status carries the engine's message", async () => {
    const { socket, server } = await serve((_req, res) => json(res, 500, { message: "database is locked" }));
    const client = clientFor(socket);
    await assert.rejects(client.inspectContainer("abc"), {
      message: `Cannot inspect container abc: the engine answered HTTP 500: database is locked (unix://${socket})`,
    });
    client.close();
    await close(server);
  });

  test("events: an over-long line is refused, and a stream the engine ends is an error", async () => {
    const { socket, server } = await serve((req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      if (req.url?.includes("since=1"))
        res.end('{"Type":"container","Action":"start","Actor":{"ID":"a1"}}\n');
      else res.write("x".repeat(10_000));
    });
    const client = clientFor(socket, { maxEventLineBytes: 1_024 });
    const signal = new AbortController().signal;
    await assert.rejects(
      client.events({ signal }, () => {}),
      (error: unknown) => {
        assert.ok(isCipError(error));
        assert.equal(error.code, "CIP_INPUT_TOO_LARGE");
        assert.equal(
          error.message,
          `Cannot follow the engine's events: an event is longer than 1024 bytes (unix://${socket})`,
        );
        return true;
      },
    );
    const seen: string[] = [];
    await assert.rejects(
      client.events({ signal, since: new Date(1_000) }, (event) => seen.push(`${event.action} ${event.id}`)),
      { message: `Cannot follow the engine's events: the engine ended the event stream (unix://${socket})` },
    );
    assert.deepEqual(seen, ["start a1"]);
    client.close();
    await close(server);
  });

  test("events: an abort before the engine sends headers ends cleanly", async () => {
    // podman holds the answer's headers back until the first event
    const { socket, server } = await serve(() => {
      // holds the events request
    });
    const client = clientFor(socket);
    const controller = new AbortController();
    const listening = client.events({ signal: controller.signal }, () => {});
    setTimeout(() => controller.abort(), 100);
    await listening;
    client.close();
    await close(server);
  });
});

const openssl = "/usr/bin/openssl";

describe("DockerEngineClient over TCP with TLS (DOCKER_TLS_VERIFY)", {
  skip: existsSync(openssl) ? false : "openssl not installed",
}, () => {
  test("presents the client certificate of DOCKER_CERT_PATH and verifies the engine's", async () => {
    const certs = await mkdtemp(join(dir, "certs-"));
    await makeCertificates(certs);
    const server = createHttpsServer(
      {
        key: await readFile(join(certs, "server-key.pem")),
        cert: await readFile(join(certs, "server-cert.pem")),
        ca: await readFile(join(certs, "ca.pem")),
        requestCert: true,
        rejectUnauthorized: true,
      },
      (req, res) => {
        const peer = (req.socket as import("node:tls").TLSSocket).getPeerCertificate();
        res.writeHead(200, { "content-type": "text/plain", "x-client": peer.subject?.CN ?? "" }).end("OK");
      },
    );
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as AddressInfo).port;
    try {
      const env = { DOCKER_HOST: `tcp://127.0.0.1:${port}`, DOCKER_TLS_VERIFY: "1", DOCKER_CERT_PATH: certs };
      const client = new DockerEngineClient(engineEndpoint(env));
      await client.ping();
      client.close();
      // Without DOCKER_TLS_VERIFY the client speaks plain HTTP to a TLS port: a clear error, no hang
      const plain = new DockerEngineClient(engineEndpoint({ DOCKER_HOST: `tcp://127.0.0.1:${port}` }), {
        timeoutMs: 2_000,
      });
      await assert.rejects(plain.ping(), (error: unknown) => isCipError(error));
      plain.close();
      const missing = { ...env, DOCKER_CERT_PATH: join(certs, "nowhere") };
      assert.throws(
        () => new DockerEngineClient(engineEndpoint(missing)),
        /Cannot read the engine's CA certificate/,
      );
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

const run = promisify(execFile);

/** A CA, a server certificate for 127.0.0.1 and a client certificate, named as DOCKER_CERT_PATH wants them. */
async function makeCertificates(certs: string): Promise<void> {
  const file = (name: string) => join(certs, name);
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  await run(openssl, [
    ...["req", "-x509", ...ec, "-keyout", file("ca-key.pem"), "-out", file("ca.pem"), "-days", "2"],
    ...["-subj", "/CN=cipolice-test-engine-ca"],
  ]);
  await writeFile(file("server.ext"), "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
  await writeFile(file("client.ext"), "extendedKeyUsage=clientAuth\n");
  for (const [name, cn, ext] of [
    ["server", "127.0.0.1", "server.ext"],
    ["client", "cipolice-monitor", "client.ext"],
  ] as const) {
    const key = name === "client" ? "key.pem" : "server-key.pem";
    const cert = name === "client" ? "cert.pem" : "server-cert.pem";
    await run(openssl, [
      "req",
      ...ec,
      "-keyout",
      file(key),
      "-out",
      file(`${name}.csr`),
      "-subj",
      `/CN=${cn}`,
    ]);
    await run(openssl, [
      ...["x509", "-req", "-in", file(`${name}.csr`), "-CA", file("ca.pem"), "-CAkey", file("ca-key.pem")],
      ...["-CAcreateserial", "-out", file(cert), "-days", "2", "-extfile", file(ext)],
    ]);
  }
}
