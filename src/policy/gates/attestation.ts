import type { SignatureEntryFact } from "../../model/index.js";
import type { GateSpec } from "../gate-types.js";
import { acceptedFingerprints, compileKeySelection, describeSelection, KEY_PARAMS } from "../signing-keys.js";
import { signingFactsOrNoData } from "./signature.js";

const DAY_MS = 86_400_000;

/** Why one summary does not do, or undefined when it does. */
function summaryProblem(
  entry: SignatureEntryFact,
  wanted: { digest: string | undefined; maxAgeMs: number | undefined; now: Date },
): string | undefined {
  const summary = entry.summary;
  if (summary === undefined) return "not a verification summary";
  if (wanted.digest !== undefined && summary.policyDigest !== wanted.digest) {
    return `it is for another bundle (${summary.policyDigest})`;
  }
  if (!summary.passed) return "it says FAILED";
  if (wanted.maxAgeMs !== undefined) {
    const at = Date.parse(summary.time);
    if (!Number.isFinite(at)) return `its time ${summary.time} cannot be read`;
    if (wanted.now.getTime() - at > wanted.maxAgeMs) return `it is older than allowed (${summary.time})`;
  }
  return undefined;
}

/**
 * `attestation`: in-toto attestations next to the image (`sha256-<hex>.att`), verified while gathering.
 * `verification_summary` requires a CIPolicE verification summary that PASSED for this bundle (or a named
 * one) and is young enough; `missing` requires any attestation of a predicate type.
 */
export const attestationGate: GateSpec = {
  name: "attestation",
  needs: ["signatures"],
  description:
    "Checks the image's signed in-toto attestations (the sha256-<hex>.att tag beside it), such as the verification summary `cipolice check --attest` signs, against keys named in the bundle or the server configuration.",
  triggers: [
    {
      name: "verification_summary",
      description:
        "Fires unless a verification summary signed by a trusted key says the image PASSED the bundle being evaluated (or the one named by policy_digest), within max_age_days.",
      params: [
        ...KEY_PARAMS,
        {
          name: "policy_digest",
          description:
            "The bundle digest the summary must be for (sha256:…); the default is the digest of the bundle being evaluated. Name the CI bundle's digest when admission uses another bundle.",
          kind: "string",
          example: "sha256:0a1b…",
        },
        {
          name: "max_age_days",
          description: "Summaries older than this many days do not count.",
          kind: "integer",
          example: "30",
        },
      ],
      fixedId: "verification_summary",
      compile(params) {
        const selection = compileKeySelection(params);
        const digestParam = params.string("policy_digest");
        const maxAgeDays = params.number("max_age_days");
        return (ctx) => {
          const signing = signingFactsOrNoData(ctx);
          if (signing === undefined) return;
          const { accepted, unknownNames } = acceptedFingerprints(selection, signing);
          const wanted = {
            digest: digestParam ?? ctx.bundleDigest,
            maxAgeMs: maxAgeDays === undefined ? undefined : maxAgeDays * DAY_MS,
            now: ctx.now,
          };
          const refusals: string[] = [];
          for (const entry of signing.attestations) {
            // An attestation no key verifies may be the summary sought: its reason helps
            if (!entry.valid) {
              refusals.push(`layer ${entry.layer}: ${entry.reason ?? "not verified"}`);
              continue;
            }
            if (entry.summary === undefined) continue;
            if (entry.keyFingerprint === undefined || !accepted.has(entry.keyFingerprint)) {
              refusals.push(`layer ${entry.layer}: signed by a key this rule does not trust`);
              continue;
            }
            const problem = summaryProblem(entry, wanted);
            if (problem === undefined) return;
            refusals.push(`layer ${entry.layer}: ${problem}`);
          }
          const unknown =
            unknownNames.length > 0 ? `; no key is configured under the name ${unknownNames.join(", ")}` : "";
          const why = refusals.length > 0 ? `; not trusted: ${refusals.join("; ")}` : "";
          ctx.fire({
            message: `No verification summary that PASSED ${wanted.digest ?? "this bundle"} is signed by ${describeSelection(selection)}${why}${unknown}`,
          });
        };
      },
    },
    {
      name: "missing",
      description:
        "Fires unless the image has a valid attestation of the given predicate type signed by a trusted key.",
      params: [
        ...KEY_PARAMS,
        {
          name: "predicate_type",
          description: "The in-toto predicate type required (an SBOM, a provenance, a scan).",
          kind: "string",
          required: true,
          example: "https://slsa.dev/provenance/v1",
        },
      ],
      compile(params) {
        const selection = compileKeySelection(params);
        const predicateType = params.string("predicate_type") ?? "";
        return (ctx) => {
          const signing = signingFactsOrNoData(ctx);
          if (signing === undefined) return;
          const { accepted } = acceptedFingerprints(selection, signing);
          const found = signing.attestations.some(
            (e) =>
              e.valid &&
              e.predicateType === predicateType &&
              e.keyFingerprint !== undefined &&
              accepted.has(e.keyFingerprint),
          );
          if (!found) {
            ctx.fire({
              message: `No attestation of type ${predicateType} is signed by ${describeSelection(selection)}`,
              instanceId: `attestation_missing+${predicateType}`,
            });
          }
        };
      },
    },
  ],
};
