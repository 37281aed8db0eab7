import type { Migration } from "./migration.js";

/**
 * The event ledger (one row per message id: who holds it, how it ended, each action's outcome) and the
 * verdicts rule actions put on images. Message and outcomes are JSON text in SQLite and json in PostgreSQL.
 */
export const EVENTS_AND_VERDICTS: Migration = {
  version: 2,
  name: "events-and-verdicts",
  sqlite: `
CREATE TABLE events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  message_id TEXT NOT NULL UNIQUE,
  source TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('running', 'done', 'dead_lettered')),
  received_at TEXT NOT NULL,
  claimed_at TEXT NOT NULL,
  finished_at TEXT,
  message TEXT,
  outcomes TEXT NOT NULL DEFAULT '[]',
  reason TEXT
);
CREATE INDEX events_by_time ON events (received_at, seq);
CREATE TABLE verdicts (
  subject TEXT PRIMARY KEY,
  verdict TEXT NOT NULL CHECK (verdict IN ('accept', 'reject')),
  reason TEXT NOT NULL,
  set_by TEXT NOT NULL,
  set_at TEXT NOT NULL
);
`,
  postgres: `
CREATE TABLE events (
  seq bigserial PRIMARY KEY,
  message_id text NOT NULL UNIQUE,
  source text NOT NULL,
  state text NOT NULL CHECK (state IN ('running', 'done', 'dead_lettered')),
  received_at timestamptz NOT NULL,
  claimed_at timestamptz NOT NULL,
  finished_at timestamptz,
  message json,
  outcomes json NOT NULL DEFAULT '[]',
  reason text
);
CREATE INDEX events_by_time ON events (received_at, seq);
CREATE TABLE verdicts (
  subject text PRIMARY KEY,
  verdict text NOT NULL CHECK (verdict IN ('accept', 'reject')),
  reason text NOT NULL,
  set_by text NOT NULL,
  set_at timestamptz NOT NULL
);
`,
};
