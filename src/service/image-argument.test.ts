import assert from "node:assert/strict";
import { test } from "node:test";
import { parseImageArgument } from "./image-argument.js";

test("image arguments read as skopeo writes them; paths may hold colons", () => {
  const files = new Set(["/tmp/layout", "/tmp/a:b/img.tar", "img.tar"]);
  const exists = (p: string) => files.has(p);
  const cases: [string, ReturnType<typeof parseImageArgument>][] = [
    ["nginx:1.25", { kind: "registry", reference: "nginx:1.25" }],
    ["docker://ghcr.io/org/app:1", { kind: "registry", reference: "ghcr.io/org/app:1" }],
    ["oci:/tmp/layout", { kind: "oci-layout", path: "/tmp/layout" }],
    ["oci:/tmp/layout:v1", { kind: "oci-layout", path: "/tmp/layout", tag: "v1" }],
    ["docker-archive:img.tar", { kind: "docker-archive", path: "img.tar" }],
    ["docker-archive:img.tar:nginx:1.25", { kind: "docker-archive", path: "img.tar", tag: "nginx:1.25" }],
    [
      "docker-archive:/tmp/a:b/img.tar:app:2",
      { kind: "docker-archive", path: "/tmp/a:b/img.tar", tag: "app:2" },
    ],
    ["docker-archive:missing.tar", { kind: "docker-archive", path: "missing.tar" }],
  ];
  for (const [text, expected] of cases) assert.deepEqual(parseImageArgument(text, exists), expected, text);
});
