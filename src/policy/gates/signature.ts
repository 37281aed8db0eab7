import type { SignatureEntryFact, SigningFacts } from "../../model/index.js";
import type { GateSpec, TriggerContext } from "../gate-types.js";
import {
  acceptedFingerprints,
  compileKeySelection,
  describeSelection,
  KEY_PARAMS,
  type KeySelection,
} from "../signing-keys.js";

/** Says there is no signing data (nobody looked) and returns undefined, or returns the data. */
export function signingFactsOrNoData(ctx: TriggerContext): SigningFacts | undefined {
  const signing = ctx.facts.signing;
  if (signing === undefined) {
    ctx.noData("the image's signatures were not looked up (no registry read of its .sig and .att tags)");
  }
  return signing;
}

/** `k=v` pairs of the `annotations` parameter. */
function parseAnnotations(list: readonly string[]): [string, string][] {
  return list.map((pair) => {
    const eq = pair.indexOf("=");
    return eq < 0 ? [pair.trim(), ""] : [pair.slice(0, eq).trim(), pair.slice(eq + 1).trim()];
  });
}

/** Whether a valid signature by an accepted key carries every required annotation (`k=` with no value: any). */
function acceptable(
  entry: SignatureEntryFact,
  accepted: Set<string>,
  required: readonly [string, string][],
): boolean {
  if (!entry.valid || entry.keyFingerprint === undefined || !accepted.has(entry.keyFingerprint)) return false;
  return required.every(([key, value]) => {
    const actual = entry.annotations?.[key];
    return actual !== undefined && (value === "" || actual === value);
  });
}

/**
 * `signature`: cosign signatures next to the image (`sha256-<hex>.sig`), verified while gathering against
 * the keys the configuration and the bundle name. Fires when there is none, when one is broken, or when
 * none is by a key the rule trusts.
 */
export const signatureGate: GateSpec = {
  name: "signature",
  needs: ["signatures"],
  description:
    "Checks the image's cosign signatures (the sha256-<hex>.sig tag beside it) against keys named in the bundle or the server configuration; keys are never taken from the image.",
  triggers: [
    {
      name: "missing",
      description: "Fires when the image has no signature at all.",
      params: [],
      fixedId: "signature_missing",
      compile: () => (ctx) => {
        const signing = signingFactsOrNoData(ctx);
        if (signing !== undefined && signing.signatures.length === 0) {
          ctx.fire({ message: "The image has no cosign signature" });
        }
      },
    },
    {
      name: "invalid",
      description:
        "Fires once for each broken signature, whoever signed it: a tampered payload, a signature swapped between layers, a signature for another image digest, an unreadable layer.",
      params: [],
      compile: () => (ctx) => {
        const signing = signingFactsOrNoData(ctx);
        for (const entry of signing?.signatures ?? []) {
          if (entry.valid || entry.refusal === "untrusted") continue;
          ctx.fire({
            message: `Signature layer ${entry.layer} is invalid: ${entry.reason ?? "not verified"}`,
            instanceId: `signature_invalid_${entry.layer}`,
          });
        }
        for (const problem of signing?.problems ?? []) {
          ctx.fire({ message: `Signature data is invalid: ${problem}` });
        }
      },
    },
    {
      name: "untrusted",
      description:
        "Fires when the image has signatures but none verifies with a key the rule trusts and carries the required annotations.",
      params: [
        ...KEY_PARAMS,
        {
          name: "annotations",
          description:
            "Annotations a trusted signature must carry in its payload (`optional`), as a comma list of key=value (key= alone: any value).",
          kind: "string-list",
          example: "cipolice.dev/decision=pass",
        },
      ],
      compile(params) {
        const selection: KeySelection = compileKeySelection(params);
        const required = parseAnnotations(params.list("annotations") ?? []);
        return (ctx) => {
          const signing = signingFactsOrNoData(ctx);
          if (signing === undefined || signing.signatures.length === 0) return;
          const { accepted, unknownNames } = acceptedFingerprints(selection, signing);
          if (signing.signatures.some((e) => acceptable(e, accepted, required))) return;
          const unknown =
            unknownNames.length > 0
              ? ` (no key is configured under the name ${unknownNames.join(", ")})`
              : "";
          const wanted =
            required.length > 0 ? ` with annotations ${required.map((r) => r.join("=")).join(", ")}` : "";
          ctx.fire({
            message: `No signature of the image verifies with ${describeSelection(selection)}${wanted}${unknown}`,
          });
        };
      },
    },
  ],
};
