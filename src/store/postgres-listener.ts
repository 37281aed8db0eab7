import pg from "pg";

/** The NOTIFY channel of report changes; the payload is the digest. */
export const REPORTS_CHANNEL = "cipolice_reports";

const FIRST_RETRY_MS = 200;
const LONGEST_RETRY_MS = 5_000;

/**
 * A dedicated connection that LISTENs on REPORTS_CHANNEL. After a lost connection it reconnects with
 * doubling delays (200 ms up to 5 s, forever, saying so through `warn` at each attempt) and, once listening
 * again, calls `onChange(undefined)`: notifications sent while it was away are lost.
 */
export class PostgresChangeListener {
  #client: pg.Client | undefined;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  // Clients whose connection ended, even before they became the current one
  readonly #ended = new WeakSet<pg.Client>();

  constructor(
    private readonly config: pg.ClientConfig,
    private readonly location: string,
    private readonly onChange: (digest: string | undefined) => void,
    private readonly warn: (message: string, error?: unknown) => void,
  ) {}

  /** Connects and listens; throws (the driver error) when that fails. */
  async start(): Promise<void> {
    this.#client = await this.#connect();
  }

  /** True while the LISTEN connection is up. */
  get listening(): boolean {
    return this.#client !== undefined;
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    const client = this.#client;
    this.#client = undefined;
    await client?.end().catch(() => {});
  }

  async #connect(): Promise<pg.Client> {
    const client = new pg.Client(this.config);
    // Errors after a failed connect or after close are expected; only the current client's matter
    client.on("error", (error) => {
      this.#ended.add(client);
      this.#lost(client, error);
    });
    client.on("end", () => {
      this.#ended.add(client);
      this.#lost(client);
    });
    client.on("notification", (message) => {
      if (message.channel === REPORTS_CHANNEL) this.onChange(message.payload || undefined);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${REPORTS_CHANNEL}`);
      if (this.#ended.has(client)) throw new Error("Connection terminated right after LISTEN");
      return client;
    } catch (error) {
      await client.end().catch(() => {});
      throw error;
    }
  }

  #lost(client: pg.Client, error?: unknown): void {
    if (client !== this.#client || this.#closed) return;
    this.#client = undefined;
    client.end().catch(() => {});
    this.warn(`Lost the connection that listens for report changes; reconnecting (${this.location})`, error);
    this.#schedule(FIRST_RETRY_MS);
  }

  #schedule(delay: number): void {
    this.#timer = setTimeout(() => void this.#reconnect(delay), delay);
    // A pending retry alone must not keep a process alive that has nothing else to do
    this.#timer.unref();
  }

  async #reconnect(delay: number): Promise<void> {
    if (this.#closed) return;
    try {
      const client = await this.#connect();
      if (this.#closed) {
        await client.end().catch(() => {});
        return;
      }
      this.#client = client;
      this.warn(`Listening for report changes again; caches drop everything (${this.location})`);
      this.onChange(undefined);
    } catch (error) {
      const next = Math.min(LONGEST_RETRY_MS, delay * 2);
      this.warn(
        `Cannot listen for report changes yet, retrying in ${next} ms: ${(error as Error).message || String(error)} (${this.location})`,
        error,
      );
      this.#schedule(next);
    }
  }
}
