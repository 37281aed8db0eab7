import { feedTriggers } from "../feed-triggers.js";
import type { GateSpec } from "../gate-types.js";

/**
 * `ruby_gems`: gems compared with the gem feed (`facts.feeds.gem`), and denied gems, after anchore-engine's
 * gate of that name.
 */
export const rubyGemsGate: GateSpec = {
  name: "ruby_gems",
  // Gems come from reports, the gem feed with them.
  needs: ["reports"],
  description: "Compares installed Ruby gems with the gem data feed, and denies chosen gems.",
  triggers: feedTriggers({
    packageType: "gem",
    feedKey: "gem",
    label: "GEM",
    notLatest: {
      name: "newer_version_found_in_feed",
      // anchore-engine gives this one message no GEM... prefix.
      message: (pkg, version, latest) =>
        `Package (${pkg}) version (${version}) installed but is not the latest version (${latest})`,
    },
    notOfficial: {
      name: "not_found_in_feed",
      message: (pkg) => `GEMNOTOFFICIAL Package (${pkg}) in container but not in official GEM feed.`,
    },
    badVersion: {
      name: "version_not_found_in_feed",
      message: (pkg, version, known) =>
        `GEMBADVERSION Package (${pkg}) version (${version}) installed but version is not in the official feed for this package (${known})`,
    },
    denied: {
      name: "blacklist",
      description:
        "Fires when a gem of the given name is installed or, if a version is set, when that exact version of it is installed.",
      message: (pkg, version) =>
        `Gem Package is blacklisted: ${version === undefined ? pkg : `${pkg}-${version}`}`,
    },
    noFeed: {
      description: "Fires when the facts include no gem feed data, whether or not gems are installed.",
      message:
        "Gem packages are present but the anchore gem feed is not available - will be unable to perform checks that require feed data",
    },
  }),
};
