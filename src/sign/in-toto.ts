import { clip, decodeUtf8Strict, isJsonObject } from "./encoding.js";
import { signError } from "./sign-error.js";

/** `_type` of the statements CIPolicE writes. */
export const STATEMENT_V1 = "https://in-toto.io/Statement/v1";
/** The earlier statement type, still written by cosign attest: read, never written. */
export const STATEMENT_V01 = "https://in-toto.io/Statement/v0.1";
/** DSSE payload type of an in-toto statement. */
export const IN_TOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json";

/** Largest statement read (SBOM predicates can be large; more is a mistake or a trap). */
export const MAX_STATEMENT_BYTES = 16 * 1024 * 1024;

/** What a statement is about: a name and its digests by algorithm (`{ sha256: "<hex>" }`). */
export interface Subject {
  name: string;
  digest: Record<string, string>;
}

/** An in-toto Statement (v1 written; v0.1 read too). */
export interface Statement {
  _type: string;
  subject: Subject[];
  predicateType: string;
  predicate: Record<string, unknown>;
}

/** Builds an in-toto Statement v1 about one subject (or several). */
export function statement(
  subject: Subject | readonly Subject[],
  predicateType: string,
  predicate: Record<string, unknown>,
): Statement {
  const subjects = Array.isArray(subject) ? [...subject] : [subject as Subject];
  if (subjects.length === 0) throw signError("Cannot build an in-toto statement: no subject given");
  for (const s of subjects)
    checkSubject(s, `subject ${JSON.stringify(clip(s.name))}`, "build an in-toto statement");
  if (predicateType.length === 0)
    throw signError("Cannot build an in-toto statement: the predicate type is empty");
  return { _type: STATEMENT_V1, subject: subjects, predicateType, predicate };
}

/** The subject naming an image: its repository and manifest digest (`sha256:<hex>`). */
export function imageSubject(repository: string, manifestDigest: string): Subject {
  const [algorithm, hex] = manifestDigest.split(":");
  if (algorithm === undefined || hex === undefined || !/^[0-9a-f]+$/.test(hex)) {
    throw signError(
      `Cannot name the attestation subject: ${JSON.stringify(clip(manifestDigest))} is not a digest`,
    );
  }
  return { name: repository, digest: { [algorithm]: hex } };
}

/** The statement as the exact bytes to put in a DSSE envelope. */
export function statementBytes(value: Statement): Buffer {
  return Buffer.from(JSON.stringify(value), "utf8");
}

/** True when one of the statement's subjects has this digest (`sha256:<hex>`). */
export function statementCovers(value: Statement, digest: string): boolean {
  const [algorithm, hex] = digest.split(":");
  if (algorithm === undefined || hex === undefined) return false;
  return value.subject.some((s) => {
    const own = Object.hasOwn(s.digest, algorithm) ? s.digest[algorithm] : undefined;
    return typeof own === "string" && own.toLowerCase() === hex.toLowerCase();
  });
}

/** Parses a statement from DSSE payload bytes (or already parsed JSON); throws with what is wrong. */
export function parseStatement(input: Uint8Array | unknown, where: string): Statement {
  const fail = (what: string): never => {
    throw signError(`Cannot read the in-toto statement: ${what} (${where})`);
  };
  let document: unknown = input;
  if (input instanceof Uint8Array) {
    if (input.length > MAX_STATEMENT_BYTES)
      fail(`${input.length} bytes, over the ${MAX_STATEMENT_BYTES}-byte limit`);
    const text = decodeUtf8Strict(input) ?? fail("not UTF-8 text");
    try {
      document = JSON.parse(text);
    } catch (error) {
      fail(`not JSON (${(error as Error).message})`);
    }
  }
  if (!isJsonObject(document)) return fail("not a JSON object");
  const type = document._type;
  if (type !== STATEMENT_V1 && type !== STATEMENT_V01) {
    fail(`_type is ${JSON.stringify(type)}, not ${STATEMENT_V1}`);
  }
  const subjects = document.subject;
  if (!Array.isArray(subjects) || subjects.length === 0) return fail("no subject");
  subjects.forEach((s, i) => {
    if (!isJsonObject(s)) fail(`subject[${i}] is not an object`);
    checkSubject(s as unknown as Subject, `subject[${i}]`, "read the in-toto statement", where);
  });
  if (typeof document.predicateType !== "string" || document.predicateType === "") fail("no predicateType");
  const predicate = document.predicate ?? {};
  if (!isJsonObject(predicate)) fail("predicate is not an object");
  return {
    _type: type as string,
    subject: subjects as Subject[],
    predicateType: document.predicateType as string,
    predicate: predicate as Record<string, unknown>,
  };
}

function checkSubject(subject: Subject, which: string, doing: string, where?: string): void {
  const at = where === undefined ? "" : ` (${where})`;
  // v1 lets a subject go unnamed; an empty name is kept, a non-string one is not.
  if (subject.name !== undefined && typeof subject.name !== "string") {
    throw signError(`Cannot ${doing}: ${which} has a name that is not a string${at}`);
  }
  if (!isJsonObject(subject.digest) || Object.keys(subject.digest).length === 0) {
    throw signError(`Cannot ${doing}: ${which} has no digest${at}`);
  }
  for (const [algorithm, value] of Object.entries(subject.digest)) {
    if (typeof value !== "string" || value === "") {
      throw signError(
        `Cannot ${doing}: ${which} digest ${JSON.stringify(clip(algorithm))} is not a string${at}`,
      );
    }
  }
}
