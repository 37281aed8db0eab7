/** One header blob as a database backend stores it, before it is parsed. */
export interface RpmHeaderBlob {
  /** The backend's package key: SQLite `hnum`, Berkeley DB record key, ndb package index. */
  key: number;
  blob: Uint8Array;
  /** Where the blob sits, for messages: the database and its key or slot. */
  where: string;
}
