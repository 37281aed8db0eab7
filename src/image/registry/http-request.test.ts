import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createServer, type Server } from "node:http";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { HttpClient } from "./http-request.js";

describe("HttpClient against a real node:http server", () => {
  let server: Server;
  let base: string;
  before(async () => {
    server = createServer((req, res) => {
      if (req.url === "/stall-body") {
        // Headers now, the body never: only the timeout can end this exchange
        res.writeHead(200, { "content-length": "100" });
        res.write("partial");
        return;
      }
      res.setHeader("www-authenticate", ['Bearer realm="a"', 'Basic realm="b"']);
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ method: req.method }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    base = `http://127.0.0.1:${typeof address === "object" && address !== null ? address.port : 0}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  test("reads status, headers (repeated ones joined) and body", async () => {
    const client = new HttpClient();
    const response = await client.send(`${base}/x`, { method: "POST", body: "a=1" }, 5_000);
    assert.equal(response.status, 200);
    assert.equal(response.ok, true);
    assert.equal(response.headers.get("Content-Type"), "application/json");
    assert.equal(response.headers.get("www-authenticate"), 'Bearer realm="a", Basic realm="b"');
    assert.equal(response.headers.get("x-absent"), null);
    const chunks: Buffer[] = [];
    for await (const chunk of response.body) chunks.push(chunk);
    assert.deepEqual(JSON.parse(Buffer.concat(chunks).toString()), { method: "POST" });
    client.close();
  });

  test("a body that stops arriving fails with a TimeoutError once the time is up", async () => {
    const client = new HttpClient();
    const response = await client.send(`${base}/stall-body`, { method: "GET" }, 300);
    await assert.rejects(
      (async () => {
        for await (const _ of response.body);
      })(),
      { name: "TimeoutError" },
    );
    client.close();
  });

  test("a process that read or discarded its answers exits at once, not when the timeout would fire", async () => {
    const script = `
      import { HttpClient } from ${JSON.stringify(fileURLToPath(new URL("./http-request.ts", import.meta.url)))};
      const client = new HttpClient();
      const read = await client.send(${JSON.stringify(`${base}/a`)}, { method: "GET" }, 60000);
      for await (const _ of read.body);
      const dropped = await client.send(${JSON.stringify(`${base}/b`)}, { method: "GET" }, 60000);
      await dropped.discard();
    `;
    const started = Date.now();
    const status = await new Promise<number | null>((resolve) => {
      const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
        stdio: "ignore",
      });
      const killer = setTimeout(() => child.kill("SIGKILL"), 30_000);
      child.on("exit", (code) => {
        clearTimeout(killer);
        resolve(code);
      });
    });
    assert.equal(status, 0);
    assert.ok(Date.now() - started < 20_000, `the process lingered ${Date.now() - started} ms`);
  });
});
