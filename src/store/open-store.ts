import { CipError } from "../model/index.js";
import type { Store } from "../service/store-ports.js";
import { driverMessage } from "./store-error.js";
import type { OpenStoreOptions } from "./store-options.js";

export type { OpenStoreOptions } from "./store-options.js";

/** A store spec taken apart: which adapter, and what it opens. */
export type StoreSpec = { kind: "sqlite"; path: string } | { kind: "postgres"; url: string };

const ACCEPTED_FORMS =
  "sqlite:PATH, a path ending in .db, .sqlite or .sqlite3, or postgres://… / postgresql://…";

/**
 * Reads a store spec: `sqlite:PATH` (`sqlite::memory:` for a private in-memory database), a bare path ending
 * in .db/.sqlite/.sqlite3, or a `postgres://` / `postgresql://` URL. Anything else is CIP_USAGE naming the
 * accepted forms.
 */
export function parseStoreSpec(spec: string): StoreSpec {
  const trimmed = spec.trim();
  if (/^postgres(ql)?:\/\//i.test(trimmed)) return { kind: "postgres", url: trimmed };
  if (/^sqlite:/i.test(trimmed)) {
    // sqlite:///abs/path reads as a URL would; sqlite:relative/path as the path it says
    const rest = trimmed.slice("sqlite:".length).replace(/^\/\/(?=\/)/, "");
    if (rest !== "") return { kind: "sqlite", path: rest };
  } else if (/\.(db|sqlite|sqlite3)$/i.test(trimmed) && !/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed)) {
    return { kind: "sqlite", path: trimmed };
  }
  // The spec may be a URL with a password: show only its scheme
  const shown = /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? `${trimmed.split(":")[0]}://…` : trimmed;
  throw new CipError(
    "CIP_USAGE",
    `Cannot open the store: "${shown}" is not a store spec (${ACCEPTED_FORMS})`,
    {
      hint: "Give sqlite:/var/lib/cipolice/store.db for one machine, or postgres://user@host/db for replicas.",
    },
  );
}

/**
 * Opens the store a spec names and applies pending migrations. The adapter is loaded only now, so a SQLite
 * user never loads `pg` and a PostgreSQL user never loads better-sqlite3. Failures are CIP_STORE (CIP_USAGE
 * for a spec that names no store).
 */
export async function openStore(spec: string, options: OpenStoreOptions = {}): Promise<Store> {
  const parsed = parseStoreSpec(spec);
  if (parsed.kind === "sqlite") {
    const { openSqliteStore } = await loadAdapter("sqlite", () => import("./sqlite-store.js"));
    return openSqliteStore(parsed.path, options);
  }
  const { openPostgresStore } = await loadAdapter("postgres", () => import("./postgres-store.js"));
  return openPostgresStore(parsed.url, options);
}

async function loadAdapter<T>(kind: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    const driver = kind === "sqlite" ? "better-sqlite3" : "pg";
    throw new CipError(
      "CIP_STORE",
      `Cannot open the store: the ${driver} driver does not load: ${driverMessage(error)} (${kind})`,
      {
        hint: `Reinstall cipolice so that ${driver} is installed${kind === "sqlite" ? " and its native module built for this Node.js" : ""}.`,
        cause: error,
      },
    );
  }
}
