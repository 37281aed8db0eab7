/**
 * Writes the published JSON Schemas under schemas/ from the project's own zod schemas:
 *   node --import tsx scripts/generate-schemas.ts
 * test/schemas/schemas.test.ts regenerates them in memory and fails when the committed files are stale.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { factsDocumentSchema } from "../src/ingest/facts-document.js";
import { bundleDocumentSchema } from "../src/policy/bundle-document.js";
import { GATES, RETIRED_GATES } from "../src/policy/catalog.js";
import { decisionV1Schema } from "../src/report/decision-schema.js";
import { serveConfigSchema } from "../src/server/serve-config.js";

/** A JSON Schema document, as plain data. */
export type JsonSchema = { [key: string]: unknown };

/** Where the schemas are committed. */
export const SCHEMA_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "../schemas");

/** The command that refreshes the committed schemas. */
export const REGENERATE = "node --import tsx scripts/generate-schemas.ts";

// Draft-07: VS Code's JSON service supports it fully and the YAML language server supports nothing newer.
const TARGET = "draft-07";

/** Every published schema by file name: the policy bundle, the facts document, DecisionV1, the server config. */
export function generateSchemas(): Record<string, JsonSchema> {
  return {
    "policy-bundle.schema.json": policyBundleSchema(),
    "facts.schema.json": factsSchema(),
    "decision-v1.schema.json": decisionSchema(),
    "serve-config.schema.json": serveConfigJsonSchema(),
  };
}

/** The policy bundle document as written (input side: ids may be numbers, parameter values bare scalars). */
export function policyBundleSchema(): JsonSchema {
  const schema = fromZod(bundleDocumentSchema, {
    id: "urn:cipolice:schema:policy-bundle",
    title: "CIPolicE policy bundle",
  });
  const rule = at(schema, "properties", "policies", "items", "properties", "rules", "items");
  addGateHints(at(rule, "properties", "gate"));
  // Annotation-only branches: names are matched case-insensitively, so hints never restrict what validates.
  rule.allOf = GATES.flatMap((gate) => [
    ifThen(
      { properties: { gate: { const: gate.name } }, required: ["gate"] },
      {
        properties: {
          trigger: {
            description: `Trigger of gate ${gate.name}: ${gate.triggers.map((t) => t.name).join(", ")}.`,
            examples: gate.triggers.map((t) => t.name),
          },
        },
      },
    ),
    ...gate.triggers.map((trigger) =>
      ifThen(
        {
          properties: { gate: { const: gate.name }, trigger: { const: trigger.name } },
          required: ["gate", "trigger"],
        },
        {
          properties: {
            trigger: { description: `${gate.name}/${trigger.name}: ${trigger.description}` },
            ...(trigger.params.length > 0
              ? {
                  // The types repeat the base schema's, for validators that want a type beside `items`/`properties`.
                  params: {
                    type: "array",
                    items: {
                      type: "object",
                      properties: {
                        name: {
                          description: trigger.params
                            .map((p) => `${p.name}${p.required ? " (required)" : ""}: ${p.description}`)
                            .join("\n"),
                          examples: trigger.params.map((p) => p.name),
                        },
                      },
                    },
                  },
                }
              : {}),
          },
        },
      ),
    ),
  ]);
  for (const lists of ["whitelists", "allowlists"]) {
    addGateHints(
      at(schema, "properties", lists, "items", "properties", "items", "items", "properties", "gate"),
    );
  }
  return schema;
}

/**
 * The facts document as a file holds it: the zod schema, plus the `image` shorthand the loader accepts in
 * place of `ref` (`"image": "nginx:1.25"`, parsed like the Docker CLI); exactly one of the two is given.
 */
export function factsSchema(): JsonSchema {
  const schema = fromZod(factsDocumentSchema, {
    id: "urn:cipolice:schema:facts",
    title: "CIPolicE image facts",
  });
  const { $schema, schemaVersion, ref, ...rest } = at(schema, "properties");
  const image = {
    type: "string",
    minLength: 1,
    description:
      "The image reference as one string (`nginx:1.25`), parsed like the Docker CLI; instead of `ref`.",
  };
  // Beside `ref`, so a reader finds the two ways to name the image together.
  schema.properties = { $schema, schemaVersion, ref, image, ...rest };
  const required = (schema.required as string[]).filter((name) => name !== "ref");
  if (required.length > 0) schema.required = required;
  else delete schema.required;
  schema.oneOf = [{ required: ["ref"] }, { required: ["image"] }];
  return schema;
}

/** DecisionV1, what `--format json` prints. */
export function decisionSchema(): JsonSchema {
  return fromZod(decisionV1Schema, {
    id: "urn:cipolice:schema:decision-v1",
    title: "CIPolicE decision (v1)",
  });
}

/** The `cipolice serve` configuration file (YAML or JSON). */
export function serveConfigJsonSchema(): JsonSchema {
  return fromZod(serveConfigSchema, {
    id: "urn:cipolice:schema:serve-config",
    title: "CIPolicE server configuration",
  });
}

/** The generated files' text: two-space JSON, then formatted by the project's formatter when written. */
export function schemaText(schema: JsonSchema): string {
  return `${JSON.stringify(schema, null, 2)}\n`;
}

function fromZod(schema: z.ZodType, head: { id: string; title: string }): JsonSchema {
  const { $schema, description, ...body } = z.toJSONSchema(schema, {
    target: TARGET,
    io: "input",
  }) as JsonSchema;
  // Header keys first so a reader sees what the file is before its body.
  return { $schema, $id: head.id, title: head.title, description, ...body };
}

/** An `if`/`then` pair of JSON Schema keywords. */
function ifThen(condition: JsonSchema, annotations: JsonSchema): JsonSchema {
  // biome-ignore lint/suspicious/noThenProperty: `then` is the JSON Schema keyword, not a thenable.
  return { if: condition, then: annotations };
}

function addGateHints(gate: JsonSchema): void {
  const retired = RETIRED_GATES.join(", ");
  gate.description = `${gate.description as string} Gates: ${GATES.map((g) => g.name).join(", ")}. Retired anchore gates (${retired}) are rejected by default.`;
  gate.examples = GATES.map((g) => g.name);
}

function at(schema: JsonSchema, ...path: string[]): JsonSchema {
  let node: unknown = schema;
  for (const key of path) {
    node = (node as JsonSchema | undefined)?.[key];
    // A zod refactor that moves a field must fail here, not silently drop the hints.
    if (node === null || typeof node !== "object")
      throw new Error(`generated schema has no ${path.join(".")}`);
  }
  return node as JsonSchema;
}

function main(): void {
  mkdirSync(SCHEMA_DIR, { recursive: true });
  const files = Object.entries(generateSchemas()).map(([name, schema]) => {
    const path = join(SCHEMA_DIR, name);
    writeFileSync(path, schemaText(schema));
    return path;
  });
  // Biome lints the repository, so the files are committed in its format (the test compares parsed JSON).
  const biome = spawnSync("npx", ["biome", "format", "--write", ...files], { stdio: "inherit" });
  if (biome.status !== 0) process.exit(biome.status ?? 1);
  for (const path of files) console.log(`wrote ${path}`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
