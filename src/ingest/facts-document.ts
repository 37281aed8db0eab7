import { z } from "zod";
import {
  CipError,
  describeSchemaIssue,
  formatIssuePath,
  type ImageFacts,
  type Problem,
  SEVERITIES,
} from "../model/index.js";

const str = z.string();
const strList = z.array(z.string());
const time = z
  .string()
  .refine((s) => !Number.isNaN(Date.parse(s)), "expected an RFC 3339 date-time")
  .describe("RFC 3339 date-time (`2026-01-31T12:00:00Z`).");

const imageRef = z
  .strictObject({
    registry: str.describe(
      "Registry host (`docker.io`, `ghcr.io`); empty, with `repository`, for an image known only by its digest.",
    ),
    repository: str.describe(
      "Repository path (`library/nginx`); empty, with `registry`, for an image known only by its digest.",
    ),
    tag: str.optional(),
    digest: str
      .optional()
      .describe("Manifest digest (`sha256:…`); required when registry and repository are empty."),
  })
  .superRefine((ref, ctx) => {
    // Empty names are how an image known only by its digest (a Clair v4 report) is written: both or neither.
    const digestOnly = ref.registry === "" && ref.repository === "";
    if (digestOnly) {
      if (!ref.digest) {
        ctx.addIssue({
          code: "custom",
          path: ["digest"],
          message: "required when registry and repository are empty (an image known only by its digest)",
        });
      }
      if (ref.tag !== undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["tag"],
          message: "an image known only by its digest has no tag: give its registry and repository too",
        });
      }
      return;
    }
    for (const key of ["registry", "repository"] as const) {
      if (ref[key] === "") {
        ctx.addIssue({
          code: "custom",
          path: [key],
          message:
            "must not be empty when the other name part is given (leave both empty only for an image known only by its digest)",
        });
      }
    }
  })
  .describe(
    "The image reference, in parts; registry and repository both empty for an image known only by its digest.",
  );

const packageRef = z.strictObject({
  name: str,
  version: str,
  type: str,
  path: str.optional(),
  purl: str.optional(),
  sourceName: str
    .optional()
    .describe("The source package it was built from (dpkg Source, rpm SOURCERPM, apk origin)."),
});

const pkg = packageRef
  .extend({
    licenses: strList.optional().describe("License names or SPDX expressions."),
    sourceVersion: str.optional(),
    arch: str.optional().describe("Architecture as the package database writes it."),
    layer: str.optional().describe("Digest of the layer that added it (layer analysis)."),
  })
  .describe(
    "An installed package; `type` is its ecosystem (`dpkg`, `rpm`, `apk`, `npm`, `python`, `java`, …).",
  );

const cvss = z.strictObject({
  version: str,
  source: z.enum(["nvd", "vendor"]),
  sourceName: str.optional(),
  baseScore: z.number().min(0).max(10),
  exploitabilityScore: z.number().min(0).optional(),
  impactScore: z.number().min(0).optional(),
  vector: str.optional(),
});

const vulnerability = z.strictObject({
  id: str.min(1).describe("Identifier (`CVE-2021-44228`, `GHSA-…`)."),
  aliases: strList.optional().describe("One-to-one aliases of the id (a GHSA and its CVE)."),
  advisories: strList
    .optional()
    .describe("Advisories covering the finding (DSA, RHSA, USN, …) and other related ids; never merged on."),
  package: packageRef,
  severity: z.enum(SEVERITIES as [string, ...string[]]),
  cvss: z.array(cvss).optional(),
  fix: z.strictObject({
    state: z.enum(["fixed", "not-fixed", "wont-fix", "end-of-life", "unknown"]),
    versions: strList,
  }),
  epss: z
    .strictObject({ score: z.number(), percentile: z.number().optional(), date: str.optional() })
    .optional(),
  knownExploited: z
    .boolean()
    .optional()
    .describe("Listed in CISA's Known Exploited Vulnerabilities catalog."),
  detectedAt: time.optional(),
  fixAvailableAt: time.optional(),
  publishedAt: time.optional(),
  url: str.optional(),
  description: str.optional(),
  sources: strList.optional(),
  vex: z
    .strictObject({
      status: z.enum(["not_affected", "affected", "fixed", "under_investigation"]),
      justification: str.optional(),
      statement: str.optional(),
      document: str.optional().describe("Document the statement came from."),
    })
    .optional()
    .describe("The VEX statement about this finding; `not_affected` and `fixed` suppress its hits."),
});

const feed = z.strictObject({ syncedAt: time.optional(), versions: z.record(str, strList) });

/** Schema of the normalized facts document (`cipolice facts` prints it; `cipolice check --facts` reads it). */
export const factsDocumentSchema = z
  .strictObject({
    $schema: str.optional().describe("The JSON Schema of this document, for editors; ignored."),
    schemaVersion: z.literal("1").optional().describe('Facts document format version: "1".'),
    ref: imageRef,
    digest: str.optional().describe("Manifest digest (`sha256:…`)."),
    imageId: str.optional().describe("Image id: the config digest (`sha256:…`)."),
    platform: z
      .strictObject({ os: str, architecture: str, variant: str.optional() })
      .optional()
      .describe("Image platform as OCI names it (`linux`, `amd64`)."),
    config: z
      .strictObject({
        user: str.optional(),
        env: strList.optional(),
        exposedPorts: strList.optional(),
        labels: z.record(str, str).optional(),
        entrypoint: strList.optional(),
        cmd: strList.optional(),
        workdir: str.optional(),
        healthcheck: z
          .strictObject({
            test: strList,
            interval: z.number().optional(),
            timeout: z.number().optional(),
            retries: z.number().optional(),
          })
          .optional(),
        stopSignal: str.optional(),
        volumes: strList.optional(),
        created: time.optional(),
      })
      .optional()
      .describe("Runtime configuration (the `config` object of the OCI image config)."),
    dockerfile: z
      .strictObject({
        mode: z.enum(["actual", "guessed", "unknown"]),
        instructions: z.array(
          z.strictObject({ directive: str.min(1), value: str, line: z.number().int().optional() }),
        ),
      })
      .optional()
      .describe("Dockerfile instructions: given (`actual`) or rebuilt from the history (`guessed`)."),
    layers: z
      .array(z.strictObject({ digest: str, size: z.number().optional(), mediaType: str.optional() }))
      .optional(),
    size: z.number().nonnegative().optional().describe("Total size in bytes."),
    distro: z
      .strictObject({ name: str, version: str.optional(), like: strList.optional() })
      .optional()
      .describe("Operating system distribution, as os-release names it (`ID`, `VERSION_ID`, `ID_LIKE`)."),
    packages: z.array(pkg).optional().describe("Installed packages; absent means not known."),
    vulnerabilities: z
      .array(vulnerability)
      .optional()
      .describe(
        "Vulnerabilities found; absent means no vulnerability data, empty means scanned and none found.",
      ),
    files: z
      .array(
        z.strictObject({
          path: str,
          mode: z.number().int(),
          size: z.number().optional(),
          type: z.enum(["file", "dir", "symlink", "hardlink", "other"]).optional(),
          linkTarget: str.optional(),
          checksums: z.record(str, str).optional(),
        }),
      )
      .optional(),
    contentMatches: z
      .record(str, strList)
      .optional()
      .describe("File paths by the name of the content regular expression that matched them."),
    secrets: z.array(z.strictObject({ regexName: str, path: str, line: z.number().optional() })).optional(),
    malware: z
      .array(
        z.strictObject({ scanner: str, findings: z.array(z.strictObject({ path: str, signature: str })) }),
      )
      .optional(),
    passwd: str.optional().describe("Text of /etc/passwd, when a layer analysis read it."),
    retrievedFiles: z.record(str, str).optional().describe("Text of retrieved files, by path."),
    packageVerification: z
      .array(z.strictObject({ package: str, path: str, problem: z.enum(["changed", "missing"]) }))
      .optional(),
    feeds: z.strictObject({ npm: feed.optional(), gem: feed.optional() }).optional(),
    previousPackages: z
      .array(pkg)
      .optional()
      .describe("Packages of the previous image pushed under the same tag (for tag drift)."),
    context: z
      .strictObject({ namespace: str.optional(), environment: str.optional() })
      .optional()
      .describe("Kubernetes or deployment context the image is checked for."),
    provenance: z
      .array(
        z.strictObject({
          source: str,
          version: str.optional(),
          producedAt: time.optional(),
          dbUpdatedAt: time.optional(),
          location: str.optional(),
        }),
      )
      .optional()
      .describe("Where each part of the facts came from (scanner, version, database age)."),
  })
  .describe("A CIPolicE image facts document: what is known about one image (`cipolice facts` prints one).");

/**
 * Validates a parsed facts document and returns it as ImageFacts. Throws CIP_FACTS_INVALID listing every
 * problem with its path (`vulnerabilities[12].severity: expected one of …`).
 */
export function factsFromDocument(document: unknown, source: string): ImageFacts {
  const parsed = factsDocumentSchema.safeParse(document, { reportInput: true });
  if (parsed.success) {
    const { $schema: _schema, schemaVersion: _version, ...facts } = parsed.data;
    return facts as ImageFacts;
  }
  const problems: Problem[] = parsed.error.issues.slice(0, 50).map((issue) => {
    const path = formatIssuePath(issue.path);
    return {
      level: "error",
      code: "CIP_FACTS_INVALID",
      message: `${path}: ${describeSchemaIssue(issue)}`,
      path,
    };
  });
  const more = parsed.error.issues.length - problems.length;
  throw new CipError(
    "CIP_FACTS_INVALID",
    `Cannot use facts from ${source}: ${parsed.error.issues.length} problem${parsed.error.issues.length > 1 ? "s" : ""}${more > 0 ? ` (first ${problems.length} shown)` : ""}`,
    { problems, hint: "Fix the fields named above; `cipolice facts` prints a valid document to start from." },
  );
}
