import type { ImageFacts } from "../../model/index.js";
import { compileParamRegex } from "../eval-regex.js";
import { type GateSpec, ParamValueError } from "../gate-types.js";
import { pythonMatch } from "../python-regex.js";

type AttributeValue = string | number | undefined;

interface AttributeSpec {
  /** How the rule's value is read: a byte size, a whole number, or text. */
  valueKind: "bytes" | "integer" | "string";
  /** Where the value comes from: the registry's manifest and config, or scanner reports. */
  from: "config" | "reports";
  read(facts: ImageFacts): AttributeValue;
}

/** Image attributes the `attribute` trigger can check, read from the facts as anchore-engine reads them. */
const ATTRIBUTES: Record<string, AttributeSpec> = {
  size: { valueKind: "bytes", from: "config", read: (f) => f.size },
  architecture: { valueKind: "string", from: "config", read: (f) => f.platform?.architecture },
  os_type: { valueKind: "string", from: "config", read: (f) => f.platform?.os },
  distro: { valueKind: "string", from: "reports", read: (f) => f.distro?.name },
  distro_version: { valueKind: "string", from: "reports", read: (f) => f.distro?.version },
  // anchore stores os-release ID_LIKE comma-joined, and the distro id itself when there is none.
  like_distro: {
    valueKind: "string",
    from: "reports",
    read: (f) => (f.distro ? (f.distro.like?.length ? f.distro.like.join(",") : f.distro.name) : undefined),
  },
  layer_count: { valueKind: "integer", from: "config", read: (f) => f.layers?.length ?? 0 },
};

const CHECKS: readonly string[] = [
  "=",
  "!=",
  ">",
  "<",
  ">=",
  "<=",
  "exists",
  "not_exists",
  "like",
  "not_like",
  "in",
  "not_in",
];
const CHECKS_WITHOUT_VALUE = new Set(["exists", "not_exists"]);

const SIZE_UNITS: Record<string, number> = { kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3, tb: 1024 ** 4 };
const BYTE_SIZE = /^([0-9]+)([kmgt]b)?$/i;

/**
 * A byte size as anchore-engine writes it in policies: digits with an optional binary unit kb, mb, gb or tb
 * ("1gb" = 1073741824). Returns undefined for anything else.
 */
export function parseByteSize(text: string): number | undefined {
  const m = BYTE_SIZE.exec(text);
  if (!m?.[1]) return undefined;
  const unit = m[2]?.toLowerCase();
  return Number.parseInt(m[1], 10) * (unit ? (SIZE_UNITS[unit] ?? 1) : 1);
}

function checkValue(attribute: string, spec: AttributeSpec, raw: string): void {
  if (spec.valueKind === "bytes" && parseByteSize(raw) === undefined) {
    throw new ParamValueError(
      "value",
      `parameter "value" has value ${JSON.stringify(raw)}: expected a size in bytes for attribute ${attribute}, digits with an optional unit kb, mb, gb or tb (such as 1gb)`,
    );
  }
  if (spec.valueKind === "integer" && !/^\s*\d+\s*$/.test(raw)) {
    throw new ParamValueError(
      "value",
      `parameter "value" has value ${JSON.stringify(raw)}: expected a whole number for attribute ${attribute}`,
    );
  }
}

/** The rule's value in the image value's type, as anchore converts it (a text attribute with no value reads "None"). */
function typedValue(spec: AttributeSpec, image: AttributeValue, raw: string | undefined): AttributeValue {
  if (typeof image === "string") return raw ?? "None";
  if (typeof image === "number" && raw !== undefined && raw !== "") {
    return spec.valueKind === "bytes" ? parseByteSize(raw) : Number.parseInt(raw.trim(), 10);
  }
  return raw;
}

function cannotCompare(attribute: string, check: string, image: AttributeValue): Error {
  const what = image === undefined ? "the image has no value for it" : `its value ${image} is a number`;
  return new Error(`check '${check}' cannot apply to attribute ${attribute}: ${what}`);
}

/** `metadata` gate, after anchore-engine: compares one image attribute (size, platform, distro, layers) with a value. */
export const metadataGate: GateSpec = {
  name: "metadata",
  // Size, platform and layers come with the config, the distro with reports; `attribute` says which.
  needs: ["config", "reports"],
  description: "Checks image metadata: size, architecture, OS, distribution and its version, layer count.",
  triggers: [
    {
      name: "attribute",
      description:
        "Fires when the chosen image attribute passes the check against the value (for example size > 1gb).",
      params: [
        {
          name: "attribute",
          description: "The image attribute to check.",
          kind: "enum",
          values: Object.keys(ATTRIBUTES),
          required: true,
          example: "size",
        },
        {
          name: "check",
          description:
            "How to compare the attribute with the value: = != > < >= <=, exists / not_exists (no value needed), like / not_like (regular expression matched at the start), in / not_in (comma-separated list).",
          kind: "enum",
          values: CHECKS,
          required: true,
          example: ">",
        },
        {
          name: "value",
          description:
            "The value to compare with, typed by the attribute: size takes bytes with an optional unit kb, mb, gb or tb (1024-based), layer_count a whole number, the others text.",
          kind: "string",
          example: "1073741824",
        },
      ],
      // Only the attribute checked is read: size, platform and layers are in the config, the distro in reports.
      needs: (params) => {
        const spec = ATTRIBUTES[params.string("attribute") ?? ""];
        return spec ? [spec.from] : ["config", "reports"];
      },
      compile(params) {
        const attribute = params.string("attribute") ?? "";
        const check = params.string("check") ?? "";
        const raw = params.string("value");
        const spec = ATTRIBUTES[attribute];
        if (!spec) {
          throw new ParamValueError(
            "attribute",
            `parameter "attribute" has unknown value ${JSON.stringify(attribute)}`,
          );
        }
        // anchore accepts a missing value and then never fires; rejecting it surfaces the mistake.
        if (!CHECKS_WITHOUT_VALUE.has(check) && !raw) {
          throw new ParamValueError("value", `parameter "value" is required when check is "${check}"`);
        }
        if (raw) checkValue(attribute, spec, raw);
        const regex =
          (check === "like" || check === "not_like") && raw && spec.valueKind === "string"
            ? compileParamRegex("value", raw)
            : undefined;
        return (ctx) => {
          const image = spec.read(ctx.facts);
          const value = typedValue(spec, image, raw);
          let matched: boolean;
          switch (check) {
            case "=":
              matched = image === value;
              break;
            case "!=":
              matched = image !== value;
              break;
            case ">":
            case "<":
            case ">=":
            case "<=": {
              // Python cannot order None or a number against text; anchore's trigger fails the same way.
              if (image === undefined || value === undefined || typeof image !== typeof value) {
                throw cannotCompare(attribute, check, image);
              }
              matched = compare(check, image, value);
              break;
            }
            case "exists":
              matched = Boolean(image);
              break;
            case "not_exists":
              matched = !image;
              break;
            case "like":
            case "not_like":
              if (typeof image !== "string" || !regex) throw cannotCompare(attribute, check, image);
              matched = pythonMatch(regex, image) === (check === "like");
              break;
            case "in":
            case "not_in": {
              if (typeof image === "number" || typeof value !== "string") {
                throw cannotCompare(attribute, check, image);
              }
              const items = value.split(",").map((item) => item.trim());
              matched = (image !== undefined && items.includes(image)) === (check === "in");
              break;
            }
            default:
              matched = false;
          }
          if (matched) {
            const shown = image === undefined ? "None" : String(image);
            ctx.fire({
              message: `Attribute check for attribute: '${attribute}' check: '${check}' check_value: '${value === undefined ? "" : String(value)}' matched image value: '${shown}'`,
            });
          }
        };
      },
    },
  ],
};

function compare(check: string, a: string | number, b: string | number): boolean {
  switch (check) {
    case ">":
      return a > b;
    case "<":
      return a < b;
    case ">=":
      return a >= b;
    default:
      return a <= b;
  }
}
