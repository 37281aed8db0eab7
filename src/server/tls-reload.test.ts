import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { connect } from "node:tls";
import { send } from "../../test/support/http-client.js";
import { createHttpServer } from "./http-server.js";

const OPENSSL = "/usr/bin/openssl";
const dir = mkdtempSync(join(tmpdir(), "cip-tls-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A self-signed P-256 certificate for 127.0.0.1 with the given serial; returns its cert and key paths. */
function makePair(name: string, serial: number): { cert: string; key: string } {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  const r = spawnSync(
    OPENSSL,
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-keyout",
      key,
      "-out",
      cert,
      "-days",
      "1",
      "-subj",
      "/CN=127.0.0.1",
      "-addext",
      "subjectAltName=IP:127.0.0.1",
      "-set_serial",
      String(serial),
    ],
    { encoding: "utf8" },
  );
  assert.equal(r.status, 0, r.stderr);
  return { cert, key };
}

/** The serial number of the certificate a new TLS connection sees, upper-case hex. */
function servedSerial(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port, rejectUnauthorized: false }, () => {
      const serial = socket.getPeerCertificate().serialNumber;
      socket.end();
      resolve(serial.toUpperCase().replace(/^0+/, ""));
    });
    socket.on("error", reject);
  });
}

async function until(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return check();
}

test("serves HTTPS and reloads a replaced certificate; a broken pair keeps the old one", async (t) => {
  if (!existsSync(OPENSSL)) {
    t.skip("openssl is not installed (/usr/bin/openssl); cannot make test certificates");
    return;
  }
  const first = makePair("first", 0x1001);
  const second = makePair("second", 0x2002);
  const third = makePair("third", 0x3003);
  const live = { cert: join(dir, "tls.crt"), key: join(dir, "tls.key") };
  copyFileSync(first.cert, live.cert);
  copyFileSync(first.key, live.key);

  const server = createHttpServer({
    host: "127.0.0.1",
    port: 0,
    tls: { certFile: live.cert, keyFile: live.key, pollMs: 200 },
  });
  server.router.get("/healthz", async (_req, res) => void res.send(200, "ok"), { auth: false });
  const { url, port } = await server.listen();
  try {
    assert.match(url, /^https:/);
    const a = await send(`${url}/healthz`, { ca: readFileSync(first.cert), agent: false });
    assert.equal(a.text, "ok");
    assert.equal(await servedSerial(port), "1001");

    // Replace both files: new connections see the new certificate.
    copyFileSync(second.key, live.key);
    copyFileSync(second.cert, live.cert);
    assert.ok(await until(async () => (await servedSerial(port)) === "2002", 3000), "reloaded");
    const b = await send(`${url}/healthz`, { ca: readFileSync(second.cert), agent: false });
    assert.equal(b.status, 200);

    // A certificate whose key does not match, then garbage: the second pair stays in use.
    copyFileSync(third.cert, live.cert);
    await new Promise((resolve) => setTimeout(resolve, 600));
    assert.equal(await servedSerial(port), "2002");
    writeFileSync(live.key, "not a key");
    await new Promise((resolve) => setTimeout(resolve, 600));
    assert.equal(await servedSerial(port), "2002");

    // Completing the third pair makes it live.
    copyFileSync(third.key, live.key);
    assert.ok(await until(async () => (await servedSerial(port)) === "3003", 3000), "reloaded again");
  } finally {
    await server.close(100);
  }
});

test("refuses to start with a key that does not belong to the certificate", (t) => {
  if (!existsSync(OPENSSL)) {
    t.skip("openssl is not installed (/usr/bin/openssl); cannot make test certificates");
    return;
  }
  const a = makePair("a", 1);
  const b = makePair("b", 2);
  assert.throws(
    () => createHttpServer({ port: 0, tls: { certFile: a.cert, keyFile: b.key } }),
    (error: Error & { code?: string }) =>
      error.code === "CIP_USAGE" && /Cannot use the TLS certificate/.test(error.message),
  );
});
