import type { Migration } from "./migration.js";

/**
 * What `cipolice monitor` keeps: every check of every running container (append-only; a container is its
 * engine `host` plus its id) and the grace clocks of running images, one per (subject, finding). Checks are
 * JSON text in SQLite and json in PostgreSQL; times are ISO 8601 UTC text in SQLite and timestamptz in
 * PostgreSQL.
 */
export const MONITOR: Migration = {
  version: 3,
  name: "monitor",
  sqlite: `
CREATE TABLE container_checks (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  host TEXT NOT NULL,
  container_id TEXT NOT NULL,
  container_name TEXT NOT NULL,
  image TEXT NOT NULL,
  image_id TEXT NOT NULL,
  digest TEXT,
  outcome TEXT NOT NULL CHECK (outcome IN ('pass', 'fail')),
  checks TEXT NOT NULL DEFAULT '[]',
  action TEXT,
  checked_at TEXT NOT NULL
);
CREATE INDEX container_checks_by_container ON container_checks (host, container_id, checked_at, seq);
CREATE INDEX container_checks_by_time ON container_checks (checked_at, seq);
CREATE INDEX container_checks_by_host ON container_checks (host, checked_at, seq);
CREATE TABLE grace_clocks (
  subject TEXT NOT NULL,
  finding TEXT NOT NULL,
  severity TEXT NOT NULL,
  started_at TEXT NOT NULL,
  ends_at TEXT NOT NULL,
  PRIMARY KEY (subject, finding)
);
CREATE INDEX grace_clocks_by_end ON grace_clocks (ends_at, subject, finding);
`,
  postgres: `
CREATE TABLE container_checks (
  seq bigserial PRIMARY KEY,
  host text NOT NULL,
  container_id text NOT NULL,
  container_name text NOT NULL,
  image text NOT NULL,
  image_id text NOT NULL,
  digest text,
  outcome text NOT NULL CHECK (outcome IN ('pass', 'fail')),
  checks json NOT NULL DEFAULT '[]',
  action text,
  checked_at timestamptz NOT NULL
);
CREATE INDEX container_checks_by_container ON container_checks (host, container_id, checked_at, seq);
CREATE INDEX container_checks_by_time ON container_checks (checked_at, seq);
CREATE INDEX container_checks_by_host ON container_checks (host, checked_at, seq);
CREATE TABLE grace_clocks (
  subject text NOT NULL,
  finding text NOT NULL,
  severity text NOT NULL,
  started_at timestamptz NOT NULL,
  ends_at timestamptz NOT NULL,
  PRIMARY KEY (subject, finding)
);
CREATE INDEX grace_clocks_by_end ON grace_clocks (ends_at, subject, finding);
`,
};
