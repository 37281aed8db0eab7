import type { DataNeeds, GateSpec, TriggerSpec } from "./gate-types.js";
import { alwaysGate } from "./gates/always.js";
import { attestationGate } from "./gates/attestation.js";
import { distroGate } from "./gates/distro.js";
import { dockerfileGate } from "./gates/dockerfile.js";
import { expressionGate } from "./gates/expression.js";
import { filesGate } from "./gates/files.js";
import { imageConfigGate } from "./gates/image-config.js";
import { imageSourceGate } from "./gates/image-source.js";
import { licensesGate } from "./gates/licenses.js";
import { malwareGate } from "./gates/malware.js";
import { metadataGate } from "./gates/metadata.js";
import { npmsGate } from "./gates/npms.js";
import { packagesGate } from "./gates/packages.js";
import { passwdFileGate } from "./gates/passwd-file.js";
import { retrievedFilesGate } from "./gates/retrieved-files.js";
import { rubyGemsGate } from "./gates/ruby-gems.js";
import { secretScansGate } from "./gates/secret-scans.js";
import { signatureGate } from "./gates/signature.js";
import { tagDriftGate } from "./gates/tag-drift.js";
import { vulnerabilitiesGate } from "./gates/vulnerabilities.js";
import type { TriggerParams } from "./trigger-params.js";

/** Every gate CIPolicE evaluates, in the order `cipolice policy gates` lists them. Explicit: no registration by import. */
export const GATES: readonly GateSpec[] = [
  alwaysGate,
  dockerfileGate,
  vulnerabilitiesGate,
  metadataGate,
  packagesGate,
  licensesGate,
  distroGate,
  filesGate,
  passwdFileGate,
  retrievedFilesGate,
  secretScansGate,
  malwareGate,
  npmsGate,
  rubyGemsGate,
  tagDriftGate,
  imageSourceGate,
  imageConfigGate,
  signatureGate,
  attestationGate,
  expressionGate,
] as GateSpec[];

/** Gates anchore-engine retired (end of life). Strict validation rejects them; otherwise they only add a problem. */
export const RETIRED_GATES: readonly string[] = [
  "anchoresec",
  "dockerfilecheck",
  "filecheck",
  "fileparse_passwd",
  "gemcheck",
  "licblacklist",
  "metadatacheck",
  "npmcheck",
  "pkgblacklist",
  "pkgcheck",
  "pkgdiff",
  "imagecheck",
  "secretcheck",
  "suiddiff",
];

const byName = new Map(GATES.map((g) => [g.name, g]));

/** The gate of that name (case-insensitive), if the catalog has it. */
export function findGate(name: string): GateSpec | undefined {
  return byName.get(name.toLowerCase());
}

/** The trigger of that name (case-insensitive) in a gate. */
export function findTrigger(gate: GateSpec, name: string): TriggerSpec | undefined {
  const lower = name.toLowerCase();
  return gate.triggers.find((t) => t.name === lower);
}

/**
 * The data a rule of this gate and trigger reads with these (compiled) parameters: the trigger's own
 * declaration when it has one (fixed, or decided by the parameters), else its gate's.
 */
export function triggerNeeds(gate: GateSpec, trigger: TriggerSpec, params: TriggerParams): DataNeeds {
  const own = trigger.needs;
  if (own === undefined) return gate.needs;
  return typeof own === "function" ? own(params) : own;
}
