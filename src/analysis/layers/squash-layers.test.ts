import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { DeltaEntry, LayerDelta } from "./layer-delta.js";
import { squashLayers } from "./squash-layers.js";

function layer(
  digest: string,
  paths: Record<string, DeltaEntry["type"]>,
  whiteouts: string[] = [],
  opaque: string[] = [],
): LayerDelta {
  const entries = new Map<string, DeltaEntry>();
  for (const [path, type] of Object.entries(paths))
    entries.set(path, { path, type, mode: type === "dir" ? 0o40755 : 0o100644, uid: 0, gid: 0 });
  return {
    digest,
    entries,
    whiteouts: new Set(whiteouts),
    opaqueDirs: new Set(opaque),
    databases: new Map(),
    packages: new Map(),
    secrets: new Map(),
    problems: [],
    stats: { entries: entries.size, tarBytes: 0, compressedBytes: 0, gzip: false },
  };
}

const paths = (deltas: LayerDelta[]) => [...squashLayers(deltas).files.keys()];

describe("squashLayers", () => {
  it("a whiteout of a directory deletes its subtree, and a later layer may bring the path back", () => {
    const base = layer("a", { "/d": "dir", "/d/x": "file", "/d/e/y": "file", "/dx": "file" });
    assert.deepEqual(paths([base, layer("b", {}, ["/d"])]), ["/dx"]);
    assert.deepEqual(paths([base, layer("b", {}, ["/d"]), layer("c", { "/d": "dir" })]), ["/d", "/dx"]);
  });

  it("an opaque directory keeps itself and the same layer's children, hiding lower ones", () => {
    const base = layer("a", { "/o": "dir", "/o/old": "file", "/other": "file" });
    assert.deepEqual(paths([base, layer("b", { "/o": "dir", "/o/new": "file" }, [], ["/o"])]), [
      "/o",
      "/o/new",
      "/other",
    ]);
  });

  it("a file replacing a directory hides what was under it", () => {
    const base = layer("a", { "/p": "dir", "/p/q": "file" });
    assert.deepEqual(paths([base, layer("b", { "/p": "symlink" })]), ["/p"]);
  });

  it("remembers the layer that wrote each surviving path", () => {
    const view = squashLayers([layer("a", { "/f": "file", "/g": "file" }), layer("b", { "/g": "file" })]);
    assert.deepEqual(
      [...view.files].map(([p, f]) => [p, f.layer]),
      [
        ["/f", 0],
        ["/g", 1],
      ],
    );
  });
});
