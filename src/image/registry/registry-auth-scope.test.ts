import assert from "node:assert/strict";
import { createServer } from "node:http";
import { describe, test } from "node:test";
import { RegistryAuth } from "./registry-auth.js";
import { Transport } from "./transport.js";

describe("RegistryAuth token requests", () => {
  test("each scope of a push with mount goes as its own scope parameter, as Docker sends them", async () => {
    const seen: URL[] = [];
    const server = createServer((req, res) => {
      seen.push(new URL(req.url ?? "/", "http://127.0.0.1"));
      res.writeHead(200, { "content-type": "application/json" }).end('{"token":"t1","expires_in":300}');
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    const port = typeof address === "object" && address !== null ? address.port : 0;
    try {
      const auth = new RegistryAuth(
        new Transport({ timeoutMs: 5_000, retries: 0 }),
        () => ({ username: "u", password: "p" }),
        () => true,
      );
      const challenge = [
        // A realm that carries a scope of its own: it is replaced, not kept beside ours
        { scheme: "bearer", params: { realm: `http://127.0.0.1:${port}/token?scope=stale`, service: "reg" } },
      ];
      const scope = "repository:team/app:pull,push repository:team/base:pull";
      assert.equal(await auth.authorization("reg.test", challenge, scope), "Bearer t1");
      assert.deepEqual(seen[0]?.searchParams.getAll("scope"), [
        "repository:team/app:pull,push",
        "repository:team/base:pull",
      ]);
      assert.equal(seen[0]?.searchParams.get("service"), "reg");
      // Cached per scope: a second request for the same scope asks the token server nothing
      await auth.authorization("reg.test", challenge, scope);
      assert.equal(seen.length, 1);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
