import type { ImageFacts, PackageFeed } from "../model/index.js";
import type { TriggerContext, TriggerSpec } from "./gate-types.js";
import { pyStrListRepr } from "./python-format.js";

/** Trigger names and messages of one package-feed gate (npms, ruby_gems); they differ in small ways. */
export interface FeedGateWording {
  packageType: string;
  feedKey: "npm" | "gem";
  /** What the package type is called in descriptions (`NPM`, `GEM`). */
  label: string;
  notLatest: { name: string; message: (pkg: string, version: string, latest: string) => string };
  notOfficial: { name: string; message: (pkg: string) => string };
  badVersion: { name: string; message: (pkg: string, version: string, known: string) => string };
  denied: { name: string; description: string; message: (pkg: string, version?: string) => string };
  noFeed: { description: string; message: string };
}

/** Installed versions by package name (one entry per installed copy), in the order the facts list them. */
function installed(facts: ImageFacts, type: string): Map<string, string[]> {
  const byName = new Map<string, string[]>();
  for (const p of facts.packages ?? []) {
    if (p.type !== type) continue;
    byName.set(p.name, [...(byName.get(p.name) ?? []), p.version]);
  }
  return byName;
}

/**
 * The image's packages and the feed entries for them, or undefined when either is missing: then, as in
 * anchore-engine, the feed comparisons fire nothing (also when the feed knows none of the packages).
 */
function withFeed(ctx: TriggerContext, w: FeedGateWording) {
  const pkgs = installed(ctx.facts, w.packageType);
  const feed: PackageFeed | undefined = ctx.facts.feeds?.[w.feedKey];
  if (pkgs.size === 0 || !feed) return undefined;
  const known = [...pkgs.keys()].filter((name) => Object.hasOwn(feed.versions, name));
  if (known.length === 0) return undefined;
  return {
    pkgs,
    versions: (name: string) => (Object.hasOwn(feed.versions, name) ? feed.versions[name] : undefined),
  };
}

/** The five triggers of a package-feed gate: not latest, not in feed, version not in feed, denied, no feed. */
export function feedTriggers(w: FeedGateWording): TriggerSpec[] {
  return [
    {
      name: w.notLatest.name,
      description: `Fires for each installed ${w.label} package for which the feed knows a newer version.`,
      params: [],
      compile: () => (ctx) => {
        const data = withFeed(ctx, w);
        if (!data) return;
        for (const [name, versions] of data.pkgs) {
          const known = data.versions(name);
          if (!known) continue;
          const latest = known[known.length - 1] ?? "";
          for (const v of versions)
            if (v && v !== latest) ctx.fire({ message: w.notLatest.message(name, v, latest) });
        }
      },
    },
    {
      name: w.notOfficial.name,
      description: `Fires for each installed ${w.label} package whose name the feed does not know at all.`,
      params: [],
      compile: () => (ctx) => {
        const data = withFeed(ctx, w);
        if (!data) return;
        for (const name of data.pkgs.keys())
          if (!data.versions(name)) ctx.fire({ message: w.notOfficial.message(name) });
      },
    },
    {
      name: w.badVersion.name,
      description: `Fires for each installed ${w.label} package whose name the feed knows but whose installed version it does not list.`,
      params: [],
      compile: () => (ctx) => {
        const data = withFeed(ctx, w);
        if (!data) return;
        for (const [name, versions] of data.pkgs) {
          const known = data.versions(name);
          if (!known) continue;
          for (const v of new Set(versions)) {
            if (!known.includes(v))
              ctx.fire({ message: w.badVersion.message(name, v, pyStrListRepr(known)) });
          }
        }
      },
    },
    {
      name: w.denied.name,
      description: w.denied.description,
      params: [
        {
          name: "name",
          description: `Name of the ${w.label === "NPM" ? "npm package" : "gem"} to deny.`,
          kind: "string",
          required: true,
          example: "time_diff",
        },
        {
          name: "version",
          description: "When set, only this exact version is denied; otherwise every version is.",
          kind: "string",
          example: "0.2.9",
        },
      ],
      compile(params) {
        const name = params.string("name") ?? "";
        const version = params.string("version");
        return (ctx) => {
          const versions = installed(ctx.facts, w.packageType).get(name);
          if (!versions) return;
          if (version) {
            if (versions.includes(version)) ctx.fire({ message: w.denied.message(name, version) });
          } else if (version === undefined) {
            ctx.fire({ message: w.denied.message(name) });
          }
        };
      },
    },
    {
      name: "feed_data_unavailable",
      description: w.noFeed.description,
      params: [],
      compile: () => (ctx) => {
        // anchore-engine fires whenever the feed is missing, whether or not such packages are installed.
        if (!ctx.facts.feeds?.[w.feedKey]) ctx.fire({ message: w.noFeed.message });
      },
    },
  ];
}
