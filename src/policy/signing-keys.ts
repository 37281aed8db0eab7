import { createHash, createPublicKey } from "node:crypto";
import type { SigningFacts } from "../model/index.js";
import type { CompiledBundle } from "./compile-bundle.js";
import { type ParamSpec, ParamValueError } from "./gate-types.js";
import type { TriggerParams } from "./trigger-params.js";

/** Gates whose rules name signing keys. */
const SIGNING_GATES = new Set(["signature", "attestation"]);

/** The parameters that name the keys a signature or attestation must verify with. */
export const KEY_PARAMS: readonly ParamSpec[] = [
  {
    name: "keys",
    description:
      "Names of trusted keys, as the server configuration (`signing.trustedKeys`) or `--trusted-key NAME=FILE` names them. With neither keys nor key, any known key counts.",
    kind: "string-list",
    example: "release,ci",
  },
  {
    name: "key",
    description: "A PEM public key (cosign.pub) written into the rule itself.",
    kind: "string",
    example: "-----BEGIN PUBLIC KEY-----\\n…\\n-----END PUBLIC KEY-----",
  },
];

/** A key a bundle writes into its rules, named by its fingerprint so gathering can verify with it. */
export interface BundleKey {
  name: string;
  pem: string;
}

/** Fingerprint (hex SHA-256 of the DER SubjectPublicKeyInfo) of a PEM public key; throws on a bad key. */
export function pemFingerprint(pem: string): string {
  const der = createPublicKey(pem.replace(/\\n/g, "\n")).export({ format: "der", type: "spki" });
  return createHash("sha256").update(der).digest("hex");
}

/**
 * Which keys a rule accepts: fingerprints of the PEM key it carries and names it gives, resolved at
 * evaluation against the keys the facts were verified with. Compiled once; the PEM is checked here.
 */
export interface KeySelection {
  names: readonly string[];
  fingerprints: readonly string[];
}

/** Reads and checks a rule's `keys` and `key` parameters. */
export function compileKeySelection(params: TriggerParams): KeySelection {
  const pem = params.string("key");
  let fingerprints: string[] = [];
  if (pem !== undefined) {
    try {
      fingerprints = [pemFingerprint(pem)];
    } catch (error) {
      throw new ParamValueError(
        "key",
        `not a PEM public key: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
  return { names: params.list("keys") ?? [], fingerprints };
}

/**
 * The fingerprints a selection accepts among the keys the facts know, and the names it gives that no
 * known key has (a configuration that lacks them). An empty selection accepts every known key.
 */
export function acceptedFingerprints(
  selection: KeySelection,
  signing: SigningFacts,
): { accepted: Set<string>; unknownNames: string[] } {
  if (selection.names.length === 0 && selection.fingerprints.length === 0) {
    return { accepted: new Set(signing.keys.map((k) => k.fingerprint)), unknownNames: [] };
  }
  const accepted = new Set(selection.fingerprints);
  const unknownNames: string[] = [];
  for (const name of selection.names) {
    const known = signing.keys.filter((k) => k.name === name);
    if (known.length === 0) unknownNames.push(name);
    for (const k of known) accepted.add(k.fingerprint);
  }
  return { accepted, unknownNames };
}

/** The keys named by fingerprint in a selection, for messages. */
export function describeSelection(selection: KeySelection): string {
  const parts = [...selection.names, ...selection.fingerprints.map((f) => `key ${f.slice(0, 12)}…`)];
  return parts.length === 0 ? "any trusted key" : parts.join(", ");
}

/** Whether any rule of the bundle reads signatures or attestations (so they must be looked up). */
export function bundleReadsSignatures(compiled: CompiledBundle): boolean {
  return compiled.bundle.policies.some((p) => p.rules.some((r) => SIGNING_GATES.has(r.gate.toLowerCase())));
}

/**
 * The PEM keys a bundle's signature and attestation rules carry, so that gathering verifies with them too
 * (keys are named in the bundle or the configuration, never taken from the image).
 */
export function bundleSigningKeys(compiled: CompiledBundle): BundleKey[] {
  const keys = new Map<string, BundleKey>();
  for (const policy of compiled.bundle.policies) {
    for (const rule of policy.rules) {
      if (!SIGNING_GATES.has(rule.gate.toLowerCase())) continue;
      for (const param of rule.params) {
        if (param.name.toLowerCase() !== "key") continue;
        try {
          const pem = param.value.replace(/\\n/g, "\n");
          const fingerprint = pemFingerprint(pem);
          keys.set(fingerprint, { name: `bundle key ${fingerprint.slice(0, 12)}`, pem });
        } catch {
          // Validation reports the bad key on its rule.
        }
      }
    }
  }
  return [...keys.values()];
}
