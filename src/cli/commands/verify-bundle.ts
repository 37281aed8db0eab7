import { createPublicKey, type KeyObject } from "node:crypto";
import { Command, Option } from "@commander-js/extra-typings";
import { readBoundedSync } from "../../io/bounded-read.js";
import { CipError } from "../../model/index.js";
import { terminalLine } from "../../model/terminal-safe.js";
import type { SigstoreVerification } from "../../sign/keyless/verify-sigstore-bundle.js";
import { EXIT } from "../exit-codes.js";
import { parseByteSize } from "../read-input.js";
import { readKeyFile } from "./keys.js";

/** Largest artifact read by default: a message signature is checked over its bytes, held in memory. */
const DEFAULT_MAX_ARTIFACT = "512MiB";

const TRUSTED_ROOT_HINT =
  "Give --trusted-root trusted_root.json. CIPolicE ships none: production's changes over time (new logs, " +
  "rotated keys) and is distributed by Sigstore's TUF repository (https://tuf-repo-cdn.sigstore.dev, target " +
  "trusted_root.json; cosign and sigstore-python keep a verified copy in their TUF caches). A private " +
  "instance has its own.";

/**
 * `cipolice verify-blob [ARTIFACT] --bundle FILE --trusted-root FILE …`: verifies a Sigstore bundle offline,
 * as cosign verify-blob does; exit 0 when it verifies, 1 with the failed check when it does not, 2 when
 * the input cannot be used.
 */
export function verifyBlobCommand(setExitCode: (code: number) => void) {
  return new Command("verify-blob")
    .description(
      "Verify a Sigstore bundle (Fulcio certificate or managed key, Rekor entry; message signature or DSSE) offline against a trusted root, as cosign verify-blob --bundle does; exit 1 when it does not verify",
    )
    .argument(
      "[artifact]",
      "the signed file (- for standard input); for a DSSE bundle, a subject of its statement",
    )
    .requiredOption("--bundle <file>", "the Sigstore bundle (.sigstore.json)")
    .option(
      "--trusted-root <file>",
      "the Sigstore trusted_root.json to verify against (required: none is shipped)",
    )
    .option("--certificate-identity <identity>", "the signer's exact identity (certificate SAN: email, URI)")
    .option(
      "--certificate-identity-regexp <re2>",
      "an RE2 pattern the signer's identity must match (unanchored)",
    )
    .option("--certificate-oidc-issuer <url>", "the exact OIDC issuer that vouched for the signer")
    .option(
      "--certificate-oidc-issuer-regexp <re2>",
      "an RE2 pattern the OIDC issuer must match (unanchored)",
    )
    .option("--key <file>", "the public key (PEM) of a bundle signed with a managed key")
    .option("--artifact-digest <digest>", "for a DSSE bundle, instead of ARTIFACT: its digest sha256:<hex>")
    .option("--max-artifact-size <size>", "refuse a larger ARTIFACT", DEFAULT_MAX_ARTIFACT)
    .addOption(new Option("--format <name>", "output format").choices(["text", "json"]).default("text"))
    .action(async (artifactPath, opts) => {
      if (opts.trustedRoot === undefined) {
        throw new CipError("CIP_USAGE", "Cannot verify the bundle: no trusted root was given", {
          hint: TRUSTED_ROOT_HINT,
        });
      }
      if (artifactPath !== undefined && opts.artifactDigest !== undefined) {
        throw new CipError("CIP_USAGE", "Cannot use both ARTIFACT and --artifact-digest", {
          hint: "Give the artifact file, or (for a DSSE bundle) its digest.",
        });
      }
      if (opts.artifactDigest !== undefined && !/^sha(256|384|512):[0-9a-fA-F]+$/.test(opts.artifactDigest)) {
        throw new CipError(
          "CIP_USAGE",
          `Cannot use --artifact-digest ${JSON.stringify(opts.artifactDigest)}: expected sha256:<hex>`,
          {
            hint: "Write for example sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824.",
          },
        );
      }
      const maxArtifact = parseByteSize(opts.maxArtifactSize, "--max-artifact-size");
      const [{ readSigstoreBundle }, { readTrustedRoot }, { verifySigstoreBundle }, { isKeylessError }] =
        await Promise.all([
          import("../../sign/keyless/read-sigstore-bundle.js"),
          import("../../sign/keyless/trusted-root.js"),
          import("../../sign/keyless/verify-sigstore-bundle.js"),
          import("../../sign/keyless/keyless-error.js"),
        ]);
      const bundle = readSigstoreBundle(opts.bundle);
      const trustedRoot = readTrustedRoot(opts.trustedRoot);
      const artifact = artifactPath === undefined ? undefined : readArtifact(artifactPath, maxArtifact);
      const publicKey = opts.key === undefined ? undefined : loadKey(opts.key);
      const identity = {
        subject: opts.certificateIdentity,
        subjectRegExp: opts.certificateIdentityRegexp,
        issuer: opts.certificateOidcIssuer,
        issuerRegExp: opts.certificateOidcIssuerRegexp,
      };
      const anyIdentity = Object.values(identity).some((v) => v !== undefined);
      let result: SigstoreVerification;
      try {
        result = verifySigstoreBundle({
          bundle,
          trustedRoot,
          ...(artifact === undefined ? {} : { artifact }),
          ...(opts.artifactDigest === undefined ? {} : { artifactDigest: opts.artifactDigest }),
          ...(anyIdentity || publicKey === undefined ? { identity } : {}),
          ...(publicKey === undefined ? {} : { publicKey }),
          where: opts.bundle,
        });
      } catch (error) {
        if (!isKeylessError(error)) throw error;
        if (opts.format === "json") {
          const failure = {
            verified: false,
            check: error.check,
            code: error.code,
            message: error.message,
            ...(error.hint === undefined ? {} : { hint: error.hint }),
            ...(error.libraryCode === undefined ? {} : { libraryCode: error.libraryCode }),
          };
          process.stdout.write(`${JSON.stringify(failure, null, 2)}\n`);
        } else {
          const lines = [`not verified (${error.check}): ${terminalLine(error.message)}`];
          if (error.hint !== undefined) lines.push(`  hint: ${terminalLine(error.hint)}`);
          process.stdout.write(`${lines.join("\n")}\n`);
        }
        setExitCode(EXIT.policyFailure);
        return;
      }
      if (opts.format === "json") {
        process.stdout.write(`${JSON.stringify({ verified: true, ...result }, null, 2)}\n`);
      } else {
        process.stdout.write(describe(result, artifactPath ?? opts.artifactDigest, opts.bundle));
      }
      setExitCode(EXIT.pass);
    });
}

function readArtifact(path: string, maxBytes: number): Buffer {
  return readBoundedSync(path === "-" ? 0 : path, {
    maxBytes,
    what: `artifact ${path === "-" ? "standard input" : path}`,
    limitName: "artifact",
    limitHint: "Raise the limit with --max-artifact-size SIZE if the artifact is expected to be this large.",
  });
}

function loadKey(path: string): KeyObject {
  try {
    return createPublicKey(readKeyFile(path, "public key"));
  } catch (error) {
    if (error instanceof CipError) throw error;
    throw new CipError("CIP_KEY_INVALID", `Cannot read public key ${path}: ${(error as Error).message}`, {
      hint: "Give the signer's public key as PEM (-----BEGIN PUBLIC KEY-----).",
      cause: error,
    });
  }
}

/** The text report: what was verified, one fact a line. */
function describe(result: SigstoreVerification, artifact: string | undefined, bundlePath: string): string {
  const signer =
    result.signer.kind === "certificate"
      ? `certificate for ${result.signer.subject ?? "(no identity)"} (OIDC issuer ${result.signer.issuer ?? "(none)"})`
      : `managed key ${result.signer.fingerprint}${result.signer.hint === "" ? "" : ` (hint ${result.signer.hint})`}`;
  const lines = [
    `verified: ${artifact === undefined ? "" : `${artifact} with `}${bundlePath}`,
    `  signer: ${signer}`,
  ];
  for (const entry of result.tlogEntries) {
    lines.push(
      `  transparency log: ${entry.log ?? `log ${entry.logId}`} entry ${entry.logIndex} (${entry.kind} ${entry.version})${entry.integratedTime === undefined ? "" : ` at ${entry.integratedTime}`}, proven by ${entry.proofs.join(" and ").replaceAll("-", " ")}`,
    );
  }
  for (const t of result.timestamps) {
    lines.push(`  signed at: ${t.time} (${t.source.replace("-", " ")})`);
  }
  if (result.dsse !== undefined) {
    const statement = result.dsse.statement;
    lines.push(`  content: DSSE ${result.dsse.payloadType}`);
    if (statement !== undefined) {
      lines.push(`  predicate type: ${statement.predicateType}`);
      for (const s of statement.subjects.slice(0, 20)) {
        const digests = Object.entries(s.digest)
          .map(([a, h]) => `${a}:${h}`)
          .join(", ");
        lines.push(`  subject: ${s.name} ${digests}`);
      }
      if (statement.subjects.length > 20)
        lines.push(`  … and ${statement.subjects.length - 20} more subjects`);
    }
  } else {
    lines.push("  content: message signature");
  }
  if (result.artifact !== undefined) {
    lines.push(`  artifact: ${result.artifact.digest} (${result.artifact.matchedBy.replace("-", " ")})`);
  } else if (result.content === "dsse") {
    lines.push("  artifact: none given, so the statement's subjects were not compared with one");
  }
  return `${lines.map((l) => terminalLine(l)).join("\n")}\n`;
}
