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

/** How one action of a rule ended, as the store keeps it (the executor's ActionOutcome, flattened). */
export interface ActionRecord {
  /** The action line as written (`./label.sh`, `containeractions.py:mark`). */
  action: string;
  /** Rules file and line of the action (`clair.rules:5`). */
  at: string;
  status: "ok" | "failed" | "timed_out" | "skipped";
  output?: string;
  error?: string;
  startedAt: string;
  durationMs: number;
}

/** What became of one event message (a registry or scanner notification, an AMQP message, a test message). */
export interface EventRecord {
  /** The message id: AMQP `messageId`, a sender's delivery id, or a hash of the body when the sender gives none. */
  messageId: string;
  /** Where it came from: `amqp:QUEUE`, `http:harbor`, `http:distribution`, `test`, … */
  source: string;
  /** `running` while a worker holds it; `done` after its actions ran; `dead_lettered` when it was given up. */
  state: "running" | "done" | "dead_lettered";
  receivedAt: string;
  finishedAt?: string;
  /** The message as the rules saw it (absent when it could not be read). */
  message?: Record<string, unknown>;
  outcomes: ActionRecord[];
  /** Why it was dead-lettered, or what went wrong. */
  reason?: string;
}

/** The ledger of event messages: what makes consumers idempotent across redeliveries and replicas. */
export interface EventStore {
  /**
   * Claims a message id for processing. `new`: the caller runs it (a first claim, or a claim older than
   * `leaseMs` whose worker is presumed gone); `done`: it was finished or dead-lettered before, so the caller
   * acknowledges without running anything; `busy`: another worker holds a live claim.
   */
  claimEvent(messageId: string, source: string, now: Date, leaseMs: number): Promise<"new" | "done" | "busy">;
  /**
   * Gives up a claim that is still running (its handler failed and the message goes back to the queue), so
   * that any worker, in this process or another, may claim it again at once instead of after the lease.
   */
  releaseEvent(messageId: string): Promise<void>;
  /** Records the end of a claimed message with its action outcomes. */
  finishEvent(
    messageId: string,
    result: Pick<EventRecord, "state" | "message" | "outcomes" | "reason">,
    now: Date,
  ): Promise<void>;
  /** Event records, newest first, optionally one id (the adapters cap `limit` at 1,000). */
  listEvents(query: { messageId?: string; limit: number }): Promise<EventRecord[]>;
}

/** A verdict set for an image by a rule action (`accept`, `reject`): admission reads it before evaluating. */
export interface ImageVerdict {
  /** Manifest digest (`sha256:…`) or, when the message named no digest, the reference as written. */
  subject: string;
  verdict: "accept" | "reject";
  reason: string;
  /** What set it: `rules FILE:LINE` with the message id. */
  setBy: string;
  setAt: string;
}

/** Verdicts that rule actions put on images. */
export interface VerdictStore {
  /** Sets (replacing) the verdict of a subject. */
  putVerdict(verdict: ImageVerdict): Promise<void>;
  /** The verdict of a subject, if any. */
  getVerdict(subject: string): Promise<ImageVerdict | undefined>;
  /** Every verdict (rules set few: one per image they accepted or rejected), for a server to hold in memory. */
  listVerdicts(): Promise<ImageVerdict[]>;
}

/** One check of one running container by `cipolice monitor`, as the store keeps it. */
export interface ContainerCheckRecord {
  /** The engine the container runs on (its endpoint, e.g. `unix:///run/podman/podman.sock`). */
  host: string;
  containerId: string;
  containerName: string;
  /** The image as the container names it. */
  image: string;
  /** Image id (`sha256:…`). */
  imageId: string;
  /** Manifest digest, when the image came from a registry. */
  digest?: string;
  outcome: "pass" | "fail";
  /** Each check that ran, in order. */
  checks: { section: string; result: "PASS" | "PASS_FAST" | "FAIL"; message?: string }[];
  /** What was done to the container (`stopped`, `paused`, `killed`, `grace until …`), when anything. */
  action?: string;
  /** RFC 3339. */
  checkedAt: string;
}

/**
 * A grace clock: a running image (by digest or image id) that passed and now fails on a finding gets until
 * `endsAt` before the monitor enforces. New deployments of it are denied at once regardless.
 */
export interface GraceClock {
  /** Digest or image id of the running image. */
  subject: string;
  /** The finding that started it (a rule's trigger id, e.g. `CVE-2026-1+openssl`). */
  finding: string;
  severity: string;
  /** RFC 3339 both. */
  startedAt: string;
  endsAt: string;
}

/** What `cipolice monitor` keeps: every container check, and the grace clocks of running images. */
export interface MonitorStore {
  recordContainerCheck(record: ContainerCheckRecord): Promise<void>;
  /**
   * The newest check of each container, newest first, optionally only those checked at or after `since`
   * (RFC 3339) and on one host (the adapters cap `limit` at 1,000).
   */
  latestContainerChecks(query: {
    since?: string;
    host?: string;
    limit: number;
  }): Promise<ContainerCheckRecord[]>;
  /**
   * Starts the clocks of findings that have none for the subject yet; a clock already running keeps its start
   * and end (a finding seen again does not reset it). Returns every clock of the subject afterwards.
   */
  startGraceClocks(subject: string, clocks: readonly Omit<GraceClock, "subject">[]): Promise<GraceClock[]>;
  /** Stops (deletes) the subject's clocks whose finding is not in `still` (findings that went away). */
  stopGraceClocks(subject: string, still: readonly string[]): Promise<void>;
  /** Every running clock, optionally of one subject, ordered by end. */
  listGraceClocks(subject?: string): Promise<GraceClock[]>;
}

/** The whole store a server opens: every port, plus its life cycle. */
export interface Store extends ReportStore, DecisionStore, EventStore, VerdictStore, MonitorStore {
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
