import assert from "node:assert/strict";
import { test } from "node:test";
import type { ContainerSnapshot } from "../container-snapshot.js";
import type { CheckContext } from "./check-types.js";
import { effectiveUser, isRootUser, runningAsRootCheck } from "./running-as-root-check.js";

const CONTEXT: CheckContext = {
  section: "docker_monitor.checks.RunningAsRootCheck",
  configDir: "/",
  timeoutMs: 1000,
};
const INFO = { section: CONTEXT.section, line: 1, file: "m.ini", configDir: "/" };

function container(user: string, imageUser?: string): ContainerSnapshot {
  const base = { id: "c", name: "n", image: "i", imageId: `sha256:${"0".repeat(64)}`, repoDigests: [] };
  return {
    ...base,
    user,
    command: [],
    labels: {},
    state: "running",
    imageConfig: imageUser === undefined ? undefined : { user: imageUser },
  };
}

test("root is empty, root, uid 0 with or without a group; other uids and names are not", () => {
  const table: [string, boolean][] = [
    ["", true],
    ["root", true],
    ["0", true],
    ["00", true],
    ["0:0", true],
    ["0:1000", true],
    ["root:root", true],
    ["root:wheel", true],
    [":1000", true],
    ["1000", false],
    ["1000:0", false],
    ["65534:65534", false],
    ["nobody", false],
    ["app:root", false],
    ["rooty", false],
    ["10", false],
  ];
  for (const [user, root] of table) assert.equal(isRootUser(user), root, `user ${JSON.stringify(user)}`);
});

test("the effective user is the container's, else the image's, else the default", () => {
  assert.deepEqual(effectiveUser(container("1000", "root")), { user: "1000", from: "container" });
  assert.deepEqual(effectiveUser(container("", "app")), { user: "app", from: "image" });
  assert.deepEqual(effectiveUser(container("  ", "")), { user: "", from: "default" });
  assert.deepEqual(effectiveUser(container("")), { user: "", from: "default" });
});

test("allow_root off (the default) fails root containers, on passes them; users always pass", async () => {
  const off = await runningAsRootCheck({ allow_root: "off" }, INFO);
  const unset = await runningAsRootCheck({}, INFO);
  const empty = await runningAsRootCheck({ allow_root: "" }, INFO);
  const on = await runningAsRootCheck({ allow_root: "On" }, INFO);
  for (const check of [off, unset, empty]) {
    assert.equal((await check.run(container(""), {}, CONTEXT)).result, "FAIL");
    assert.equal((await check.run(container("", "0:0"), {}, CONTEXT)).result, "FAIL");
    // The container's --user wins over the image's root
    assert.equal((await check.run(container("1000:1000", "root"), {}, CONTEXT)).result, "PASS");
    // An image user other than root, with no --user, is not root
    assert.equal((await check.run(container("", "app"), {}, CONTEXT)).result, "PASS");
  }
  assert.equal((await on.run(container("root"), {}, CONTEXT)).result, "PASS");
  const failed = await off.run(container("", "root"), {}, CONTEXT);
  assert.match(failed.message ?? "", /runs as root: user "root" \(image\); allow_root is off/);
});

test("allow_root that is not a boolean is refused at load", () => {
  assert.throws(
    () => runningAsRootCheck({ allow_root: "sometimes" }, INFO),
    /allow_root = "sometimes" is not a boolean/,
  );
});
