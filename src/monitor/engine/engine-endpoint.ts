import { homedir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import { CipError } from "../../model/index.js";

/** The engine's socket when neither `--host` nor DOCKER_HOST names one, as for the Docker CLI. */
export const DEFAULT_ENGINE_SOCKET = "/var/run/docker.sock";

/** The TLS files of a `tcp://` endpoint, read from DOCKER_CERT_PATH as the Docker CLI does. */
export interface EngineTlsFiles {
  /** CA that signed the engine's certificate (`ca.pem`). */
  ca: string;
  /** Client certificate (`cert.pem`). */
  cert: string;
  /** Client key (`key.pem`). */
  key: string;
}

/** Where the container engine answers: a unix socket, or a TCP address (with TLS when verified). */
export type EngineEndpoint =
  | { kind: "unix"; socketPath: string; display: string }
  | { kind: "tcp"; host: string; port: number; tls?: EngineTlsFiles; display: string };

/** The environment variables read here (a subset of `process.env`). */
export type EngineEnv = Readonly<Record<string, string | undefined>>;

const DOCKER_PORT = 2375;
const DOCKER_TLS_PORT = 2376;

/**
 * Resolves where the engine is as the Docker CLI does: `flag` (`--host`) first, then DOCKER_HOST
 * (`unix:///path` or `tcp://host[:port]`), else {@link DEFAULT_ENGINE_SOCKET}. A non-empty DOCKER_TLS_VERIFY
 * turns on verified TLS with `ca.pem`, `cert.pem` and `key.pem` from DOCKER_CERT_PATH (default `~/.docker`).
 * The files are only named here; the client reads them. Other schemes (`ssh://`, `npipe://`) are refused.
 */
export function engineEndpoint(env: EngineEnv, flag?: string): EngineEndpoint {
  const fromFlag = flag !== undefined && flag.trim() !== "";
  const raw = fromFlag ? (flag as string).trim() : (env.DOCKER_HOST ?? "").trim();
  const source = fromFlag ? "--host" : "DOCKER_HOST";
  const tls = (env.DOCKER_TLS_VERIFY ?? "") !== "" ? tlsFiles(env) : undefined;
  if (raw === "") return unixEndpoint(DEFAULT_ENGINE_SOCKET);
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(raw)?.[1]?.toLowerCase();
  if (scheme === "unix") {
    const path = raw.slice("unix://".length);
    if (path === "") throw badHost(raw, source, "the socket path is empty");
    return unixEndpoint(isAbsolute(path) ? path : resolve(path));
  }
  if (scheme === "tcp") return tcpEndpoint(raw, source, tls);
  if (scheme === undefined) {
    // The Docker CLI reads a bare `host:port` as tcp, and a bare path as a socket
    if (raw.startsWith("/")) return unixEndpoint(raw);
    return tcpEndpoint(`tcp://${raw}`, source, tls);
  }
  throw badHost(raw, source, `the scheme ${scheme}:// is not supported`);
}

function unixEndpoint(socketPath: string): EngineEndpoint {
  return { kind: "unix", socketPath, display: `unix://${socketPath}` };
}

function tcpEndpoint(raw: string, source: string, tls: EngineTlsFiles | undefined): EngineEndpoint {
  let url: URL;
  try {
    // http: so that URL parses host and port; the scheme itself is not used
    url = new URL(`http://${raw.slice("tcp://".length)}`);
  } catch {
    throw badHost(raw, source, "it is not a valid tcp://host:port address");
  }
  if (url.hostname === "") throw badHost(raw, source, "the host name is empty");
  if ((url.pathname !== "/" && url.pathname !== "") || url.search !== "" || url.username !== "") {
    throw badHost(raw, source, "a tcp:// address takes a host and a port only");
  }
  const port = url.port === "" ? (tls ? DOCKER_TLS_PORT : DOCKER_PORT) : Number(url.port);
  // URL keeps IPv6 brackets in hostname; sockets want them off
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  const display = `tcp://${url.hostname}:${port}`;
  return tls ? { kind: "tcp", host, port, tls, display } : { kind: "tcp", host, port, display };
}

function tlsFiles(env: EngineEnv): EngineTlsFiles {
  const dir = (env.DOCKER_CERT_PATH ?? "") !== "" ? (env.DOCKER_CERT_PATH as string) : defaultCertDir(env);
  return { ca: join(dir, "ca.pem"), cert: join(dir, "cert.pem"), key: join(dir, "key.pem") };
}

function defaultCertDir(env: EngineEnv): string {
  return join(env.HOME !== undefined && env.HOME !== "" ? env.HOME : homedir(), ".docker");
}

function badHost(raw: string, source: string, reason: string): CipError {
  return new CipError("CIP_USAGE", `Cannot use the engine address "${raw}": ${reason} (${source})`, {
    hint: "Give unix:///path/to/docker.sock or tcp://host:port, as for the Docker CLI.",
  });
}
