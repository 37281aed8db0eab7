import type { Reply } from "./reply.js";
import type { ParsedRequest } from "./request.js";

/** A route handler: parse, call one service function, answer through `res`. */
export type Handler = (req: ParsedRequest, res: Reply) => Promise<void>;

/** What a route asks of the middleware around its handler. */
export interface RouteOptions {
  /** Label in metrics and logs; default the path pattern. */
  name?: string;
  /** The handler must have answered within this many ms; default the server's (10 000). */
  deadlineMs?: number;
  /**
   * Answers when the deadline passes first (a fail-mode answer for admission); it must answer synchronously.
   * Without one, or when it does not answer, the client gets a 503 CIP_DEADLINE error.
   */
  onDeadline?: (req: ParsedRequest, res: Reply) => void;
  /** Largest request body `body()`/`json()` read; default the server's (4 MiB). */
  bodyLimitBytes?: number;
  /** Require a bearer token; default true. Health, metrics and Kubernetes webhooks turn it off. */
  auth?: boolean;
  /**
   * A synchronous first look at the whole body, once it arrived (within the body limit): true when it
   * answered, and the handler is not run. For answers known from the bytes alone (a repeated admission
   * review), which then need no promise on their way.
   */
  answerFromBody?: (req: ParsedRequest, res: Reply, body: Buffer) => boolean;
}

/** A registered route, as the server runs it. */
export interface Route {
  readonly method: string;
  readonly pattern: string;
  readonly name: string;
  readonly handler: Handler;
  readonly options: RouteOptions;
  /** Pre-bound per-route state the server attaches at registration (metrics children). */
  state?: unknown;
}

/** The result of matching a request: a route with its path parameters, or the methods the path has. */
export type RouteMatch =
  | { route: Route; params: Record<string, string> }
  | { route: undefined; allow: string[] }
  | undefined;

/** The registration side of a router, also given to groups: `routes.get("/healthz", handler)`. */
export interface Routes {
  add(method: string, pattern: string, handler: Handler, options?: RouteOptions): void;
  get(pattern: string, handler: Handler, options?: RouteOptions): void;
  post(pattern: string, handler: Handler, options?: RouteOptions): void;
  put(pattern: string, handler: Handler, options?: RouteOptions): void;
  delete(pattern: string, handler: Handler, options?: RouteOptions): void;
  /** Registers a folder's routes under a prefix: `router.group("/k8s", registerK8sRoutes)`. */
  group(prefix: string, register: (routes: Routes) => void): void;
}

interface ParamRoute {
  /** Literal segments as strings, parameters as `{ name }`. */
  segments: (string | { name: string })[];
  byMethod: Map<string, Route>;
}

/** Static paths (exact match, one map lookup) and `{param}` segment paths, per method. */
export class Router implements Routes {
  private readonly staticRoutes = new Map<string, Map<string, Route>>();
  private readonly paramRoutes: ParamRoute[] = [];
  private readonly listeners: ((route: Route) => void)[] = [];

  add(method: string, pattern: string, handler: Handler, options: RouteOptions = {}): void {
    if (!pattern.startsWith("/")) throw new Error(`route pattern must start with "/": ${pattern}`);
    const upper = method.toUpperCase();
    const route: Route = { method: upper, pattern, name: options.name ?? pattern, handler, options };
    const byMethod = this.methodsOf(pattern);
    if (byMethod.has(upper)) throw new Error(`route registered twice: ${upper} ${pattern}`);
    byMethod.set(upper, route);
    for (const listener of this.listeners) listener(route);
  }

  get(pattern: string, handler: Handler, options?: RouteOptions): void {
    this.add("GET", pattern, handler, options);
  }

  post(pattern: string, handler: Handler, options?: RouteOptions): void {
    this.add("POST", pattern, handler, options);
  }

  put(pattern: string, handler: Handler, options?: RouteOptions): void {
    this.add("PUT", pattern, handler, options);
  }

  delete(pattern: string, handler: Handler, options?: RouteOptions): void {
    this.add("DELETE", pattern, handler, options);
  }

  group(prefix: string, register: (routes: Routes) => void): void {
    register(new PrefixedRoutes(this, trimSlash(prefix)));
  }

  /** Calls `listener` for every route added from now on (the server binds metrics this way). */
  onAdd(listener: (route: Route) => void): void {
    this.listeners.push(listener);
  }

  /** Every route registered, for listings and tests. */
  routes(): Route[] {
    const all: Route[] = [];
    for (const byMethod of this.staticRoutes.values()) all.push(...byMethod.values());
    for (const p of this.paramRoutes) all.push(...p.byMethod.values());
    return all;
  }

  /**
   * Finds the route of a path (without its query) and method; HEAD falls back to GET. Undefined when no
   * route has the path; `allow` lists the path's methods when none is this one. Parameters are
   * percent-decoded; a malformed escape makes the path match nothing.
   */
  match(method: string, path: string): RouteMatch {
    const exact = this.staticRoutes.get(path);
    if (exact !== undefined) return pick(exact, method, EMPTY_PARAMS);
    if (this.paramRoutes.length === 0) return undefined;
    const parts = path.split("/");
    for (const candidate of this.paramRoutes) {
      const params = matchSegments(candidate.segments, parts);
      if (params !== undefined) return pick(candidate.byMethod, method, params);
    }
    return undefined;
  }

  private methodsOf(pattern: string): Map<string, Route> {
    if (!pattern.includes("{")) {
      let byMethod = this.staticRoutes.get(pattern);
      if (byMethod === undefined) {
        byMethod = new Map();
        this.staticRoutes.set(pattern, byMethod);
      }
      return byMethod;
    }
    const segments = pattern.split("/").map((s) => {
      const m = /^\{([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(s);
      if (m) return { name: m[1] as string };
      if (s.includes("{") || s.includes("}"))
        throw new Error(`a parameter must be a whole segment: ${pattern}`);
      return s;
    });
    const same = this.paramRoutes.find((p) => sameShape(p.segments, segments));
    if (same) return same.byMethod;
    const added: ParamRoute = { segments, byMethod: new Map() };
    // Routes with more literal segments win over looser ones of the same length (`/a/b` before `/a/{x}`).
    this.paramRoutes.push(added);
    this.paramRoutes.sort((a, b) => literalCount(b.segments) - literalCount(a.segments));
    return added.byMethod;
  }
}

const EMPTY_PARAMS: Record<string, string> = Object.freeze({}) as Record<string, string>;

class PrefixedRoutes implements Routes {
  constructor(
    private readonly router: Router,
    private readonly prefix: string,
  ) {}

  add(method: string, pattern: string, handler: Handler, options?: RouteOptions): void {
    this.router.add(method, pattern === "/" ? this.prefix : this.prefix + pattern, handler, options);
  }

  get(pattern: string, handler: Handler, options?: RouteOptions): void {
    this.add("GET", pattern, handler, options);
  }

  post(pattern: string, handler: Handler, options?: RouteOptions): void {
    this.add("POST", pattern, handler, options);
  }

  put(pattern: string, handler: Handler, options?: RouteOptions): void {
    this.add("PUT", pattern, handler, options);
  }

  delete(pattern: string, handler: Handler, options?: RouteOptions): void {
    this.add("DELETE", pattern, handler, options);
  }

  group(prefix: string, register: (routes: Routes) => void): void {
    register(new PrefixedRoutes(this.router, this.prefix + trimSlash(prefix)));
  }
}

function pick(byMethod: Map<string, Route>, method: string, params: Record<string, string>): RouteMatch {
  const route = byMethod.get(method) ?? (method === "HEAD" ? byMethod.get("GET") : undefined);
  if (route !== undefined) return { route, params };
  const allow = [...byMethod.keys()];
  if (byMethod.has("GET") && !byMethod.has("HEAD")) allow.push("HEAD");
  return { route: undefined, allow };
}

function matchSegments(
  segments: (string | { name: string })[],
  parts: string[],
): Record<string, string> | undefined {
  if (segments.length !== parts.length) return undefined;
  let params: Record<string, string> | undefined;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i] as string | { name: string };
    const part = parts[i] as string;
    if (typeof segment === "string") {
      if (segment !== part) return undefined;
      continue;
    }
    if (part === "") return undefined;
    let value: string;
    try {
      value = part.includes("%") ? decodeURIComponent(part) : part;
    } catch {
      return undefined;
    }
    params ??= {};
    params[segment.name] = value;
  }
  return params ?? {};
}

function sameShape(a: (string | { name: string })[], b: (string | { name: string })[]): boolean {
  return (
    a.length === b.length &&
    a.every((s, i) => {
      const t = b[i];
      return typeof s === "string" ? s === t : typeof t === "object";
    })
  );
}

function literalCount(segments: (string | { name: string })[]): number {
  return segments.filter((s) => typeof s === "string").length;
}

function trimSlash(prefix: string): string {
  const withSlash = prefix.startsWith("/") ? prefix : `/${prefix}`;
  return withSlash.endsWith("/") ? withSlash.slice(0, -1) : withSlash;
}
