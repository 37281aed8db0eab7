import { z } from "zod";

// Anchore's documents carry bookkeeping fields we accept and ignore.
const bookkeeping = {
  comment: z.string().optional().describe("Free text for people; not evaluated."),
  description: z.string().optional().describe("Free text for people; not evaluated."),
  created_at: z
    .union([z.number(), z.string()])
    .optional()
    .describe("Anchore bookkeeping; accepted and ignored."),
  last_modified: z
    .union([z.number(), z.string()])
    .optional()
    .describe("Anchore bookkeeping; accepted and ignored."),
  last_updated: z
    .union([z.number(), z.string()])
    .optional()
    .describe("Anchore bookkeeping; accepted and ignored."),
};

const id = z
  .union([z.string().min(1, "must not be empty"), z.number().transform(String)])
  .describe("Identifier, unique in its list (a number is read as a string).");

// Every document in a bundle carries the anchore format version; the compiler accepts only "1_0".
const formatVersion = z
  .string()
  .describe('Format version: "1_0".')
  .meta({ examples: ["1_0"] });

// YAML authors write numbers and booleans bare; anchore's values are strings, so those are folded to strings.
const paramValue = z.union([z.string(), z.number().transform(String), z.boolean().transform(String)]);

// Kubernetes label and annotation selectors (CIPolicE extension): key -> value pattern, as matchLabels.
const selectorMap = (what: string) =>
  z
    .record(z.string().min(1, "must not be empty"), paramValue)
    .describe(
      `${what} key -> value pattern (\`*\` wildcards, \`regexp:\` prefix; values compared with case): every key must be present with a matching value (CIPolicE extension).`,
    );

const ruleParam = z
  .strictObject({
    name: z.string().min(1, "must not be empty").describe("Parameter name, as the trigger declares it."),
    value: paramValue.describe("Parameter value; numbers and booleans are read as strings."),
  })
  .describe("One trigger parameter (`cipolice policy gates` lists each trigger's parameters).");

const rule = z
  .strictObject({
    id: id.optional().describe("Rule id; anchore puts it into some trigger ids."),
    gate: z
      .string()
      .min(1, "must not be empty")
      .describe("Gate name (case-insensitive): `cipolice policy gates` lists them."),
    trigger: z
      .string()
      .min(1, "must not be empty")
      .describe("Trigger name within the gate (case-insensitive)."),
    action: z
      .string()
      .describe("What a hit asks for: STOP, WARN or GO (case-insensitive).")
      .meta({ examples: ["STOP", "WARN", "GO"] }),
    params: z.array(ruleParam).default([]).describe("The trigger's parameters; each name at most once."),
    recommendation: z.string().optional().describe("Advice shown with each hit of this rule."),
    ...bookkeeping,
  })
  .describe("One rule: when the gate's trigger fires, ask for the action.");

const policy = z
  .strictObject({
    id,
    name: z.string().optional().describe("Name shown in reports."),
    version: formatVersion,
    rules: z.array(rule).describe("Rules, all evaluated; the most severe action of their hits wins."),
    ...bookkeeping,
  })
  .describe("A policy: a named list of rules that mappings select by id.");

const allowlistItem = z
  .strictObject({
    id,
    gate: z
      .string()
      .min(1, "must not be empty")
      .describe("Gate of the hits this item suppresses (case-insensitive)."),
    trigger_id: z
      .string()
      .min(1, "must not be empty")
      .describe("Trigger id of the hits it suppresses (`CVE-2023-1234+openssl`); `*` is a wildcard."),
    expires_on: z.string().optional().describe("RFC 3339 date-time after which the item no longer applies."),
    reason: z.string().optional().describe("Why the hit is accepted (CIPolicE extension)."),
    owner: z.string().optional().describe("Who accepted it (CIPolicE extension)."),
    ticket: z.string().optional().describe("Tracking ticket (CIPolicE extension)."),
    scope: z
      .strictObject({
        images: z.array(z.string()).optional().describe("Image reference patterns the item is limited to."),
        namespaces: z
          .array(z.string())
          .optional()
          .describe("Kubernetes namespace patterns the item is limited to."),
        namespace_labels: selectorMap("Namespace labels the item is limited to:").optional(),
        annotations: selectorMap("Pod annotations the item is limited to:").optional(),
      })
      .optional()
      .describe(
        "Limits the item to some images, namespaces, namespace labels or pod annotations (CIPolicE extension).",
      ),
    ...bookkeeping,
  })
  .describe("An accepted finding: hits of this gate with a matching trigger id count as GO.");

const allowlist = z
  .strictObject({
    id,
    name: z.string().optional().describe("Name shown in reports."),
    version: formatVersion,
    items: z.array(allowlistItem).describe("The accepted findings."),
    ...bookkeeping,
  })
  .describe("An allowlist (anchore: whitelist) that mappings select by id.");

const imageSelector = z
  .strictObject({
    type: z.enum(["tag", "digest", "id"]).describe("What `value` is matched against."),
    value: z.string().min(1).describe("Tag pattern (`*` wildcards, `regexp:` prefix), digest or image id."),
  })
  .describe("Which images of the repository match.");

const registryPattern = z
  .string()
  .min(1, "must not be empty")
  .describe("Registry pattern (`docker.io`, `*`; `regexp:` prefix for a regular expression).");
const repositoryPattern = z
  .string()
  .min(1, "must not be empty")
  .describe("Repository pattern (`library/nginx`, `myorg/*`; `regexp:` prefix for a regular expression).");

const imageRule = z
  .strictObject({
    id: id.optional(),
    name: z.string().optional().describe("Name shown in reports."),
    registry: registryPattern,
    repository: repositoryPattern,
    image: imageSelector,
    ...bookkeeping,
  })
  .describe("Images that an allowed or denied image list names.");

const mapping = z
  .strictObject({
    id: id.optional(),
    name: z.string().optional().describe("Name shown in reports."),
    registry: registryPattern,
    repository: repositoryPattern,
    image: imageSelector,
    policy_id: id
      .optional()
      .describe("The policy evaluated for matching images (older form of `policy_ids`)."),
    policy_ids: z.array(id).optional().describe("The policies evaluated for matching images."),
    whitelist_ids: z.array(id).optional().describe("The allowlists applied (anchore's name)."),
    allowlist_ids: z.array(id).optional().describe("The allowlists applied (alias of `whitelist_ids`)."),
    namespaces: z
      .array(z.string())
      .optional()
      .describe("Kubernetes namespace patterns the mapping is limited to (CIPolicE extension)."),
    environments: z
      .array(z.string())
      .optional()
      .describe("Environment patterns the mapping is limited to (CIPolicE extension)."),
    namespace_labels: selectorMap(
      "Kubernetes namespace labels the mapping is limited to (a run with no labels known never matches):",
    ).optional(),
    annotations: selectorMap(
      "Pod annotations the mapping is limited to (a run with no annotations known never matches):",
    ).optional(),
    ...bookkeeping,
  })
  .describe("Selects the policies and allowlists for images; the first mapping that matches is used.");

/**
 * The policy bundle document: anchore-engine's v1_0 bundle, plus CIPolicE's aliases (`allowlists`,
 * `allowed_images`, `denied_images`, `allowlist_ids`) and extensions. Unknown fields are errors.
 */
export const bundleDocumentSchema = z
  .strictObject({
    $schema: z
      .string()
      .describe("The JSON Schema this document follows (for editors); ignored by the engine.")
      .optional(),
    id,
    name: z.string().optional().describe("Name shown in reports."),
    version: formatVersion,
    policies: z.array(policy).default([]).describe("The policies mappings can select."),
    whitelists: z.array(allowlist).optional().describe("Allowlists (anchore's name; alias `allowlists`)."),
    allowlists: z.array(allowlist).optional().describe("Allowlists (alias of `whitelists`)."),
    mappings: z
      .array(mapping)
      .default([])
      .describe("Image selectors, tried in order; the first match decides."),
    whitelisted_images: z
      .array(imageRule)
      .optional()
      .describe("Images that always pass (anchore's name; alias `allowed_images`)."),
    allowed_images: z
      .array(imageRule)
      .optional()
      .describe("Images that always pass (alias of `whitelisted_images`)."),
    blacklisted_images: z
      .array(imageRule)
      .optional()
      .describe("Images that always fail (anchore's name; alias `denied_images`)."),
    denied_images: z
      .array(imageRule)
      .optional()
      .describe("Images that always fail (alias of `blacklisted_images`)."),
    ...bookkeeping,
  })
  .describe(
    "A CIPolicE policy bundle: an anchore-engine v1_0 bundle plus CIPolicE's aliases and extensions.",
  );

/** A bundle document as written, after structural validation. */
export type BundleDocument = z.infer<typeof bundleDocumentSchema>;
