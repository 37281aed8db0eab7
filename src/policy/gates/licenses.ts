import type { ImageFacts } from "../../model/index.js";
import type { GateSpec } from "../gate-types.js";
import { pySplitWhitespace } from "../python-format.js";

/** (package name, license word) pairs, as anchore-engine splits each package's license text on whitespace. */
type LicensePairs = [pkg: string, license: string][];

function licensePairs(facts: ImageFacts): LicensePairs {
  const pairs: LicensePairs = [];
  for (const pkg of facts.packages ?? []) {
    for (const license of pySplitWhitespace((pkg.licenses ?? []).join(" "))) pairs.push([pkg.name, license]);
  }
  return pairs;
}

/**
 * `licenses`: denies packages by license, exactly or by substring, after anchore-engine's gate of that
 * name. Each trigger fires once, listing every matching `package(license)`.
 */
export const licensesGate: GateSpec<LicensePairs> = {
  name: "licenses",
  // Package licenses come from scanner reports or SBOMs.
  needs: ["reports"],
  description: "Denies packages by the licenses they declare.",
  prepare: licensePairs,
  triggers: [
    {
      name: "blacklist_exact_match",
      description:
        "Fires once when some installed package declares one of the listed licenses, naming every such package and license. Each whitespace-separated word of a package's license text is compared exactly.",
      params: [
        {
          name: "licenses",
          description:
            "Comma-separated license identifiers to deny, compared case-sensitively with whole license words.",
          kind: "string-list",
          required: true,
          example: "GPLv2+,GPL-3+,BSD-2-clause",
        },
      ],
      compile(params) {
        const denied = new Set(params.list("licenses") ?? []);
        return (ctx) => {
          const matches = ctx.gate.filter(([, license]) => denied.has(license)).map(([p, l]) => `${p}(${l})`);
          if (matches.length > 0) {
            ctx.fire({
              message: `LICFULLMATCH Packages are installed that have blacklisted licenses: ${matches.join(", ")}`,
            });
          }
        };
      },
    },
    {
      name: "blacklist_partial_match",
      description:
        "Fires once when some installed package has a license word containing one of the listed strings, naming every such package and license.",
      params: [
        {
          name: "licenses",
          description:
            "Comma-separated strings to deny; a license word that contains any of them (case-sensitively) matches.",
          kind: "string-list",
          required: true,
          example: "LGPL,BSD",
        },
      ],
      compile(params) {
        const fragments = params.list("licenses") ?? [];
        return (ctx) => {
          const matches: string[] = [];
          // One entry per matching fragment, so a license matched twice is listed twice (as anchore-engine).
          for (const [pkg, license] of ctx.gate) {
            for (const fragment of fragments)
              if (license.includes(fragment)) matches.push(`${pkg}(${license})`);
          }
          if (matches.length > 0) {
            ctx.fire({
              message: `LICSUBMATCH Packages are installed that have blacklisted licenses: ${matches.join(", ")}`,
            });
          }
        };
      },
    },
  ],
};
