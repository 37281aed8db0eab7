import { type ImageFacts, type ImageRef, isDigestOnly } from "../../model/index.js";
import { compileParamRegex } from "../eval-regex.js";
import { type GateSpec, ParamValueError } from "../gate-types.js";
import { PythonRegexError, regexProblem } from "../python-regex.js";
import { compileWildcard, wildcardMatch } from "../wildcard.js";

/** The reference as written canonically: `registry/repository[:tag][@digest]`. */
function printRef(ref: ImageRef): string {
  if (isDigestOnly(ref)) return `@${ref.digest}`;
  return `${ref.registry}/${ref.repository}${ref.tag ? `:${ref.tag}` : ""}${ref.digest ? `@${ref.digest}` : ""}`;
}

/** Provenance sources of facts read from an image file: an OCI layout directory or a `docker save` tarball. */
const FILE_SOURCES: ReadonlySet<string> = new Set(["oci-layout", "docker-archive"]);

/**
 * Whether the image was read from a file rather than named for a registry to resolve. An untagged image
 * of a file is named after the file (`localhost/<file name>`): nothing mutable such as `latest` is referenced.
 */
function readFromFile(facts: ImageFacts): boolean {
  return (facts.provenance ?? []).some((p) => FILE_SOURCES.has(p.source));
}

/** The registry patterns of a rule, checked once so that a bad `regexp:` pattern is a bundle problem. */
function registryPatterns(patterns: readonly string[]): readonly string[] {
  for (const pattern of patterns) {
    try {
      compileWildcard(pattern);
    } catch (error) {
      if (!(error instanceof PythonRegexError)) throw error;
      throw new ParamValueError(
        "registries",
        `parameter "registries" has an invalid pattern ${JSON.stringify(pattern)}: it ${regexProblem(error)}`,
        "CIP_REGEX_UNSUPPORTED",
      );
    }
  }
  return patterns;
}

/** Registry host names compare case-insensitively; a `regexp:` pattern is left as written. */
function registryMatches(pattern: string, registry: string): boolean {
  const p = pattern.trim().startsWith("regexp:") ? pattern : pattern.toLowerCase();
  return wildcardMatch(p, registry.toLowerCase());
}

const REGISTRIES_PARAM = {
  name: "registries",
  description:
    "Comma-separated registry host names (with port when not the default); `*` matches any run of characters, such as *.corp or localhost:*.",
  kind: "string-list",
  required: true,
  example: "ghcr.io,*.corp",
} as const;

/**
 * `image_source` gate (CIPolicE, not in anchore-engine): where an image comes from and how it is referenced —
 * allowed and denied registries, the `latest` tag, digest pinning, repository naming.
 */
export const imageSourceGate: GateSpec = {
  name: "image_source",
  // Reads only the reference as asked for (a pinned digest included): no lookup.
  needs: ["reference"],
  description:
    "Checks where an image comes from and how it is referenced: registry, tag, digest, repository name.",
  triggers: [
    {
      name: "registry_not_allowed",
      description: "Fires when the image's registry matches none of the allowed registries.",
      params: [{ ...REGISTRIES_PARAM, description: `Allowed registries. ${REGISTRIES_PARAM.description}` }],
      compile(params) {
        const registries = registryPatterns(params.list("registries") ?? []);
        return (ctx) => {
          const registry = ctx.facts.ref.registry;
          if (isDigestOnly(ctx.facts.ref)) {
            // Only the digest is known: no registry can be shown to be an allowed one
            ctx.fire({
              message: `Image ${printRef(ctx.facts.ref)} names no registry (only its digest is known), so it is not in the allowed registries: ${registries.join(", ")}`,
            });
          } else if (!registries.some((pattern) => registryMatches(pattern, registry))) {
            ctx.fire({
              message: `Image registry ${registry} is not in the allowed registries: ${registries.join(", ")}`,
            });
          }
        };
      },
    },
    {
      name: "registry_denied",
      description: "Fires when the image's registry matches one of the denied registries.",
      params: [{ ...REGISTRIES_PARAM, description: `Denied registries. ${REGISTRIES_PARAM.description}` }],
      compile(params) {
        const registries = registryPatterns(params.list("registries") ?? []);
        return (ctx) => {
          const registry = ctx.facts.ref.registry;
          const matching = registries.filter((pattern) => registryMatches(pattern, registry));
          if (matching.length > 0) {
            ctx.fire({
              message: isDigestOnly(ctx.facts.ref)
                ? `Image ${printRef(ctx.facts.ref)} names no registry (only its digest is known), and the denied registries ${matching.join(", ")} match any registry`
                : `Image registry ${registry} is in the denied registries: ${matching.join(", ")}`,
            });
          }
        };
      },
    },
    {
      name: "tag_latest",
      description:
        "Fires when the image is referenced by the tag latest (or by no tag at all) without a digest. An untagged image read from an OCI layout or docker-archive file is named after the file, not referenced by latest, and does not fire.",
      params: [],
      compile: () => (ctx) => {
        const ref = ctx.facts.ref;
        if (ref.digest) return;
        if (ref.tag === "latest") {
          ctx.fire({
            message: `Image reference ${printRef(ref)} uses the tag latest and is not pinned by a digest`,
          });
        } else if (!ref.tag && !readFromFile(ctx.facts)) {
          // A parsed reference always has a tag or a digest; guard anyway, as a bare name means latest.
          ctx.fire({
            message: `Image reference ${printRef(ref)} has no tag and no digest, which means latest`,
          });
        }
      },
    },
    {
      name: "digest_required",
      description: "Fires when the image is not referenced by a digest (name@sha256:…).",
      params: [],
      compile: () => (ctx) => {
        const ref = ctx.facts.ref;
        if (!ref.digest) {
          ctx.fire({ message: `Image reference ${printRef(ref)} is not pinned by a digest` });
        }
      },
    },
    {
      name: "repository_name",
      description:
        "Checks the repository path (library/nginx, team/app) against a regular expression that must match all of it.",
      params: [
        {
          name: "pattern",
          description: "A regular expression (Python syntax) that must match the whole repository path.",
          kind: "regex",
          required: true,
          example: "(team-a|team-b)/.+",
        },
        {
          name: "check",
          description:
            "match: fire when the repository matches the pattern; no_match: fire when it does not.",
          kind: "enum",
          values: ["match", "no_match"],
          default: "no_match",
          example: "no_match",
        },
      ],
      compile(params) {
        const pattern = params.string("pattern") ?? "";
        const fireOnMatch = params.string("check") === "match";
        const regex = compileParamRegex("pattern", pattern);
        return (ctx) => {
          const repository = ctx.facts.ref.repository;
          if (isDigestOnly(ctx.facts.ref)) {
            if (!fireOnMatch) {
              ctx.fire({
                message: `Image ${printRef(ctx.facts.ref)} names no repository (only its digest is known), so it cannot match the pattern ${pattern}`,
              });
            }
            return;
          }
          const matches = regex.fullMatch(repository);
          if (matches && fireOnMatch) {
            ctx.fire({ message: `Image repository ${repository} matches the pattern ${pattern}` });
          } else if (!matches && !fireOnMatch) {
            ctx.fire({ message: `Image repository ${repository} does not match the pattern ${pattern}` });
          }
        };
      },
    },
  ],
};
