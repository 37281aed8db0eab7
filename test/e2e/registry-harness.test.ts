import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  buildImage,
  type ImageLayout,
  imageToolsMissing,
  pushImage,
  pushIndex,
  skopeoInspect,
  skopeoInspectRaw,
} from "./support/images.js";
import {
  type RegistryKind,
  registryToolsMissing,
  startRegistry,
  type TestRegistry,
} from "./support/registry-harness.js";

const IMAGE_OPTIONS = {
  user: "1000:1000",
  env: ["APP_MODE=test"],
  exposedPorts: ["8080/tcp"],
  labels: { "org.opencontainers.image.title": "harness" },
  entrypoint: ["/app/run"],
  cmd: ["--serve"],
  workdir: "/app",
  files: { "app/run": "#!/bin/sh\necho hi\n" },
};

interface Inspected {
  Digest: string;
  Layers: string[];
  Architecture: string;
}

interface ConfigDoc {
  architecture: string;
  os: string;
  config: {
    User?: string;
    Env?: string[];
    ExposedPorts?: Record<string, object>;
    Labels?: Record<string, string>;
    Entrypoint?: string[];
    Cmd?: string[];
    WorkingDir?: string;
  };
  rootfs: { diff_ids: string[] };
}

interface RawIndex {
  mediaType: string;
  manifests: Array<{ digest: string; platform?: { architecture: string; os: string } }>;
}

const DENIED = /unauthorized|authentication required|denied/i;

let image: ImageLayout | undefined;

before(async () => {
  if (!imageToolsMissing() && !registryToolsMissing()) image = await buildImage(IMAGE_OPTIONS);
});

after(async () => {
  await image?.remove();
});

for (const kind of ["anonymous", "htpasswd", "token"] as const satisfies readonly RegistryKind[]) {
  describe(`${kind} registry`, { skip: registryToolsMissing(kind) || imageToolsMissing() }, () => {
    let registry: TestRegistry | undefined;
    const reg = (): TestRegistry => {
      assert.ok(registry, "the registry did not start");
      return registry;
    };

    before(async () => {
      registry = await startRegistry(kind);
    });

    after(async () => {
      await registry?.stop();
    });

    test("serves /v2/ on loopback", async () => {
      const { host, url } = reg();
      assert.match(host, /^127\.0\.0\.1:\d+$/);
      const response = await fetch(`${url}/v2/`);
      await response.arrayBuffer();
      assert.equal(response.status, kind === "anonymous" ? 200 : 401);
    });

    test("takes a pushed image and gives back its manifest and config", async () => {
      const r = reg();
      assert.ok(image);
      assert.equal(r.credentials === undefined, kind === "anonymous");
      await pushImage(image, r, "harness/app:1.0", r.credentials);
      const inspected = (await skopeoInspect(`${r.host}/harness/app:1.0`, r.credentials)) as Inspected;
      assert.match(inspected.Digest, /^sha256:[0-9a-f]{64}$/);
      assert.equal(inspected.Layers.length, 1);
      const config = (await skopeoInspect(`${r.host}/harness/app:1.0`, r.credentials, true)) as ConfigDoc;
      assert.equal(config.os, "linux");
      assert.equal(config.config.User, "1000:1000");
      assert.ok(config.config.Env?.includes("APP_MODE=test"));
      assert.deepEqual(Object.keys(config.config.ExposedPorts ?? {}), ["8080/tcp"]);
      assert.equal(config.config.Labels?.["org.opencontainers.image.title"], "harness");
      assert.deepEqual(config.config.Entrypoint, ["/app/run"]);
      assert.deepEqual(config.config.Cmd, ["--serve"]);
      assert.equal(config.config.WorkingDir, "/app");
      assert.equal(config.rootfs.diff_ids.length, 1);
    });

    test("takes a two-platform index and serves it with both manifests", async () => {
      const r = reg();
      const pushed = await pushIndex(r, "harness/multi:1.0", r.credentials);
      const raw = (await skopeoInspectRaw(`${r.host}/harness/multi:1.0`, r.credentials)) as RawIndex;
      assert.equal(raw.mediaType, "application/vnd.oci.image.index.v1+json");
      assert.equal(raw.manifests.length, 2);
      assert.deepEqual(
        raw.manifests.map((m) => `${m.platform?.os}/${m.platform?.architecture}`),
        ["linux/amd64", "linux/arm64"],
      );
      assert.deepEqual(
        raw.manifests.map((m) => m.digest),
        pushed.manifests.map((m) => m.digest),
      );
      const arm = pushed.manifests[1];
      assert.ok(arm);
      const armConfig = (await skopeoInspect(
        `${r.host}/harness/multi@${arm.digest}`,
        r.credentials,
        true,
      )) as ConfigDoc;
      assert.equal(armConfig.architecture, "arm64");
      assert.equal(armConfig.config.Labels?.["org.cipolice.test.platform"], "arm64");
    });

    if (kind !== "anonymous") {
      test("refuses reads without credentials or with a wrong password", async () => {
        const r = reg();
        const response = await fetch(`${r.url}/v2/harness/app/manifests/1.0`);
        await response.arrayBuffer();
        assert.equal(response.status, 401);
        await assert.rejects(skopeoInspect(`${r.host}/harness/app:1.0`), DENIED);
        const wrong = { username: r.credentials?.username ?? "", password: "wrong" };
        await assert.rejects(skopeoInspect(`${r.host}/harness/app:1.0`, wrong), DENIED);
      });
    }

    if (kind === "htpasswd") {
      test("challenges with Basic auth", async () => {
        const response = await fetch(`${reg().url}/v2/`);
        await response.arrayBuffer();
        assert.match(response.headers.get("www-authenticate") ?? "", /^Basic realm=/);
      });
    }

    if (kind === "token") {
      test("challenges with a Bearer realm naming its token server", async () => {
        const r = reg();
        assert.ok(r.token);
        const response = await fetch(`${r.url}/v2/`);
        await response.arrayBuffer();
        assert.equal(response.status, 401);
        const challenge = response.headers.get("www-authenticate") ?? "";
        assert.match(challenge, /^Bearer /);
        assert.ok(challenge.includes(`realm="${r.token.realm}"`), challenge);
        assert.ok(challenge.includes(`service="${r.token.service}"`), challenge);
      });

      test("issues tokens the registry accepts for the harness user only", async () => {
        const r = reg();
        assert.ok(r.token && r.credentials);
        const scope = "repository:harness/app:pull";
        const tokenUrl = `${r.token.realm}?service=${encodeURIComponent(r.token.service)}&scope=${scope}`;
        const basic = Buffer.from(`${r.credentials.username}:${r.credentials.password}`).toString("base64");
        const granted = await fetch(tokenUrl, { headers: { authorization: `Basic ${basic}` } });
        const body = (await granted.json()) as { token: string; access_token: string; expires_in: number };
        assert.equal(granted.status, 200);
        assert.equal(body.access_token, body.token);
        assert.ok(body.expires_in > 0);
        const manifest = await fetch(`${r.url}/v2/harness/app/manifests/1.0`, {
          headers: {
            authorization: `Bearer ${body.token}`,
            accept: "application/vnd.oci.image.manifest.v1+json",
          },
        });
        await manifest.arrayBuffer();
        assert.equal(manifest.status, 200);
        const badBasic = Buffer.from(`${r.credentials.username}:nope`).toString("base64");
        const refused = await fetch(tokenUrl, { headers: { authorization: `Basic ${badBasic}` } });
        await refused.arrayBuffer();
        assert.equal(refused.status, 401);
      });
    }
  });
}
