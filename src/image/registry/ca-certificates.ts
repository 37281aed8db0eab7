import { X509Certificate } from "node:crypto";
import { readBoundedSync } from "../../io/bounded-read.js";
import { CipError } from "../../model/index.js";

/** A CA bundle is kilobytes (the whole Mozilla set is about 220 kB): far below this, and a device ends here. */
export const MAX_CA_FILE_BYTES = 16 * 1024 * 1024;

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/**
 * The certificates of a PEM bundle (one or more `BEGIN CERTIFICATE` blocks), each checked to parse, so a
 * wrong file fails here with its name rather than as an obscure TLS error later. `source` names it.
 */
export function parseCaCertificates(pem: string, source: string): string[] {
  const blocks = pem.match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) {
    throw new CipError("CIP_PARSE", `Cannot use ${source} as CA certificates: it holds no PEM certificate`, {
      hint: "Give a PEM file with -----BEGIN CERTIFICATE----- blocks (convert DER with openssl x509 -inform der).",
    });
  }
  blocks.forEach((block, index) => {
    try {
      new X509Certificate(block);
    } catch (error) {
      throw new CipError(
        "CIP_PARSE",
        `Cannot use ${source} as CA certificates: certificate ${index + 1} of ${blocks.length} does not parse (${(error as Error).message})`,
        {
          hint: "Replace the damaged block with the CA's certificate as the registry operators publish it.",
          cause: error,
        },
      );
    }
  });
  return blocks;
}

/** The certificates of a PEM file (see {@link parseCaCertificates}); unreadable files fail with their path. */
export function readCaFile(path: string): string[] {
  let text: string;
  try {
    text = readBoundedSync(path, {
      maxBytes: MAX_CA_FILE_BYTES,
      what: `the CA file ${path}`,
      limitName: "CA file",
      limitHint: "Give a PEM file of the CA certificates only.",
    }).toString("utf8");
  } catch (error) {
    if (!(error instanceof CipError) || error.code !== "CIP_FILE_READ") throw error;
    throw new CipError("CIP_FILE_READ", error.message, {
      hint: "Check the path given with --ca-file.",
      cause: error.cause,
    });
  }
  return parseCaCertificates(text, `the CA file ${path}`);
}
