import { feedTriggers } from "../feed-triggers.js";
import type { GateSpec } from "../gate-types.js";

/**
 * `npms`: npm packages compared with the npm feed (`facts.feeds.npm`), and denied npm packages, after
 * anchore-engine's gate of that name.
 */
export const npmsGate: GateSpec = {
  name: "npms",
  // npm packages come from reports, the npm feed with them.
  needs: ["reports"],
  description: "Compares installed npm packages with the npm data feed, and denies chosen npm packages.",
  triggers: feedTriggers({
    packageType: "npm",
    feedKey: "npm",
    label: "NPM",
    notLatest: {
      name: "newer_version_in_feed",
      message: (pkg, version, latest) =>
        `NPMNOTLATEST Package (${pkg}) version (${version}) installed but is not the latest version (${latest})`,
    },
    notOfficial: {
      name: "unknown_in_feeds",
      message: (pkg) => `NPMNOTOFFICIAL Package (${pkg}) in container but not in official NPM feed.`,
    },
    badVersion: {
      name: "version_not_in_feeds",
      message: (pkg, version, known) =>
        `NPMBADVERSION Package (${pkg}) version (${version}) installed but version is not in the official feed for this package (${known})`,
    },
    denied: {
      name: "blacklisted_name_version",
      description:
        "Fires when an npm package of the given name is installed or, if a version is set, when that exact version of it is installed.",
      message: (pkg, version) =>
        `NPM Package is blacklisted: ${version === undefined ? pkg : `${pkg}-${version}`}`,
    },
    noFeed: {
      description:
        "Fires when the facts include no npm feed data, whether or not npm packages are installed.",
      message:
        "NPM packages are present but the anchore npm feed is not available - will be unable to perform checks that require feed data",
    },
  }),
};
