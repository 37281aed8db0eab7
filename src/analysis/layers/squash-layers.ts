import type { DeltaEntry, LayerDelta } from "./layer-delta.js";

/** A path of the final filesystem and the layer (index in manifest order) that wrote it last. */
export interface SquashedFile {
  entry: DeltaEntry;
  layer: number;
}

/** The final filesystem of an image: every path that survives its layers, in path order. */
export interface SquashedView {
  files: Map<string, SquashedFile>;
  problems: string[];
}

const MAX_PROBLEMS = 200;

/**
 * Applies layer deltas in manifest order, as an overlay filesystem does: a layer's whiteouts delete a
 * lower path with its subtree, its opaque directories hide whatever lower layers put under them, a
 * non-directory replacing a lower directory hides that directory's subtree, and its entries then replace
 * lower ones. A hard link whose target is missing in the result so far is a problem, not an error.
 * Time is linear in the entries times the path depth, per layer that deletes something.
 */
export function squashLayers(deltas: readonly LayerDelta[]): SquashedView {
  const files = new Map<string, SquashedFile>();
  const problems: string[] = [];
  deltas.forEach((delta, layer) => {
    const subtrees = new Set(delta.opaqueDirs);
    for (const [path, entry] of delta.entries) {
      if (entry.type !== "dir" && files.get(path)?.entry.type === "dir") subtrees.add(path);
    }
    if (delta.whiteouts.size > 0 || subtrees.size > 0) {
      for (const path of [...files.keys()]) {
        if (deletedBy(delta.whiteouts, subtrees, path)) files.delete(path);
      }
    }
    for (const [path, entry] of delta.entries) files.set(path, { entry, layer });
    for (const [path, entry] of delta.entries) {
      if (entry.type !== "hardlink" || files.has(entry.linkTarget ?? "")) continue;
      if (problems.length < MAX_PROBLEMS) {
        problems.push(
          `hard link ${path} points to ${entry.linkTarget}, which no layer up to it has (layer ${delta.digest})`,
        );
      }
    }
  });
  return { files: new Map([...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))), problems };
}

/**
 * Whether a layer deletes a lower path: the path or one of its ancestors is whited out, or one of its
 * strict ancestors has its subtree hidden (opaque, or replaced by a non-directory).
 */
export function deletedBy(
  whiteouts: ReadonlySet<string>,
  subtrees: ReadonlySet<string>,
  path: string,
): boolean {
  if (whiteouts.has(path)) return true;
  for (let cut = path.lastIndexOf("/"); cut > 0; cut = path.lastIndexOf("/", cut - 1)) {
    const ancestor = path.slice(0, cut);
    if (whiteouts.has(ancestor) || subtrees.has(ancestor)) return true;
  }
  return subtrees.has("/") && path !== "/";
}

/** Whether a layer writes or deletes the path: after it, the path's content is the layer's doing. */
export function layerTouches(delta: LayerDelta, path: string): boolean {
  return delta.entries.has(path) || deletedBy(delta.whiteouts, delta.opaqueDirs, path);
}
