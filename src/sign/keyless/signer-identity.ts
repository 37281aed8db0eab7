import { RE2JS } from "re2js";
import { CipError } from "../../model/index.js";
import { clip } from "../encoding.js";
import { KeylessError } from "./keyless-error.js";

/**
 * Who must have signed, as cosign's `--certificate-identity[-regexp]` and `--certificate-oidc-issuer[-regexp]`
 * say it: the certificate's subject alternative name (an email, a workflow URI…) and the OIDC issuer that
 * vouched for it. Exact values compare whole strings; regular expressions are RE2 (linear time on any
 * input) and match anywhere unless anchored, as cosign's Go regexps do.
 */
export interface ExpectedIdentity {
  subject?: string;
  subjectRegExp?: string;
  issuer?: string;
  issuerRegExp?: string;
}

/** An identity whose patterns are compiled: made once, checked against any number of certificates. */
export interface IdentityMatcher {
  readonly expected: ExpectedIdentity;
  /** Throws a KeylessError (check `identity`) saying what differs. */
  check(subject: string | undefined, issuer: string | undefined): void;
}

/**
 * Compiles an expected identity. Refuses (CIP_USAGE) one that does not name both a subject and an issuer,
 * or names one both exactly and by pattern: a certificate bundle is trusted only for a signer named in full.
 * A pattern RE2 cannot run is CIP_REGEX_UNSUPPORTED.
 */
export function identityMatcher(expected: ExpectedIdentity): IdentityMatcher {
  const subject = matcher("--certificate-identity", expected.subject, expected.subjectRegExp);
  const issuer = matcher("--certificate-oidc-issuer", expected.issuer, expected.issuerRegExp);
  return {
    expected,
    check(actualSubject, actualIssuer) {
      if (!subject.test(actualSubject)) {
        throw new KeylessError(
          "identity",
          `Cannot verify the Sigstore bundle: the certificate's identity ${describe(actualSubject)} does not match the expected ${subject.text}`,
          { hint: "The bundle was signed by someone else, or the expected identity is mistyped." },
        );
      }
      if (!issuer.test(actualIssuer)) {
        throw new KeylessError(
          "identity",
          `Cannot verify the Sigstore bundle: the certificate's OIDC issuer ${describe(actualIssuer)} does not match the expected ${issuer.text}`,
          { hint: "The signer's identity was vouched for by another identity provider than expected." },
        );
      }
    },
  };
}

interface ValueTest {
  text: string;
  test(value: string | undefined): boolean;
}

function matcher(flag: string, exact: string | undefined, pattern: string | undefined): ValueTest {
  if (exact !== undefined && pattern !== undefined) {
    throw new CipError(
      "CIP_USAGE",
      `Cannot verify the Sigstore bundle: both ${flag} and ${flag}-regexp are given`,
      {
        hint: `Give one of ${flag} (the exact value) and ${flag}-regexp (an RE2 pattern).`,
      },
    );
  }
  if (exact !== undefined) {
    return { text: JSON.stringify(clip(exact, 200)), test: (value) => value === exact };
  }
  if (pattern !== undefined) {
    let compiled: RE2JS;
    try {
      compiled = RE2JS.compile(pattern);
    } catch (error) {
      throw new CipError(
        "CIP_REGEX_UNSUPPORTED",
        `Cannot use ${flag}-regexp ${JSON.stringify(clip(pattern, 200))}: ${(error as Error).message.replace(/^error parsing regexp: /, "")}`,
        { hint: "Patterns are RE2 (as cosign's): no backreferences or lookaround." },
      );
    }
    return {
      text: `pattern ${JSON.stringify(clip(pattern, 200))}`,
      test: (value) => value !== undefined && compiled.matcher(value).find(),
    };
  }
  throw new CipError("CIP_USAGE", `Cannot verify a certificate-signed Sigstore bundle without ${flag}`, {
    hint: `Say who must have signed: ${flag} VALUE or ${flag}-regexp PATTERN (both the identity and its OIDC issuer are needed, as cosign requires).`,
  });
}

function describe(value: string | undefined): string {
  return value === undefined ? "(none)" : JSON.stringify(clip(value, 200));
}
