import type { DecisionV1 } from "../model/index.js";

/**
 * The store ports the service layer needs. `src/store` implements them twice: SQLite (embedded, one file) and
 * PostgreSQL (shared by replicas). One contract test suite runs against both adapters.
 */

/** A report as CI pushed it: the raw document text and what it is. */
export interface NewReport {
  /**
   * Key of the report inside its image: a later report with the same name replaces it (a new Trivy scan
   * supersedes the last one). Defaults to the format name when the pusher gives none.
   */
  name: string;
  /** Format name as `--report-format` takes it (`trivy`, `grype`, `cyclonedx`, `openvex`, `facts`, …). */
  format: string;
  /** The document text, exactly as pushed. */
  text: string;
  /** Who pushed it (token name) or where it came from, for the record. */
  pushedBy?: string;
}

/** A report read back from the store. */
export interface StoredReport extends NewReport {
  /** Manifest digest of the image the report is about (`sha256:…`). */
  digest: string;
  /** When the store received it (RFC 3339). */
  receivedAt: string;
}

/** Reports, SBOMs, VEX and facts documents stored by image digest. */
export interface ReportStore {
  /**
   * Stores the reports for one digest in one transaction, each replacing a stored report of the same name,
   * and returns the digest's new revision (it grows by one per call, so a decision cache keyed on it misses).
   */
  putReports(digest: string, reports: NewReport[], now: Date): Promise<{ revision: number }>;
  /** Every stored report of a digest, by name. Empty when none. */
  listReports(digest: string): Promise<StoredReport[]>;
  /** The digest's revision: 0 when nothing was ever stored for it. */
  reportRevision(digest: string): Promise<number>;
}

/** One decision as the store keeps it. */
export interface DecisionRecord {
  decisionId: string;
  /** Full reference as it was asked for (`registry.example/app:1.2`). */
  image: string;
  digest?: string;
  /** `pass`, `fail` or `unknown`. */
  outcome: "pass" | "fail" | "unknown";
  /** Where the question came from: `admission`, `imagereview`, `api`, `monitor`, … */
  origin: string;
  namespace?: string;
  decidedAt: string;
  /** The decision itself, absent for an unknown outcome that never reached the engine. */
  decision?: DecisionV1;
  /** Why the outcome is unknown (no scan data, registry unreachable, deadline). */
  reason?: string;
}

/** Filter for reading decisions back. */
export interface DecisionQuery {
  /** Exact reference or digest. */
  image?: string;
  digest?: string;
  /** Newest first; at most this many (the adapters cap it at 1,000). */
  limit: number;
}

/** Decisions made by any entry point, newest first. */
export interface DecisionStore {
  recordDecision(record: DecisionRecord): Promise<void>;
  listDecisions(query: DecisionQuery): Promise<DecisionRecord[]>;
}

/** The whole store a server opens: every port, plus its life cycle. */
export interface Store extends ReportStore, DecisionStore {
  /** `sqlite` or `postgres`, for logs and readiness. */
  readonly kind: "sqlite" | "postgres";
  /** Where it lives, without secrets (a file path, or a PostgreSQL URL with the password left out). */
  readonly location: string;
  /** Throws when the store cannot be reached now. */
  ping(): Promise<void>;
  /**
   * Calls `listener` with a digest whenever any process sharing the store changes that digest's reports
   * (PostgreSQL LISTEN/NOTIFY; in-process for SQLite), and with `undefined` when changes may have been
   * missed (a lost connection), so caches drop everything. Returns the function that unsubscribes.
   */
  onReportsChanged(listener: (digest: string | undefined) => void): () => void;
  close(): Promise<void>;
}
