import { z } from "zod";

// Mirrors src/model/decision.ts field for field; decision-schema.test.ts fails when the two drift apart.

const action = z.enum(["stop", "warn", "go"]).describe("stop < warn < go: stop fails, warn and go pass.");

const allowlistMatch = z
  .strictObject({
    allowlistId: z.string(),
    allowlistName: z.string().optional(),
    itemId: z.string(),
    pattern: z.string().describe("The item's trigger id pattern."),
    reason: z.string().optional(),
    owner: z.string().optional(),
    ticket: z.string().optional(),
    expiresOn: z.string().optional(),
  })
  .describe("The allowlist item that suppressed the result.");

const vexAssessment = z
  .strictObject({
    status: z.enum(["not_affected", "affected", "fixed", "under_investigation"]),
    justification: z.string().optional(),
    statement: z.string().optional(),
    document: z.string().optional().describe("Document the statement came from."),
  })
  .describe(
    "The VEX statement about the finding; `not_affected` and `fixed` suppress the hit (effective action go).",
  );

const resultRow = z
  .strictObject({
    policyId: z.string(),
    policyName: z.string().optional(),
    ruleId: z.string().optional(),
    gate: z.string(),
    trigger: z.string(),
    triggerId: z.string(),
    message: z.string(),
    action: action.describe("The action the rule asks for."),
    effectiveAction: action.describe(
      "The action that counts: go when allowlisted or suppressed by VEX, warn when the trigger failed.",
    ),
    status: z.enum(["fired", "error"]),
    errorCode: z.string().optional().describe("Error code when status is error."),
    allowlisted: allowlistMatch.optional(),
    vex: vexAssessment.optional(),
  })
  .describe("One trigger hit (or one trigger that could not be evaluated).");

const problem = z
  .strictObject({
    level: z.enum(["error", "warning", "info"]),
    code: z.string(),
    message: z.string(),
    policyId: z.string().optional(),
    ruleId: z.string().optional(),
    gate: z.string().optional(),
    trigger: z.string().optional(),
    param: z.string().optional(),
    allowlistId: z.string().optional(),
    itemId: z.string().optional(),
    mappingId: z.string().optional(),
    path: z.string().optional().describe("Path inside the document (`policies[0].rules[3].params[1]`)."),
  })
  .describe(
    "Something the evaluation noticed that is not a trigger hit: expired allowlist items, retired gates, errors.",
  );

const imageRuleMatch = z
  .strictObject({
    id: z.string().optional(),
    name: z.string().optional(),
    registry: z.string(),
    repository: z.string(),
    image: z.strictObject({ type: z.string(), value: z.string() }),
  })
  .describe("The image rule (allowed or denied images) that matched.");

/** zod schema of DecisionV1, the versioned decision; the published JSON Schema is generated from it. */
export const decisionV1Schema = z
  .strictObject({
    schemaVersion: z.literal("1"),
    decisionId: z.string(),
    image: z.strictObject({
      ref: z
        .string()
        .describe(
          "Canonical reference (`docker.io/library/nginx:latest`); `@sha256:…` for an image known only by its digest.",
        ),
      registry: z.string().describe("Registry host; empty for an image known only by its digest."),
      repository: z.string().describe("Repository path; empty for an image known only by its digest."),
      tag: z.string().optional(),
      digest: z.string().optional(),
      imageId: z.string().optional(),
    }),
    bundle: z.strictObject({ id: z.string(), name: z.string().optional(), digest: z.string() }),
    mapping: z
      .strictObject({ id: z.string().optional(), name: z.string().optional(), index: z.number() })
      .nullable()
      .describe("The mapping that selected the policies; null when none was used."),
    policies: z.array(z.strictObject({ id: z.string(), name: z.string().optional() })),
    finalAction: action.describe("The decision's action, after the allowed and denied image lists."),
    policyAction: action.describe(
      "The policy result before the allowed/denied image lists (anchore's table final_action).",
    ),
    status: z.enum(["pass", "fail"]),
    reason: z
      .enum(["policy_evaluation", "denylisted", "allowlisted", "no_mapping", "bundle_invalid"])
      .describe("Why the final action is what it is."),
    allowedImage: imageRuleMatch.optional(),
    deniedImage: imageRuleMatch.optional(),
    results: z.array(resultRow),
    problems: z.array(problem),
    evaluatedAt: z.string().describe("When the decision was made (RFC 3339)."),
  })
  .describe(
    "A CIPolicE decision (DecisionV1): at once the API answer, the decision-log event and the report input.",
  );

/** The decision as the schema reads it; decision-schema.test.ts checks it is exactly DecisionV1. */
export type DecisionV1FromSchema = z.infer<typeof decisionV1Schema>;
