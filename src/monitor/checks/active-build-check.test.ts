import assert from "node:assert/strict";
import { test } from "node:test";
import type { ContainerSnapshot } from "../container-snapshot.js";
import { activeBuildCheck } from "./active-build-check.js";
import type { CheckContext } from "./check-types.js";

const CONTEXT: CheckContext = {
  section: "docker_monitor.checks.ActiveBuildCheck",
  configDir: "/",
  timeoutMs: 1000,
};
const INFO = { section: CONTEXT.section, line: 1, file: "m.ini", configDir: "/" };

function container(command: string[], labels: Record<string, string> = {}): ContainerSnapshot {
  const base = { id: "c", name: "n", image: "i", imageId: `sha256:${"0".repeat(64)}`, repoDigests: [] };
  return { ...base, user: "", command, labels, state: "running" };
}

test("builder commands pass fast; other commands, and build as a mere argument, pass", async () => {
  const check = await activeBuildCheck({}, INFO);
  const building = [
    ["buildah", "bud", "-t", "app", "."],
    ["/usr/bin/buildah", "from", "scratch"],
    ["/kaniko/executor", "--dockerfile", "Dockerfile"],
    ["buildkitd", "--oci-worker-no-process-sandbox"],
    ["buildctl-daemonless.sh", "build", "--frontend", "dockerfile.v0"],
    ["docker", "build", "-t", "x", "."],
    ["docker", "--debug", "buildx", "build", "."],
    ["podman", "image", "build", "."],
    ["nerdctl", "build", "."],
  ];
  for (const command of building) {
    const outcome = await check.run(container(command), {}, CONTEXT);
    assert.equal(outcome.result, "PASS_FAST", command.join(" "));
  }
  const notBuilding = [
    [],
    ["/bin/sleep", "600"],
    ["docker", "run", "build"],
    ["podman", "ps"],
    ["/app/executor"],
  ];
  for (const command of notBuilding) {
    const outcome = await check.run(container(command), {}, CONTEXT);
    assert.equal(outcome.result, "PASS", command.join(" "));
  }
});

test("labels and commands settings add markers; labels are none by default", async () => {
  const plain = await activeBuildCheck({}, INFO);
  const labelled = container(["/bin/sh"], { "com.gitlab.gitlab-runner.type": "build", role: "ci" });
  assert.equal((await plain.run(labelled, {}, CONTEXT)).result, "PASS");
  const byKey = await activeBuildCheck({ labels: "com.gitlab.gitlab-runner.type=build" }, INFO);
  const outcome = await byKey.run(labelled, {}, CONTEXT);
  assert.equal(outcome.result, "PASS_FAST");
  assert.match(outcome.message ?? "", /label com\.gitlab\.gitlab-runner\.type=build/);
  const otherValue = await activeBuildCheck({ labels: "role=build, other" }, INFO);
  assert.equal((await otherValue.run(labelled, {}, CONTEXT)).result, "PASS");
  const anyValue = await activeBuildCheck({ labels: "role" }, INFO);
  assert.equal((await anyValue.run(labelled, {}, CONTEXT)).result, "PASS_FAST");
  const extra = await activeBuildCheck({ commands: "make-image, bazel" }, INFO);
  assert.equal((await extra.run(container(["/opt/bin/make-image"]), {}, CONTEXT)).result, "PASS_FAST");
  assert.throws(() => activeBuildCheck({ labels: "=x" }, INFO), /names no label key/);
});
