import { readBoundedSync } from "../../io/bounded-read.js";
import { CipError } from "../../model/index.js";
import type { ContainerSnapshot } from "../container-snapshot.js";
import {
  type EngineContainer,
  type EngineContainerSummary,
  type EngineImage,
  type EngineVersion,
  readContainer,
  readContainerSummary,
  readImage,
  readVersion,
} from "./engine-answers.js";
import type { EngineEndpoint, EngineTlsFiles } from "./engine-endpoint.js";
import { engineError } from "./engine-errors.js";
import { type EngineEvent, type EngineEventOptions, streamEvents } from "./engine-events.js";
import { type EngineAnswer, type EngineTlsMaterial, EngineTransport } from "./engine-http.js";
import { field, parseEngineJson, statusError, str } from "./engine-json.js";
import { toSnapshot } from "./to-snapshot.js";

/** The newest API version this client speaks; an engine serving an older one is spoken to in its version. */
export const CLIENT_API_VERSION = "1.47";
/** The oldest API version this client accepts (Docker 1.12); the fields it reads all exist there. */
export const MIN_API_VERSION = "1.24";

/** Limits and settings of a client; every one has a default. */
export interface DockerEngineClientOptions {
  /** Bound of each request, answer included (default 10 s); `stop` adds its grace period to it. */
  timeoutMs?: number;
  /** Largest answer read (default 16 MiB: a list of thousands of containers). */
  maxAnswerBytes?: number;
  /** Connections kept open to the engine, and inspections run at once by `snapshotAll` (default 8). */
  maxConnections?: number;
  /** Bound of connecting the event stream (default 5 s); the stream itself has no deadline. */
  connectTimeoutMs?: number;
  /** Longest event line held (default 64 KiB). */
  maxEventLineBytes?: number;
  /** Use this API version and skip negotiation (DOCKER_API_VERSION of the Docker CLI). */
  apiVersion?: string;
}

/** What a stop, pause or kill did: `done`; `already` when the container was in that state; `gone` when it no longer exists. */
export type EngineActionOutcome = "done" | "already" | "gone";

const TLS_FILE_LIMIT = 1024 * 1024;
/** How podman words "the container is already in that state" in its HTTP 500 answers. */
const ALREADY =
  /not running|can only kill running|already paused|is paused|in state (?:exited|stopped|paused)/i;

/**
 * A client of the Docker Engine API (dockerd, or podman's compatible service) over plain node:http: a
 * keep-alive pool on the unix socket or TCP/TLS endpoint, every request bounded in time and size, answers
 * read defensively. Failures are CipErrors that name the endpoint and say what to check. The API version is
 * negotiated on first use (`GET /version`), as the Docker CLI does.
 */
export class DockerEngineClient {
  readonly endpoint: EngineEndpoint;
  private readonly transport: EngineTransport;
  private readonly timeoutMs: number;
  private readonly maxAnswerBytes: number;
  private readonly concurrency: number;
  private readonly connectTimeoutMs: number;
  private readonly maxEventLineBytes: number;
  private prefix: Promise<string> | undefined;
  private readonly pinned: string | undefined;

  /** Reads the endpoint's TLS files now (CIP_FILE_READ when one is missing); connects only on first use. */
  constructor(endpoint: EngineEndpoint, options: DockerEngineClientOptions = {}) {
    this.endpoint = endpoint;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.maxAnswerBytes = options.maxAnswerBytes ?? 16 * 1024 * 1024;
    this.concurrency = Math.max(1, options.maxConnections ?? 8);
    this.connectTimeoutMs = options.connectTimeoutMs ?? 5_000;
    this.maxEventLineBytes = options.maxEventLineBytes ?? 64 * 1024;
    const tls = endpoint.kind === "tcp" && endpoint.tls ? readTls(endpoint.tls) : undefined;
    this.transport = new EngineTransport(endpoint, tls, this.concurrency);
    if (options.apiVersion !== undefined) {
      this.pinned = options.apiVersion.replace(/^v/, "");
      this.prefix = Promise.resolve(`/v${this.pinned}`);
    }
  }

  /** Checks that the engine answers (`GET /_ping` → `OK`), and takes the API version it announces. */
  async ping(): Promise<void> {
    await this.pingVersion();
  }

  /**
   * The engine's version (`GET /version`), and the API version negotiated from it: the engine's own when
   * older than {@link CLIENT_API_VERSION} (podman 4 serves `1.41`), else ours. Later requests use that
   * prefix. Podman takes about a second to answer this (it asks the package manager about its parts), so
   * the other calls negotiate from `/_ping`'s `API-Version` header instead, as the Docker CLI does.
   */
  async version(): Promise<EngineVersion> {
    const what = "read the container engine's version";
    const answer = await this.transport.request("GET", "/version", this.limits(what));
    if (answer.status !== 200) throw statusError(answer, what, this.endpoint);
    const value = parseEngineJson(answer, what, this.endpoint);
    const negotiated = this.adopt(str(field(value, "ApiVersion")));
    return readVersion(value, negotiated);
  }

  /** The running containers (`GET /containers/json`), in the engine's order. */
  async listRunningContainers(): Promise<EngineContainerSummary[]> {
    const what = "list the running containers";
    const value = await this.getJson(`${await this.api()}/containers/json`, what);
    if (!Array.isArray(value)) throw notShaped(what, "a list", this.endpoint);
    return value.map(readContainerSummary).filter((c): c is EngineContainerSummary => c !== undefined);
  }

  /** One container's inspection; undefined when the engine no longer knows it (404). */
  async inspectContainer(id: string): Promise<EngineContainer | undefined> {
    const what = `inspect container ${id}`;
    const value = await this.getJson(`${await this.api()}/containers/${pathPart(id, what)}/json`, what, true);
    if (value === undefined) return undefined;
    const container = readContainer(value);
    if (container === undefined) throw notShaped(what, "a container", this.endpoint);
    return container;
  }

  /** One image's inspection (repo digests, config); undefined when the engine no longer has it (404). */
  async inspectImage(id: string): Promise<EngineImage | undefined> {
    const what = `inspect image ${id}`;
    const value = await this.getJson(`${await this.api()}/images/${pathPart(id, what)}/json`, what, true);
    if (value === undefined) return undefined;
    const image = readImage(value);
    if (image === undefined) throw notShaped(what, "an image", this.endpoint);
    return image;
  }

  /** What the monitor checks of one container; undefined when it vanished meanwhile (not an error). */
  async snapshot(id: string): Promise<ContainerSnapshot | undefined> {
    const container = await this.inspectContainer(id);
    if (container === undefined) return undefined;
    return toSnapshot(container, await this.imageOf(container));
  }

  /**
   * Snapshots of every running container, `maxConnections` inspections at a time, each image inspected
   * once. Containers that vanish between the list and their inspection are left out.
   */
  async snapshotAll(): Promise<ContainerSnapshot[]> {
    const list = await this.listRunningContainers();
    const images = new Map<string, Promise<EngineImage | undefined>>();
    const results: Array<ContainerSnapshot | undefined> = new Array(list.length);
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < list.length; i = next++) {
        const container = await this.inspectContainer((list[i] as EngineContainerSummary).id);
        if (container === undefined) continue;
        results[i] = toSnapshot(container, await this.imageOf(container, images));
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, list.length) }, worker));
    return results.filter((s): s is ContainerSnapshot => s !== undefined);
  }

  /** Stops a container, killing it after `timeoutSeconds` as the engine does (`POST /containers/{id}/stop?t=`). */
  async stop(id: string, timeoutSeconds: number): Promise<EngineActionOutcome> {
    const seconds = Math.max(0, Math.floor(timeoutSeconds));
    return this.act(id, "stop", `stop?t=${seconds}`, this.timeoutMs + seconds * 1000);
  }

  /** Pauses (freezes) a container (`POST /containers/{id}/pause`). */
  async pause(id: string): Promise<EngineActionOutcome> {
    return this.act(id, "pause", "pause", this.timeoutMs);
  }

  /** Kills a container with SIGKILL (`POST /containers/{id}/kill`). */
  async kill(id: string): Promise<EngineActionOutcome> {
    return this.act(id, "kill", "kill", this.timeoutMs);
  }

  /**
   * Follows container events (default: `start`) as the engine sends them, calling `onEvent` for each; see
   * {@link streamEvents}. Resolves when `options.signal` aborts; rejects when the stream cannot start or breaks.
   */
  async events(options: EngineEventOptions, onEvent: (event: EngineEvent) => void): Promise<void> {
    if (options.signal.aborted) return;
    const limits = { connectTimeoutMs: this.connectTimeoutMs, maxLineBytes: this.maxEventLineBytes };
    return streamEvents(this.transport, await this.api(), options, limits, onEvent);
  }

  /** Frees the pooled connections; the client may still be used (it connects again). */
  close(): void {
    this.transport.close();
  }

  private async imageOf(
    container: EngineContainer,
    cache?: Map<string, Promise<EngineImage | undefined>>,
  ): Promise<EngineImage | undefined> {
    const id = container.imageId !== "" ? container.imageId : container.image;
    if (id === "") return undefined;
    let image = cache?.get(id);
    if (image === undefined) {
      image = this.inspectImage(id);
      cache?.set(id, image);
    }
    return image;
  }

  private async act(
    id: string,
    verb: string,
    action: string,
    timeoutMs: number,
  ): Promise<EngineActionOutcome> {
    const what = `${verb} container ${id}`;
    const path = `${await this.api()}/containers/${pathPart(id, what)}/${action}`;
    const answer = await this.transport.request("POST", path, { ...this.limits(what), timeoutMs });
    if (answer.status === 204 || answer.status === 200) return "done";
    if (answer.status === 304) return "already";
    if (answer.status === 404) return "gone";
    // A pause of a paused container, a kill of a stopped one: Docker says 409, podman 500 naming the state
    if (answer.status === 409 || (answer.status === 500 && ALREADY.test(answer.body.toString("utf8")))) {
      return "already";
    }
    throw statusError(answer, what, this.endpoint);
  }

  private async getJson(path: string, what: string, notFoundIsUndefined = false): Promise<unknown> {
    const answer: EngineAnswer = await this.transport.request("GET", path, this.limits(what));
    if (answer.status === 404 && notFoundIsUndefined) return undefined;
    if (answer.status !== 200) throw statusError(answer, what, this.endpoint);
    return parseEngineJson(answer, what, this.endpoint);
  }

  private limits(what: string) {
    return { what, timeoutMs: this.timeoutMs, maxBytes: this.maxAnswerBytes };
  }

  /** The negotiated version prefix (`/v1.41`), negotiating once; a failed negotiation is retried next time. */
  private api(): Promise<string> {
    if (this.prefix === undefined) {
      const pending = this.pingVersion().then((announced) =>
        announced === ""
          ? this.version().then(() => this.prefix as Promise<string>)
          : (this.prefix as Promise<string>),
      );
      this.prefix = pending;
      pending.catch(() => {
        if (this.prefix === pending) this.prefix = undefined;
      });
    }
    return this.prefix;
  }

  /** Pings; adopts and returns the API version the engine announces in its headers ("" when it does not). */
  private async pingVersion(): Promise<string> {
    const what = "reach the container engine";
    const answer = await this.transport.request("GET", "/_ping", this.limits(what));
    if (answer.status !== 200) throw statusError(answer, what, this.endpoint);
    const header = answer.headers["api-version"];
    const announced = typeof header === "string" ? header.trim() : "";
    if (announced !== "") this.adopt(announced);
    return announced;
  }

  /** Uses the API version negotiated from what the engine serves (unless pinned); refuses too old an engine. */
  private adopt(served: string): string {
    if (this.pinned !== undefined) return this.pinned;
    const negotiated = negotiate(served);
    if (negotiated !== "" && compareApi(negotiated, MIN_API_VERSION) < 0) {
      throw engineError(
        "use the container engine",
        `it serves API ${served}, older than the ${MIN_API_VERSION} this client needs`,
        this.endpoint,
        "Upgrade the engine (Docker 1.12 or later, podman 3 or later).",
      );
    }
    this.prefix = Promise.resolve(negotiated === "" ? "" : `/v${negotiated}`);
    return negotiated;
  }
}

function negotiate(served: string): string {
  if (!/^\d+\.\d+$/.test(served)) return served === "" ? "" : CLIENT_API_VERSION;
  return compareApi(served, CLIENT_API_VERSION) < 0 ? served : CLIENT_API_VERSION;
}

function compareApi(a: string, b: string): number {
  const [aMajor = 0, aMinor = 0] = a.split(".").map(Number);
  const [bMajor = 0, bMinor = 0] = b.split(".").map(Number);
  return aMajor - bMajor || aMinor - bMinor;
}

/** An id or name as one path segment; empty or oversized ones are a usage error, not a request. */
function pathPart(id: string, what: string): string {
  if (id === "" || id.length > 1024) {
    throw new CipError("CIP_USAGE", `Cannot ${what}: the id is ${id === "" ? "empty" : "too long"}`, {
      hint: "Give a container or image id or name as the engine lists it.",
    });
  }
  return encodeURIComponent(id);
}

function notShaped(what: string, expected: string, endpoint: EngineEndpoint): CipError {
  return engineError(
    what,
    `the answer is not ${expected} as the Docker Engine API describes it`,
    endpoint,
    "Is this address a Docker-compatible engine API?",
  );
}

function readTls(files: EngineTlsFiles): EngineTlsMaterial {
  const read = (path: string, what: string) =>
    readBoundedSync(path, {
      maxBytes: TLS_FILE_LIMIT,
      what,
      where: path,
      limitName: "TLS file",
      limitHint: "A PEM certificate or key is a few KiB; check the file.",
      missingHint:
        "DOCKER_TLS_VERIFY is set: put ca.pem, cert.pem and key.pem in DOCKER_CERT_PATH (default ~/.docker).",
    }).toString("utf8");
  return {
    ca: read(files.ca, "the engine's CA certificate"),
    cert: read(files.cert, "the engine client certificate"),
    key: read(files.key, "the engine client key"),
  };
}
