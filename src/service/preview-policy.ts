import { parseImageReference } from "../image/image-reference.js";
import type { DecisionV1, ImageFacts } from "../model/index.js";
import type { CompiledBundle } from "../policy/compile-bundle.js";
import { checkImage } from "./check-image.js";
import type { Store } from "./store-ports.js";
import { factsFromStoredReports } from "./stored-report-facts.js";

const DAY_MS = 86_400_000;

/** An image CIPolicE knows to be running (the monitor saw it) or admitted (admission decided it). */
export interface KnownImage {
  image: string;
  digest?: string;
  imageId?: string;
  namespace?: string;
  /** `running`, `admitted`, or both. */
  seen: ("running" | "admitted")[];
}

/** What a bundle not yet in force would do to one known image. */
export interface PreviewEntry {
  image: KnownImage;
  /** The outcome under the bundles in force, and under the candidate now. */
  current: "pass" | "fail";
  candidate: "pass" | "fail";
  /** The candidate's stop rows, when it fails. */
  reasons: string[];
  /** Allowlist items of the candidate whose expiry would deny the image, with the date. */
  deniedByExpiry: { date: string; item: string; reasons: string[] }[];
  /** Said when no scan data is stored: only reference and rules on it were evaluated. */
  note?: string;
}

/** Every image the monitor saw running and admission decided, one entry per digest (or reference), newest first. */
export async function knownImages(store: Store, limit = 1000): Promise<KnownImage[]> {
  const [running, decisions] = await Promise.all([
    store.latestContainerChecks({ limit }),
    store.listDecisions({ limit }),
  ]);
  const byKey = new Map<string, KnownImage>();
  const add = (image: KnownImage) => {
    const key = image.digest ?? image.imageId ?? image.image;
    const known = byKey.get(key);
    if (known === undefined) byKey.set(key, image);
    else for (const s of image.seen) if (!known.seen.includes(s)) known.seen.push(s);
  };
  for (const c of running) {
    add({
      image: c.image,
      ...(c.digest !== undefined ? { digest: c.digest } : {}),
      imageId: c.imageId,
      seen: ["running"],
    });
  }
  for (const d of decisions) {
    if (d.origin !== "admission" && d.origin !== "imagereview") continue;
    add({
      image: d.image,
      ...(d.digest !== undefined ? { digest: d.digest } : {}),
      ...(d.namespace !== undefined ? { namespace: d.namespace } : {}),
      seen: ["admitted"],
    });
  }
  return [...byKey.values()];
}

/** The facts of a known image from the store: its stored reports (by digest, else image id), else the reference. */
async function factsOf(store: Store, image: KnownImage): Promise<{ facts: ImageFacts; note?: string }> {
  let ref: ImageFacts["ref"];
  try {
    ref = parseImageReference(image.image);
  } catch {
    ref = { registry: "localhost", repository: "unknown" };
  }
  const base: ImageFacts = {
    ref,
    ...(image.digest !== undefined ? { digest: image.digest } : {}),
    ...(image.imageId !== undefined ? { imageId: image.imageId } : {}),
  };
  for (const subject of [image.digest, image.imageId]) {
    if (subject === undefined) continue;
    const stored = await store.listReports(subject);
    if (stored.length > 0)
      return { facts: { ...factsFromStoredReports(image.image, stored, base).facts, ...base } };
  }
  return {
    facts: base,
    note: "no scan data is stored for it: only rules on its name and digest were evaluated",
  };
}

function stopReasons(decision: DecisionV1): string[] {
  return decision.results
    .filter((r) => r.effectiveAction === "stop")
    .map((r) => `${r.gate}/${r.trigger}: ${r.message}`);
}

/**
 * What a candidate bundle would do to every image known to run or to have been admitted: each one it would
 * deny now that the bundles in force pass, and each one an allowlist item's expiry (within `days`) would deny
 * on that date. Facts come from the store's reports; nothing is fetched.
 */
export async function previewBundle(
  store: Store,
  candidate: CompiledBundle,
  inForce: readonly CompiledBundle[],
  options: { now: Date; days: number; limit?: number },
): Promise<PreviewEntry[]> {
  const entries: PreviewEntry[] = [];
  const horizon = options.now.getTime() + options.days * DAY_MS;
  const expiries = candidate.bundle.allowlists.flatMap((list) =>
    list.items.flatMap((item) => {
      const at = item.expiresOn === undefined ? Number.NaN : Date.parse(item.expiresOn);
      return Number.isFinite(at) && at > options.now.getTime() && at <= horizon
        ? [{ at, item: `${list.name ?? list.id}/${item.id}` }]
        : [];
    }),
  );
  for (const image of await knownImages(store, options.limit)) {
    const { facts, note } = await factsOf(store, image);
    const context = { ...(image.namespace !== undefined ? { namespace: image.namespace } : {}) };
    const current = inForce.some(
      (b) => checkImage(b, facts, { now: options.now, ...context }).status === "fail",
    )
      ? "fail"
      : "pass";
    const decision = checkImage(candidate, facts, { now: options.now, ...context });
    const candidateOutcome = decision.status === "fail" ? "fail" : "pass";
    const deniedByExpiry: PreviewEntry["deniedByExpiry"] = [];
    if (candidateOutcome === "pass") {
      for (const expiry of expiries) {
        // Just after the item lapses
        const later = checkImage(candidate, facts, { now: new Date(expiry.at + 1000), ...context });
        if (later.status === "fail") {
          deniedByExpiry.push({
            date: new Date(expiry.at).toISOString(),
            item: expiry.item,
            reasons: stopReasons(later),
          });
        }
      }
    }
    entries.push({
      image,
      current,
      candidate: candidateOutcome,
      reasons: candidateOutcome === "fail" ? stopReasons(decision) : [],
      deniedByExpiry,
      ...(note !== undefined ? { note } : {}),
    });
  }
  return entries;
}
