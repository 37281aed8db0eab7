import type { KeyObject } from "node:crypto";
import { Command, Option } from "@commander-js/extra-typings";
import { CipError } from "../../model/index.js";
import { terminalLine } from "../../model/terminal-safe.js";
import { EXIT } from "../exit-codes.js";
import { collect, GATHER_OPTIONS, registryOptionsOf } from "../gather-options.js";
import { readKeyFile, readPassphrase } from "./keys.js";

const REGISTRY_FLAGS = new Set(["--insecure-registry", "--creds", "--registry-timeout", "--ca-file"]);

/** Adds the registry flags of `check` (the same Option objects, so help and parsing match). */
function registryFlags<T extends Command<[string], Record<string, unknown>>>(command: T): T {
  for (const option of GATHER_OPTIONS) if (REGISTRY_FLAGS.has(option.long ?? "")) command.addOption(option);
  return command;
}

interface RegistryFlags {
  insecureRegistry: string[];
  creds?: string;
  registryTimeout: string;
  caFile: string[];
}

/** Loads the private key of `--key`, asking for its passphrase only when the file is encrypted. */
export async function loadSigningKey(path: string, passphraseFile: string | undefined): Promise<KeyObject> {
  const { loadPrivateKey } = await import("../../sign/keys/index.js");
  const pem = readKeyFile(path, "private key");
  const encrypted = /-----BEGIN ENCRYPTED (SIGSTORE|COSIGN) PRIVATE KEY-----/.test(pem);
  const passphrase = encrypted
    ? await readPassphrase({ passphraseFile, confirm: false, action: `Cannot sign with ${path}` })
    : undefined;
  return loadPrivateKey(pem, passphrase, path);
}

/** Loads each `--key` public key, named by its file for messages. */
async function loadTrustedKeys(paths: readonly string[]) {
  if (paths.length === 0) {
    throw new CipError("CIP_USAGE", "Cannot verify: no public key was given", {
      hint: "Give --key cosign.pub (repeatable): signatures are trusted only from keys you name.",
    });
  }
  const { loadPublicKey } = await import("../../sign/keys/index.js");
  return paths.map((path) => ({ name: path, key: loadPublicKey(readKeyFile(path, "public key"), path) }));
}

async function clientFor(opts: RegistryFlags) {
  const { RegistryClient } = await import("../../image/registry/registry-client.js");
  return new RegistryClient(registryOptionsOf(opts));
}

async function parseImage(text: string) {
  const { parseImageReference } = await import("../../image/image-reference.js");
  return parseImageReference(text);
}

/** `cipolice sign IMAGE --key KEY`: a cosign signature of the image, pushed beside it. */
export function signCommand(setExitCode: (code: number) => void) {
  return registryFlags(
    new Command("sign")
      .description(
        "Sign an image as cosign does: a simple-signing payload under sha256-<digest>.sig in its repository",
      )
      .argument("<image>", "registry/repository[:tag][@digest]")
      .requiredOption("--key <file>", "the private key (cosign's encrypted format, or PKCS#8 PEM)")
      .option(
        "--passphrase-file <file>",
        "the key's passphrase (else CIPOLICE_PASSWORD, COSIGN_PASSWORD, or a prompt)",
      )
      .addOption(
        new Option("-a, --annotation <key=value>", "an annotation in the signed payload (repeatable)")
          .argParser(collect)
          .default([] as string[]),
      ),
  ).action(async (image, opts) => {
    const ref = await parseImage(image);
    const privateKey = await loadSigningKey(opts.key, opts.passphraseFile);
    const { signImage } = await import("../../service/sign-image.js");
    const client = await clientFor(opts as unknown as RegistryFlags);
    const result = await signImage(ref, {
      client,
      privateKey,
      annotations: parseAnnotations(opts.annotation),
    }).finally(() => client.close());
    process.stdout.write(
      `${result.added ? "signed" : "already signed with this key and payload"} ${terminalLine(image)} (${result.digest}): ${ref.registry}/${ref.repository}:${result.tag}\n`,
    );
    setExitCode(EXIT.pass);
  });
}

/** `cipolice verify IMAGE --key PUB`: which signatures verify, and why the others do not. */
export function verifyCommand(setExitCode: (code: number) => void) {
  return registryFlags(
    new Command("verify")
      .description(
        "Verify an image's cosign signatures with the public keys given; exit 1 when none is valid",
      )
      .argument("<image>", "registry/repository[:tag][@digest]")
      .addOption(
        new Option("--key <file>", "a trusted public key (repeatable)")
          .argParser(collect)
          .default([] as string[]),
      )
      .addOption(new Option("--format <name>", "output format").choices(["text", "json"]).default("text")),
  ).action(async (image, opts) => {
    const ref = await parseImage(image);
    const keys = await loadTrustedKeys(opts.key);
    const { verifyImageSignatures } = await import("../../service/verify-image.js");
    const client = await clientFor(opts as unknown as RegistryFlags);
    const report = await verifyImageSignatures(ref, { client, keys }).finally(() => client.close());
    const valid = report.signatures.filter((s) => s.valid);
    if (opts.format === "json") process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else {
      const lines = [
        `${terminalLine(image)} (${report.digest}): ${report.found ? `${report.signatures.length} signature(s) under ${report.tag}` : `no signatures (${report.tag} does not exist)`}`,
      ];
      for (const s of report.signatures) {
        lines.push(
          s.valid
            ? `  valid    layer ${s.layer}: signed by ${terminalLine(s.keyName ?? "")}`
            : `  refused  layer ${s.layer}: ${terminalLine(s.reason ?? "")}`,
        );
      }
      for (const p of report.problems) lines.push(`  unreadable ${terminalLine(p.message)}`);
      lines.push(
        valid.length > 0
          ? `verified: ${valid.length} valid signature(s)`
          : "not verified: no valid signature",
      );
      process.stdout.write(`${lines.join("\n")}\n`);
    }
    setExitCode(valid.length > 0 ? EXIT.pass : EXIT.policyFailure);
  });
}

/** `cipolice verify-attestation IMAGE --key PUB --type vsa`: the verified attestations of an image. */
export function verifyAttestationCommand(setExitCode: (code: number) => void) {
  return registryFlags(
    new Command("verify-attestation")
      .description(
        "Verify an image's attestations (DSSE, in-toto) with the public keys given; exit 1 when none of the type is valid",
      )
      .argument("<image>", "registry/repository[:tag][@digest]")
      .addOption(
        new Option("--key <file>", "a trusted public key (repeatable)")
          .argParser(collect)
          .default([] as string[]),
      )
      .addOption(
        new Option(
          "--type <type>",
          "vsa (SLSA verification summary), decision, or any predicate type URI",
        ).default("vsa"),
      )
      .addOption(new Option("--format <name>", "output format").choices(["text", "json"]).default("text")),
  ).action(async (image, opts) => {
    const ref = await parseImage(image);
    const keys = await loadTrustedKeys(opts.key);
    const [{ verifyImageAttestations }, { VSA_PREDICATE_TYPE }, { DECISION_PREDICATE_TYPE }] =
      await Promise.all([
        import("../../service/verify-image.js"),
        import("../../sign/verification-summary.js"),
        import("../../sign/decision-predicate.js"),
      ]);
    const type =
      opts.type === "vsa"
        ? VSA_PREDICATE_TYPE
        : opts.type === "decision"
          ? DECISION_PREDICATE_TYPE
          : opts.type;
    const client = await clientFor(opts as unknown as RegistryFlags);
    const report = await verifyImageAttestations(ref, { client, keys }).finally(() => client.close());
    const matching = report.attestations.filter((a) => a.valid && a.predicateType === type);
    if (opts.format === "json") process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else {
      const lines = [
        `${terminalLine(image)} (${report.digest}): ${report.found ? `${report.attestations.length} attestation(s) under ${report.tag}` : `no attestations (${report.tag} does not exist)`}`,
      ];
      for (const a of report.attestations) {
        if (!a.valid) {
          lines.push(`  refused  layer ${a.layer}: ${terminalLine(a.reason ?? "")}`);
          continue;
        }
        const s = a.summary;
        lines.push(
          `  valid    layer ${a.layer}: ${terminalLine(a.predicateType ?? "")} signed by ${terminalLine(a.keyName ?? "")}${s ? `: ${s.passed ? "PASSED" : "FAILED"} ${terminalLine(s.policyName ?? "")} ${s.policyDigest} at ${s.time}` : ""}`,
        );
      }
      lines.push(
        matching.length > 0
          ? `verified: ${matching.length} valid attestation(s) of type ${type}`
          : `not verified: no valid attestation of type ${type}`,
      );
      process.stdout.write(`${lines.join("\n")}\n`);
    }
    setExitCode(matching.length > 0 ? EXIT.pass : EXIT.policyFailure);
  });
}

function parseAnnotations(values: readonly string[]): Record<string, string> {
  const annotations: Record<string, string> = {};
  for (const value of values) {
    const at = value.indexOf("=");
    if (at <= 0) {
      throw new CipError("CIP_USAGE", `Cannot use annotation ${JSON.stringify(value)}: expected key=value`, {
        hint: "Write for example -a build=1234.",
      });
    }
    annotations[value.slice(0, at)] = value.slice(at + 1);
  }
  return annotations;
}
