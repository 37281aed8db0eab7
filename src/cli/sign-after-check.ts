import { CipError, type DecisionV1 } from "../model/index.js";
import { terminalLine } from "../model/terminal-safe.js";
import { loadSigningKey } from "./commands/sign.js";
import { type GatherOptions, registryOptionsOf } from "./gather-options.js";
import { VERSION } from "./version.js";

/** What `check --sign/--attest` was asked to do. */
export interface SignAfterCheck {
  sign?: boolean;
  attest?: boolean;
  attestDecision?: boolean;
  key?: string;
  passphraseFile?: string;
}

/** Refuses --sign/--attest without what they need, before any work is done. */
export function checkSignOptions(image: string | undefined, opts: SignAfterCheck): void {
  if (!(opts.sign || opts.attest || opts.attestDecision)) return;
  if (opts.key === undefined) {
    throw new CipError("CIP_USAGE", "Cannot sign or attest: no key was given", {
      hint: "Give --key cosign.key (make one with `cipolice keys generate`).",
    });
  }
  if (image === undefined || /^(oci|docker-archive):/.test(image)) {
    throw new CipError("CIP_USAGE", "Cannot sign or attest: the image is not in a registry", {
      hint: "Signatures are stored beside the image in its registry: name it as registry/repository:tag.",
    });
  }
}

/**
 * After a check: signs the image when the decision passes (says so when it does not), and attaches the
 * decision as a signed SLSA verification summary (PASSED or FAILED) and, on request, as a whole DecisionV1.
 * Each line goes to stderr, so the report formats on stdout stay clean.
 */
export async function signAfterCheck(
  image: string,
  decision: DecisionV1,
  failed: boolean,
  opts: SignAfterCheck & Pick<GatherOptions, "insecureRegistry" | "registryTimeout" | "caFile" | "creds">,
): Promise<void> {
  const [
    { parseImageReference },
    { RegistryClient },
    { attestImage, signImage },
    { verificationSummary, VSA_PREDICATE_TYPE },
  ] = await Promise.all([
    import("../image/image-reference.js"),
    import("../image/registry/registry-client.js"),
    import("../service/sign-image.js"),
    import("../sign/verification-summary.js"),
  ]);
  const privateKey = await loadSigningKey(opts.key as string, opts.passphraseFile);
  const ref = parseImageReference(image.replace(/^docker:\/\//, ""));
  const client = new RegistryClient(registryOptionsOf(opts));
  try {
    const digest = decision.image.digest ?? (await client.headDigest(ref));
    const pinned = { ...ref, digest };
    if (opts.sign) {
      if (failed)
        process.stderr.write(`not signed: the decision fails (${decision.finalAction.toUpperCase()})\n`);
      else {
        const result = await signImage(pinned, {
          client,
          privateKey,
          annotations: {
            "dev.cipolice/decision-id": decision.decisionId,
            "dev.cipolice/bundle-digest": decision.bundle.digest,
          },
        });
        process.stderr.write(`signed ${terminalLine(image)} (${digest}) under ${result.tag}\n`);
      }
    }
    if (opts.attest) {
      const predicate = verificationSummary({
        verifierVersion: VERSION,
        policyName: decision.bundle.name ?? decision.bundle.id,
        policyDigest: decision.bundle.digest,
        resource: `${ref.registry}/${ref.repository}`,
        imageDigest: digest,
        time: decision.evaluatedAt,
        passed: !failed,
      });
      const result = await attestImage(
        pinned,
        VSA_PREDICATE_TYPE,
        predicate as unknown as Record<string, unknown>,
        {
          client,
          privateKey,
          digest,
        },
      );
      process.stderr.write(
        `attested ${terminalLine(image)} (${digest}): verification summary ${failed ? "FAILED" : "PASSED"} under ${result.tag}\n`,
      );
    }
    if (opts.attestDecision) {
      const { DECISION_PREDICATE_TYPE } = await import("../sign/decision-predicate.js");
      const result = await attestImage(
        pinned,
        DECISION_PREDICATE_TYPE,
        decision as unknown as Record<string, unknown>,
        {
          client,
          privateKey,
          digest,
        },
      );
      process.stderr.write(
        `attested ${terminalLine(image)} (${digest}): the whole decision under ${result.tag}\n`,
      );
    }
  } finally {
    client.close();
  }
}
