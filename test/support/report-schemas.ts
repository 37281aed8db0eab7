import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv, type ValidateFunction } from "ajv";
import { REPO_ROOT } from "./corpus.js";

/** The SARIF 2.1.0 schema shipped with @microsoft/jest-sarif, compiled with ajv (draft-04 schema, draft-07 validator). */
export function sarifValidator(): ValidateFunction {
  const path = join(REPO_ROOT, "node_modules/@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json");
  const schema = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
  // The file is draft-04: ajv 8 knows neither its meta-schema nor its `id` keyword, the rest is compatible.
  delete schema.$schema;
  schema.$id = schema.id;
  delete schema.id;
  // One of its patterns (language tags) is not valid with the u flag.
  const ajv = new Ajv({ strict: false, allErrors: true, unicodeRegExp: false });
  // ajv-formats is not installed: simple checks for the three formats the schema uses.
  ajv.addFormat("uri", (s: string) => /^[A-Za-z][A-Za-z0-9+.-]*:[^\s]*$/.test(s));
  ajv.addFormat("uri-reference", (s: string) => !/\s/.test(s) && !hasRawControl(s));
  ajv.addFormat(
    "date-time",
    (s: string) =>
      /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i.test(s) &&
      !Number.isNaN(Date.parse(s)),
  );
  return ajv.compile(schema);
}

/** True when `text` holds a raw control character other than a newline (what a terminal or parser would act on). */
export function hasRawControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c < 0x20 && c !== 0x0a) || c === 0x7f) return true;
  }
  return false;
}

/**
 * The facts of GitLab's security report schema 15.x that a container-scanning report must meet, written
 * down from GitLab's "Security scanner integration" documentation and the 15.x schema's common definitions
 * (required fields, patterns, enums, length limits). Not GitLab's schema file itself: that is not vendored here.
 */
export const GITLAB_FACTS = {
  type: "object",
  required: ["version", "scan", "vulnerabilities"],
  properties: {
    version: { type: "string", pattern: "^[0-9]+\\.[0-9]+\\.[0-9]+$" },
    schema: { type: "string", pattern: "^https?://.+" },
    scan: {
      type: "object",
      required: ["analyzer", "scanner", "start_time", "end_time", "status", "type"],
      properties: {
        analyzer: { $ref: "#/definitions/tool" },
        scanner: { $ref: "#/definitions/tool" },
        start_time: { type: "string", pattern: "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}$" },
        end_time: { type: "string", pattern: "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}$" },
        status: { enum: ["success", "failure"] },
        type: { const: "container_scanning" },
        messages: {
          type: "array",
          items: {
            type: "object",
            required: ["level", "value"],
            properties: {
              level: { enum: ["info", "warn", "fatal"] },
              value: { type: "string", minLength: 1 },
            },
          },
        },
      },
    },
    vulnerabilities: {
      type: "array",
      items: {
        type: "object",
        required: ["id", "identifiers", "location"],
        properties: {
          id: { type: "string", minLength: 1 },
          name: { type: "string", maxLength: 255 },
          description: { type: "string", maxLength: 1048576 },
          severity: { enum: ["Info", "Unknown", "Low", "Medium", "High", "Critical"] },
          solution: { type: "string", maxLength: 7000 },
          // The first identifier is the primary one; GitLab keeps at most 20.
          identifiers: {
            type: "array",
            minItems: 1,
            maxItems: 20,
            items: {
              type: "object",
              required: ["type", "name", "value"],
              properties: {
                type: { type: "string", minLength: 1 },
                name: { type: "string", minLength: 1 },
                value: { type: "string", minLength: 1 },
                url: { type: "string", pattern: "^(https?|ftp)://.+" },
              },
            },
          },
          links: {
            type: "array",
            items: {
              type: "object",
              required: ["url"],
              properties: {
                name: { type: "string" },
                url: { type: "string", pattern: "^(https?|ftp)://.+" },
              },
            },
          },
          // Container scanning: the location fingerprint is operating system + package name, and the image is required.
          location: {
            type: "object",
            required: ["dependency", "operating_system", "image"],
            properties: {
              dependency: {
                type: "object",
                required: ["package", "version"],
                properties: {
                  package: {
                    type: "object",
                    required: ["name"],
                    properties: { name: { type: "string", minLength: 1 } },
                  },
                  version: { type: "string" },
                },
              },
              operating_system: { type: "string", minLength: 1 },
              image: { type: "string", minLength: 1 },
            },
          },
        },
      },
    },
    remediations: {
      type: "array",
      items: {
        type: "object",
        required: ["fixes", "summary", "diff"],
        properties: { summary: { type: "string", minLength: 1 }, diff: { type: "string", minLength: 1 } },
      },
    },
  },
  definitions: {
    tool: {
      type: "object",
      required: ["id", "name", "version", "vendor"],
      properties: {
        id: { type: "string", minLength: 1 },
        name: { type: "string", minLength: 1 },
        version: { type: "string", minLength: 1 },
        url: { type: "string", pattern: "^https?://.+" },
        vendor: {
          type: "object",
          required: ["name"],
          properties: { name: { type: "string", minLength: 1 } },
        },
      },
    },
  },
};

/** A validator of GITLAB_FACTS: a GitLab container-scanning report must pass it. */
export function gitlabValidator(): ValidateFunction {
  return new Ajv({ strict: false, allErrors: true }).compile(GITLAB_FACTS);
}
