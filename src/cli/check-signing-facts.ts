import type { ImageFacts } from "../model/index.js";
import { CipError } from "../model/index.js";
import type { CompiledBundle } from "../policy/compile-bundle.js";
import { bundleReadsSignatures, bundleSigningKeys } from "../policy/signing-keys.js";
import { readKeyFile } from "./commands/keys.js";
import { type GatherOptions, registryOptionsOf } from "./gather-options.js";

/** `NAME=FILE` of `--trusted-key`, or a bare FILE named after itself. */
function parseTrustedKey(text: string): { name: string; path: string } {
  const eq = text.indexOf("=");
  if (eq <= 0) return { name: text, path: text };
  return { name: text.slice(0, eq), path: text.slice(eq + 1) };
}

/**
 * The facts with the image's signatures and attestations verified against `--trusted-key` keys and the
 * bundle's own, when the bundle has `signature` or `attestation` rules and the image is in a registry.
 * Otherwise the facts unchanged (the rules then say they had no data).
 */
export async function withSigningFacts(
  image: string | undefined,
  facts: ImageFacts,
  compiled: CompiledBundle,
  opts: GatherOptions & { trustedKey: string[] },
): Promise<ImageFacts> {
  if (!bundleReadsSignatures(compiled)) {
    if (opts.trustedKey.length > 0) {
      process.stderr.write(
        "note: --trusted-key is unused: the bundle has no signature or attestation rules\n",
      );
    }
    return facts;
  }
  if (image === undefined) return facts;
  const [{ parseImageArgument }, { parseImageReference }, { loadPublicKey }, signing, registry] =
    await Promise.all([
      import("../service/image-argument.js"),
      import("../image/image-reference.js"),
      import("../sign/keys/index.js"),
      import("../service/signing-facts.js"),
      import("../image/registry/registry-client.js"),
    ]);
  const argument = parseImageArgument(image);
  if (argument.kind !== "registry") return facts;
  const ref = parseImageReference(argument.reference);
  const configured = opts.trustedKey.map((text) => {
    const { name, path } = parseTrustedKey(text);
    if (path === "") {
      throw new CipError("CIP_USAGE", `Cannot use --trusted-key ${JSON.stringify(text)}: no key file`, {
        hint: "Write --trusted-key NAME=cosign.pub (or the file alone).",
      });
    }
    return { name, key: loadPublicKey(readKeyFile(path, "public key"), path) };
  });
  const { keys, facts: keyFacts } = signing.signingKeySet(configured, bundleSigningKeys(compiled));
  const client = new registry.RegistryClient(registryOptionsOf(opts));
  try {
    const digest = facts.digest ?? ref.digest;
    const found = await signing.readSigningFacts(ref, {
      client,
      keys,
      keyFacts,
      ...(digest !== undefined ? { digest } : {}),
    });
    return { ...facts, signing: found };
  } finally {
    client.close();
  }
}
