import { z } from "zod";

// Anchore's documents carry bookkeeping fields we accept and ignore.
const bookkeeping = {
  comment: z.string().optional(),
  description: z.string().optional(),
  created_at: z.union([z.number(), z.string()]).optional(),
  last_modified: z.union([z.number(), z.string()]).optional(),
  last_updated: z.union([z.number(), z.string()]).optional(),
};

const id = z.union([z.string().min(1, "must not be empty"), z.number().transform(String)]);

// YAML authors write numbers and booleans bare; anchore's values are strings, so those are folded to strings.
const paramValue = z.union([z.string(), z.number().transform(String), z.boolean().transform(String)]);

const ruleParam = z.strictObject({ name: z.string().min(1, "must not be empty"), value: paramValue });

const rule = z.strictObject({
  id: id.optional(),
  gate: z.string().min(1, "must not be empty"),
  trigger: z.string().min(1, "must not be empty"),
  action: z.string(),
  params: z.array(ruleParam).default([]),
  recommendation: z.string().optional(),
  ...bookkeeping,
});

const policy = z.strictObject({
  id,
  name: z.string().optional(),
  version: z.string(),
  rules: z.array(rule),
  ...bookkeeping,
});

const allowlistItem = z.strictObject({
  id,
  gate: z.string().min(1, "must not be empty"),
  trigger_id: z.string().min(1, "must not be empty"),
  expires_on: z.string().optional(),
  reason: z.string().optional(),
  owner: z.string().optional(),
  ticket: z.string().optional(),
  scope: z
    .strictObject({ images: z.array(z.string()).optional(), namespaces: z.array(z.string()).optional() })
    .optional(),
  ...bookkeeping,
});

const allowlist = z.strictObject({
  id,
  name: z.string().optional(),
  version: z.string(),
  items: z.array(allowlistItem),
  ...bookkeeping,
});

const imageSelector = z.strictObject({ type: z.enum(["tag", "digest", "id"]), value: z.string().min(1) });

const imageRule = z.strictObject({
  id: id.optional(),
  name: z.string().optional(),
  registry: z.string().min(1, "must not be empty"),
  repository: z.string().min(1, "must not be empty"),
  image: imageSelector,
  ...bookkeeping,
});

const mapping = z.strictObject({
  id: id.optional(),
  name: z.string().optional(),
  registry: z.string().min(1, "must not be empty"),
  repository: z.string().min(1, "must not be empty"),
  image: imageSelector,
  policy_id: id.optional(),
  policy_ids: z.array(id).optional(),
  whitelist_ids: z.array(id).optional(),
  allowlist_ids: z.array(id).optional(),
  namespaces: z.array(z.string()).optional(),
  environments: z.array(z.string()).optional(),
  ...bookkeeping,
});

/**
 * The policy bundle document: anchore-engine's v1_0 bundle, plus CIPolicE's aliases (`allowlists`,
 * `allowed_images`, `denied_images`, `allowlist_ids`) and extensions. Unknown fields are errors.
 */
export const bundleDocumentSchema = z.strictObject({
  id,
  name: z.string().optional(),
  version: z.string(),
  policies: z.array(policy).default([]),
  whitelists: z.array(allowlist).optional(),
  allowlists: z.array(allowlist).optional(),
  mappings: z.array(mapping).default([]),
  whitelisted_images: z.array(imageRule).optional(),
  allowed_images: z.array(imageRule).optional(),
  blacklisted_images: z.array(imageRule).optional(),
  denied_images: z.array(imageRule).optional(),
  ...bookkeeping,
});

/** A bundle document as written, after structural validation. */
export type BundleDocument = z.infer<typeof bundleDocumentSchema>;
