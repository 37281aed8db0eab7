import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { isCipError } from "../../src/model/index.js";
import { DockerEngineClient, type EngineEvent, engineEndpoint } from "../../src/monitor/engine/index.js";
import {
  type PodmanImage,
  type PodmanService,
  podmanMissing,
  startPodman,
} from "./support/podman-harness.js";
import { freePort } from "./support/registry-harness.js";

const execFileAsync = promisify(execFile);
const skip = podmanMissing();

describe("Docker Engine API client against podman system service", { skip }, () => {
  let podman: PodmanService;
  let client: DockerEngineClient;
  let app: PodmanImage;
  let configured: PodmanImage;

  before(async () => {
    podman = await startPodman();
    client = new DockerEngineClient(engineEndpoint({ DOCKER_HOST: podman.dockerHost }));
    app = await podman.buildImage({ name: "app", tag: "v1" });
    configured = await podman.buildImage({
      name: "configured",
      tag: "v2",
      user: "1000",
      env: ["MODE=test"],
      labels: { "org.example.team": "payments" },
      entrypoint: ["sh", "-c"],
      cmd: ["sleep 3600"],
      workdir: "/tmp",
    });
    console.log(`podman harness storage driver: ${podman.storageDriver}`);
  });

  after(async () => {
    client?.close();
    await podman?.stop();
  });

  test("ping answers and version negotiates podman's API 1.41", async () => {
    await client.ping();
    const version = await client.version();
    // podman.md: podman 4 serves the Docker API as /v1.41
    assert.equal(version.apiVersion, "1.41");
    assert.equal(version.negotiatedApiVersion, "1.41");
    const { stdout } = await execFileAsync("podman", ["--version"]);
    assert.equal(version.version, stdout.trim().replace(/^podman version /, ""));
    assert.ok(version.components.includes("Podman Engine"), version.components.join(", "));
  });

  test("lists a root and a --user 1000:1000 container with their effective users", async () => {
    const rootId = await podman.runContainer({
      name: "root-app",
      image: app.ref,
      command: ["sleep", "3600"],
    });
    const userId = await podman.runContainer({
      name: "user-app",
      image: app.ref,
      user: "1000:1000",
      command: ["sleep", "3600"],
      labels: { "org.example.role": "worker" },
    });
    const listed = await client.listRunningContainers();
    const byName = new Map(listed.map((c) => [c.names[0], c]));
    assert.equal(byName.get("root-app")?.id, rootId);
    assert.equal(byName.get("user-app")?.id, userId);
    assert.equal(byName.get("user-app")?.imageId, app.id);
    assert.equal(byName.get("user-app")?.state, "running");

    const root = await client.snapshot(rootId);
    const user = await client.snapshot("user-app");
    assert.equal(root?.user, "", "no --user and no image user: the engine's default, root");
    assert.equal(user?.user, "1000:1000");
    assert.deepEqual(user?.labels, { "org.example.role": "worker" });
    assert.deepEqual(user?.command, ["sleep", "3600"]);
    assert.equal(user?.image, "localhost/app:v1");
    assert.equal(user?.imageId, app.id);
    assert.equal(user?.state, "running");
    assert.ok(user?.startedAt && !Number.isNaN(Date.parse(user.startedAt)), `startedAt ${user?.startedAt}`);
    await podman.removeContainer("root-app");
    await podman.removeContainer("user-app");
  });

  test("an image's config and the user it sets reach the snapshot", async () => {
    const id = await podman.runContainer({ name: "configured-app", image: configured.ref, command: [] });
    const overridden = await podman.runContainer({
      name: "configured-as-root",
      image: configured.ref,
      user: "0",
      command: [],
    });
    const snapshot = await client.snapshot(id);
    assert.deepEqual(snapshot?.imageConfig, {
      user: "1000",
      env: snapshot?.imageConfig?.env, // checked below: the engine may add PATH
      labels: { "org.example.team": "payments" },
      entrypoint: ["sh", "-c"],
      cmd: ["sleep 3600"],
      workdir: "/tmp",
    });
    assert.ok(snapshot?.imageConfig?.env?.includes("MODE=test"), String(snapshot?.imageConfig?.env));
    // The container's effective user is the image's when run without --user, and --user's otherwise
    assert.equal(snapshot?.user, "1000");
    assert.equal((await client.snapshot(overridden))?.user, "0");
    assert.deepEqual(snapshot?.command, ["sh", "-c", "sleep 3600"]);
    await podman.removeContainer(id);
    await podman.removeContainer(overridden);
  });

  test("repo digests: podman lists a local image by its manifest digest", async () => {
    const image = await client.inspectImage(app.id);
    assert.deepEqual(image?.repoTags, ["localhost/app:v1"]);
    // Docker leaves RepoDigests empty for an image never pushed or pulled; podman names the stored manifest
    assert.deepEqual(image?.repoDigests, [`localhost/app@${app.manifestDigest}`]);
    assert.equal(await client.inspectImage(`sha256:${"0".repeat(64)}`), undefined);
  });

  test("a container removed between the list and its inspection gives undefined, not an error", async () => {
    const keep = await podman.runContainer({ name: "keep", image: app.ref, command: ["sleep", "3600"] });
    const gone = await podman.runContainer({ name: "vanishing", image: app.ref, command: ["sleep", "3600"] });
    const listed = await client.listRunningContainers();
    assert.ok(listed.some((c) => c.id === gone));
    await podman.removeContainer(gone);
    assert.equal(await client.snapshot(gone), undefined);
    assert.equal(await client.inspectContainer(gone), undefined);
    const all = await client.snapshotAll();
    assert.deepEqual(
      all.map((s) => s.name),
      ["keep"],
    );
    assert.equal(all[0]?.id, keep);
    await podman.removeContainer(keep);
  });

  test("a container started while events() listens is seen within a second", async () => {
    const controller = new AbortController();
    const seen: Array<{ at: number; event: EngineEvent }> = [];
    const listening = client.events({ signal: controller.signal, since: new Date() }, (event) => {
      seen.push({ at: Date.now(), event });
    });
    try {
      const id = await podman.runContainer({
        name: "late-starter",
        image: app.ref,
        command: ["sleep", "3600"],
        labels: { "org.example.late": "yes" },
      });
      const started = Date.now();
      while (!seen.some((s) => s.event.id === id) && Date.now() - started < 3_000) {
        await new Promise((r) => setTimeout(r, 10));
      }
      const hit = seen.find((s) => s.event.id === id);
      assert.ok(hit, `no start event for ${id}; saw ${seen.map((s) => s.event.name).join(", ")}`);
      assert.ok(hit.at - started <= 1_000, `seen ${hit.at - started} ms after podman run returned`);
      assert.equal(hit.event.action, "start");
      assert.equal(hit.event.name, "late-starter");
      assert.equal(hit.event.image, app.ref);
      assert.equal(hit.event.attributes["org.example.late"], "yes");
    } finally {
      controller.abort();
    }
    // Ends cleanly on abort: resolves, no error
    await listening;
    await podman.removeContainer("late-starter");
  });

  test("stop stops one container and nothing else; pause and kill act on theirs", async () => {
    const target = await podman.runContainer({ name: "target", image: app.ref, command: ["sleep", "3600"] });
    const bystander = await podman.runContainer({
      name: "bystander",
      image: app.ref,
      command: ["sleep", "3600"],
    });
    assert.equal(await client.stop(target, 0), "done");
    const { stdout } = await podman.podman(["ps", "--format", "{{.Names}}"]).then((out) => ({ stdout: out }));
    assert.deepEqual(stdout.trim().split("\n"), ["bystander"]);
    assert.equal(
      await podman.podman(["inspect", "--format", "{{.State.Status}}", target]).then((s) => s.trim()),
      "exited",
    );
    assert.equal(await client.stop(target, 0), "already");

    assert.equal(await client.pause(bystander), "done");
    assert.equal(
      await podman.podman(["inspect", "--format", "{{.State.Status}}", bystander]).then((s) => s.trim()),
      "paused",
    );
    assert.equal(await client.pause(bystander), "already");
    assert.equal(await client.kill(bystander), "done");
    assert.equal(
      await podman.podman(["inspect", "--format", "{{.State.Status}}", bystander]).then((s) => s.trim()),
      "exited",
    );
    assert.equal(await client.kill(bystander), "already");

    await podman.removeContainer(target);
    await podman.removeContainer(bystander);
    assert.equal(await client.stop(target, 0), "gone");
  });
});

describe("Docker Engine API client: an engine that is not there", () => {
  test("a missing socket gives a clear error naming it, at once", async () => {
    const dir = await mkdtemp(join(tmpdir(), "cipolice-engine-missing-"));
    try {
      const socket = join(dir, "docker.sock");
      const client = new DockerEngineClient(engineEndpoint({ DOCKER_HOST: `unix://${socket}` }));
      const started = Date.now();
      await assert.rejects(client.listRunningContainers(), (error: unknown) => {
        assert.ok(isCipError(error));
        assert.equal(
          error.message,
          `Cannot reach the container engine: the socket does not exist (unix://${socket})`,
        );
        assert.equal(error.code, "CIP_ENGINE");
        assert.match(error.hint ?? "", /running.*DOCKER_HOST/);
        return true;
      });
      assert.ok(Date.now() - started < 2_000);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("a socket nobody listens on (a crashed engine's) gives a clear error, no hang", async () => {
    const dir = await mkdtemp(join(tmpdir(), "cipolice-engine-stale-"));
    try {
      const socket = join(dir, "docker.sock");
      // A process that dies by SIGKILL leaves its socket file behind, as a crashed engine does
      const child = spawn(process.execPath, [
        "-e",
        `require("net").createServer().listen(${JSON.stringify(socket)}, () => console.log("up"))`,
      ]);
      await new Promise<void>((resolve) => child.stdout.once("data", () => resolve()));
      const dead = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGKILL");
      await dead;
      assert.ok(existsSync(socket));
      const client = new DockerEngineClient(engineEndpoint({}, `unix://${socket}`));
      await assert.rejects(client.ping(), (error: unknown) => {
        assert.ok(isCipError(error));
        assert.equal(
          error.message,
          `Cannot reach the container engine: nothing accepts connections on the socket (unix://${socket})`,
        );
        return true;
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("a refused TCP address gives a clear error", async () => {
    const port = await freePort();
    const client = new DockerEngineClient(engineEndpoint({ DOCKER_HOST: `tcp://127.0.0.1:${port}` }));
    await assert.rejects(client.ping(), {
      message: `Cannot reach the container engine: nothing accepts connections on the address (tcp://127.0.0.1:${port})`,
    });
  });
});
