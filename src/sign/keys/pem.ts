import { keyError, MAX_KEY_FILE_BYTES } from "./key-error.js";

/** One PEM block: its type (`PUBLIC KEY`, `ENCRYPTED SIGSTORE PRIVATE KEY`, …) and decoded body. */
export interface PemBlock {
  type: string;
  der: Buffer;
}

const BEGIN = /-----BEGIN ([A-Z0-9 ]+)-----/;

/**
 * The first PEM block of `text`, as Go's pem.Decode reads it (text before it is ignored). Refuses text
 * over 64 KiB, a block without its END line (a truncated file), RFC 1421 headers (OpenSSL's legacy
 * encryption) and a body that is not strict base64. `what` names the file in messages ("private key x.key").
 */
export function readPemBlock(text: string, what: string): PemBlock {
  const action = `Cannot read ${what}`;
  if (text.length > MAX_KEY_FILE_BYTES) {
    throw keyError(
      `${action}: it is ${text.length} bytes, over the ${MAX_KEY_FILE_BYTES / 1024} KiB key file limit`,
      "Give the key file itself: a PEM key is under 1 KiB.",
    );
  }
  const begin = BEGIN.exec(text);
  if (!begin?.[1]) {
    throw keyError(
      `${action}: no PEM block (no "-----BEGIN … -----" line)`,
      "Give a PEM key file such as cosign.key or cosign.pub.",
    );
  }
  const type = begin[1];
  const start = begin.index + begin[0].length;
  const endLine = `-----END ${type}-----`;
  const end = text.indexOf(endLine, start);
  if (end < 0) {
    throw keyError(
      `${action}: the ${type} PEM block has no END line: the file is truncated`,
      "Copy the whole key file again, from BEGIN to END.",
    );
  }
  const body = text.slice(start, end);
  if (body.includes(":")) {
    throw keyError(
      `${action}: the ${type} PEM block has headers (OpenSSL's legacy encryption), which are not supported`,
      "Convert the key to PKCS#8 (`openssl pkcs8 -topk8`) or import it with cosign.",
    );
  }
  const compact = body.replace(/\s+/g, "");
  if (compact.length === 0 || compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) {
    throw keyError(
      `${action}: the ${type} PEM block is not valid base64: the file is damaged or truncated`,
      "Copy the whole key file again, from BEGIN to END.",
    );
  }
  return { type, der: Buffer.from(compact, "base64") };
}

/** PEM text of `der` under `type`, 64 characters a line, ending in a newline (as Go's pem.Encode writes). */
export function writePemBlock(type: string, der: Buffer): string {
  const lines = der.toString("base64").match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${type}-----\n${lines.join("\n")}\n-----END ${type}-----\n`;
}
