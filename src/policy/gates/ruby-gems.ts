import { feedTriggers } from "../feed-triggers.js";
import type { GateSpec } from "../gate-types.js";

/**
 * `ruby_gems`: gems compared with the gem feed (`facts.feeds.gem`), and denied gems, after anchore-engine's
 * gate of that name.
 */
export const rubyGemsGate: GateSpec = {
  name: "ruby_gems",
  description: "Ruby Gem Checks",
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
        "Triggers if the evaluated image has a GEM package installed that matches the specified name and version.",
      message: (pkg, version) =>
        `Gem Package is blacklisted: ${version === undefined ? pkg : `${pkg}-${version}`}`,
    },
    noFeed: {
      description: "Triggers if anchore does not have access to the GEM data feed.",
      message:
        "Gem packages are present but the anchore gem feed is not available - will be unable to perform checks that require feed data",
    },
  }),
};
