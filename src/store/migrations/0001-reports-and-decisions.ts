import type { Migration } from "./migration.js";

/**
 * Reports by (digest, name), each digest's revision, and the decision log. The columns match across
 * dialects; where the types differ: PostgreSQL keeps report text as bytea (its text type cannot hold NUL,
 * which SQLite's can) and times as timestamptz, SQLite keeps times as ISO 8601 UTC text (which sorts).
 */
export const REPORTS_AND_DECISIONS: Migration = {
  version: 1,
  name: "reports-and-decisions",
  sqlite: `
CREATE TABLE reports (
  digest TEXT NOT NULL,
  name TEXT NOT NULL,
  format TEXT NOT NULL,
  text TEXT NOT NULL,
  pushed_by TEXT,
  received_at TEXT NOT NULL,
  PRIMARY KEY (digest, name)
);
CREATE TABLE report_revisions (
  digest TEXT PRIMARY KEY,
  revision INTEGER NOT NULL
);
CREATE TABLE decisions (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  decision_id TEXT NOT NULL UNIQUE,
  image TEXT NOT NULL,
  digest TEXT,
  outcome TEXT NOT NULL CHECK (outcome IN ('pass', 'fail', 'unknown')),
  origin TEXT NOT NULL,
  namespace TEXT,
  decided_at TEXT NOT NULL,
  decision TEXT,
  reason TEXT
);
CREATE INDEX decisions_by_image ON decisions (image, decided_at, seq);
CREATE INDEX decisions_by_digest ON decisions (digest, decided_at, seq);
CREATE INDEX decisions_by_time ON decisions (decided_at, seq);
`,
  postgres: `
CREATE TABLE reports (
  digest text NOT NULL,
  name text NOT NULL,
  format text NOT NULL,
  text bytea NOT NULL,
  pushed_by text,
  received_at timestamptz NOT NULL,
  PRIMARY KEY (digest, name)
);
CREATE TABLE report_revisions (
  digest text PRIMARY KEY,
  revision bigint NOT NULL
);
CREATE TABLE decisions (
  seq bigserial PRIMARY KEY,
  decision_id text NOT NULL UNIQUE,
  image text NOT NULL,
  digest text,
  outcome text NOT NULL CHECK (outcome IN ('pass', 'fail', 'unknown')),
  origin text NOT NULL,
  namespace text,
  decided_at timestamptz NOT NULL,
  decision json,
  reason text
);
CREATE INDEX decisions_by_image ON decisions (image, decided_at, seq);
CREATE INDEX decisions_by_digest ON decisions (digest, decided_at, seq);
CREATE INDEX decisions_by_time ON decisions (decided_at, seq);
`,
};
