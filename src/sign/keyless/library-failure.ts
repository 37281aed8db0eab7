import { PolicyError, VerificationError } from "@sigstore/verify";
import { clip } from "../encoding.js";
import { type KeylessCheck, KeylessError } from "./keyless-error.js";

interface Explanation {
  check: KeylessCheck;
  words: string;
  hint: string;
}

/**
 * Turns an error thrown by `@sigstore/verify` into a KeylessError whose message says, in a user's words,
 * which check failed, followed by the library's own detail and error code. `content` says what was signed
 * (for the signature message); `where` names the bundle. Errors that are not the library's verdicts (a
 * TypeError on a malformed field) are failures of the bundle's shape.
 */
export function explainLibraryFailure(
  error: unknown,
  content: "message-signature" | "dsse",
  where: string,
): KeylessError {
  if (!(error instanceof VerificationError) && !(error instanceof PolicyError)) {
    const detail = error instanceof Error ? error.message : String(error);
    return new KeylessError(
      "bundle",
      `Cannot verify the Sigstore bundle: it is malformed (${clip(detail, 200)}) (${where})`,
      {
        hint: "The bundle is damaged or was written by a tool that does not follow the bundle format.",
        cause: error,
      },
    );
  }
  const causeMessage = error.cause instanceof Error ? error.cause.message : undefined;
  const detail = [error.message, causeMessage].filter((m) => m !== undefined && m !== "").join(": ");
  const { check, words, hint } = explain(error.code, detail, content);
  return new KeylessError(
    check,
    `Cannot verify the Sigstore bundle: ${words} (${clip(detail, 200)}; @sigstore/verify ${error.code}) (${where})`,
    { hint, cause: error, libraryCode: error.code },
  );
}

function explain(code: string, detail: string, content: "message-signature" | "dsse"): Explanation {
  switch (code) {
    case "CERTIFICATE_ERROR":
      if (/\bSCTs?\b/.test(detail)) {
        return {
          check: "certificate-transparency",
          words:
            "the signing certificate carries no timestamp (SCT) that a certificate transparency log of the trusted root signed",
          hint: "The certificate was not issued by the trusted root's Fulcio, or the trusted root lacks its CT log.",
        };
      }
      if (/not valid or expired/.test(detail)) {
        return {
          check: "certificate-validity",
          words:
            "the signing certificate (or its certificate authority) was not valid at the time the signature was logged or timestamped",
          hint: "Sigstore checks a certificate at the signed time (log entry or RFC 3161 timestamp), never at the current time: this one was signed outside its validity window, or outside the window the trusted root gives its CA.",
        };
      }
      return {
        check: "certificate-chain",
        words: "the signing certificate does not chain to a certificate authority of the trusted root",
        hint: "The bundle comes from another Sigstore instance than the trusted root describes (staging, a private one), or its certificate is forged; give that instance's trusted root only if you trust it.",
      };
    case "PUBLIC_KEY_ERROR":
      return {
        check: "public-key",
        words: "the managed public key cannot be used at the signed time",
        hint: "Check the key given with --key.",
      };
    case "SIGNATURE_ERROR":
      return {
        check: "signature",
        words:
          content === "dsse"
            ? "the DSSE envelope's signature does not verify with the signer's key"
            : "the signature does not verify over the artifact with the signer's key",
        hint: "The bundle was altered, or belongs to another artifact or key.",
      };
    case "TLOG_BODY_ERROR":
      return {
        check: "tlog-body",
        words: "the transparency-log entry does not record this bundle's signature and content",
        hint: "The log entry is another signature's, or the bundle was altered after it was logged.",
      };
    case "TLOG_INCLUSION_PROMISE_ERROR":
      return {
        check: "tlog-set",
        words:
          "the transparency log's signed entry timestamp (SET) does not verify with a log key of the trusted root",
        hint: "The log entry was altered, or comes from a log the trusted root does not name.",
      };
    case "TLOG_INCLUSION_PROOF_ERROR":
      return {
        check: "tlog-inclusion-proof",
        words: "the transparency-log inclusion proof (Merkle path or signed checkpoint) does not verify",
        hint: "The proof was altered, or its checkpoint is not signed by a log of the trusted root.",
      };
    case "TLOG_MISSING_INCLUSION_ERROR":
    case "TLOG_ERROR":
      return {
        check: "tlog-missing",
        words: "nothing proves the signature was recorded in a transparency log",
        hint: "Sigstore bundles are verified with their transparency-log entry (SET or inclusion proof); this one has none.",
      };
    case "TIMESTAMP_ERROR":
      return {
        check: "timestamp",
        words:
          "no trusted time of signing (log entry time or RFC 3161 timestamp of the trusted root) verifies",
        hint: "A timestamp authority or log of the bundle is missing from the trusted root, or the timestamp was altered.",
      };
    case "UNTRUSTED_SIGNER_ERROR":
      return {
        check: "identity",
        words: "the signer is not the expected one",
        hint: "Check the expected identity.",
      };
    default:
      return {
        check: "bundle",
        words: "it uses a feature that cannot be verified here",
        hint: "The bundle may be newer than this verifier.",
      };
  }
}
