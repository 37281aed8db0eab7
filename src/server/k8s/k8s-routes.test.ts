import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { send } from "../../../test/support/http-client.js";
import { silentLogger } from "../logger.js";
import { loadServeConfig } from "../serve-config.js";
import { type RunningServer, startServer } from "../start-server.js";

// Two rules that read only the image reference, so no registry or store is asked: a repository outside
// team/ is denied, and the tag "latest" is a warning
const BUNDLE = {
  id: "routes-test",
  version: "1_0",
  policies: [
    {
      id: "p",
      version: "1_0",
      rules: [
        {
          id: "naming",
          gate: "image_source",
          trigger: "repository_name",
          action: "STOP",
          params: [
            { name: "pattern", value: "team/[a-z]+" },
            { name: "check", value: "no_match" },
          ],
        },
        { id: "latest", gate: "image_source", trigger: "tag_latest", action: "WARN", params: [] },
      ],
    },
  ],
  whitelists: [],
  mappings: [{ registry: "*", repository: "*", image: { type: "tag", value: "*" }, policy_id: "p" }],
};

function review(uid: string, image: string, apiVersion = "admission.k8s.io/v1"): string {
  return JSON.stringify({
    apiVersion,
    kind: "AdmissionReview",
    request: {
      uid,
      kind: { group: "", version: "v1", kind: "Pod" },
      resource: { group: "", version: "v1", resource: "pods" },
      namespace: "default",
      operation: "CREATE",
      userInfo: { username: "tester" },
      object: {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: "p", namespace: "default" },
        spec: { containers: [{ name: "c", image }] },
      },
    },
  });
}

describe("admission answers to the same verdict", () => {
  let dir: string;
  let server: RunningServer;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "cipolice-k8s-routes-"));
    const bundle = join(dir, "bundle.json");
    writeFileSync(bundle, JSON.stringify(BUNDLE));
    server = await startServer({
      config: loadServeConfig('{"listen": "127.0.0.1:0"}', "test"),
      storeSpec: `sqlite:${join(dir, "cipolice.db")}`,
      policyPaths: [bundle],
      logger: silentLogger(),
    });
  });

  after(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function admit(body: string): Promise<Record<string, unknown>> {
    const answer = await send(`${server.url}/k8s/admission`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    assert.equal(answer.status, 200, answer.text);
    return answer.json as Record<string, unknown>;
  }

  for (const [what, image] of [
    ["a denial", "docker.io/library/nginx:1.25"],
    ["an admission with a warning", "docker.io/team/shop:latest"],
  ] as const) {
    test(`${what} repeated carries each request's uid and apiVersion, and the same answer`, async () => {
      const first = await admit(review("uid-1", image));
      const again = await admit(review("uid-2", image));
      const older = await admit(review("uid-3", image, "admission.k8s.io/v1beta1"));
      const response = first.response as Record<string, unknown>;
      assert.equal(response.uid, "uid-1");
      assert.equal(response.allowed, what === "an admission with a warning");
      assert.deepEqual(again, { ...first, response: { ...response, uid: "uid-2" } });
      assert.deepEqual(older, {
        ...first,
        apiVersion: "admission.k8s.io/v1beta1",
        response: { ...response, uid: "uid-3" },
      });
      // The key order of the answer is that of the first one too
      assert.equal(JSON.stringify(again), JSON.stringify(first).replace('"uid-1"', '"uid-2"'));
    });
  }

  test("the denial and the warning name what they are about", async () => {
    const denied = (await admit(review("uid-4", "docker.io/library/nginx:1.25"))).response as {
      status?: { code: number; message: string };
    };
    assert.equal(denied.status?.code, 403);
    assert.match(denied.status?.message ?? "", /nginx/);
    const warned = (await admit(review("uid-5", "docker.io/team/shop:latest"))).response as {
      warnings?: string[];
    };
    assert.equal(warned.warnings?.length, 1);
    assert.match(warned.warnings?.[0] ?? "", /team\/shop:latest/);
  });

  test("a uid with quotes and unicode is carried exactly, and deep nesting elsewhere in the review is harmless", async () => {
    const uid = 'quo"te\\ \u2028 ü-7';
    const deep = JSON.parse(review(uid, "docker.io/team/shop:1"));
    // 200,000 nested lists under an annotation: read at fixed paths, the review is never walked
    deep.request.object.metadata.annotations = { x: "PLACEHOLDER" };
    const body = JSON.stringify(deep).replace(
      '"PLACEHOLDER"',
      `${"[".repeat(200_000)}${"]".repeat(200_000)}`,
    );
    const answer = (await admit(body)).response as { uid: string; allowed: boolean };
    assert.equal(answer.uid, uid);
    assert.equal(answer.allowed, true);
  });
});
