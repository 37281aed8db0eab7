import { collectDefaultMetrics, type Metric, Registry } from "prom-client";
import type { Handler } from "./router.js";

/** Duration buckets in seconds: fine below a millisecond, where cached admission answers land, up to 5 s. */
export const DURATION_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
] as const;

/** Outcome of a decision cache lookup. */
export type CacheResult = "hit" | "miss" | "coalesced";

/** Counts of one route and method, bound once so a request only adds to numbers. */
export interface RouteMetrics {
  /** Records one answered request with its status and duration in seconds. */
  observe(status: number, seconds: number): void;
}

/** The metrics of one server instance, in a registry of its own (never prom-client's global one). */
export interface ServerMetrics {
  readonly registry: Registry;
  /** Pre-bound counters for a route (its pattern or name) and method; call once per route, at registration. */
  forRoute(route: string, method: string): RouteMetrics;
  /** One decision made, by origin (`admission`, `api`, …) and outcome (`pass`, `fail`, `unknown`). */
  decision(origin: string, outcome: string): void;
  /** One decision cache lookup. */
  cache(result: CacheResult): void;
  /** One failed store operation. */
  storeError(): void;
  /** Event messages received from a sender (`harbor`, `distribution`, …). */
  events(sender: string, messages: number): void;
  /** The Prometheus text exposition and its content type. */
  exposition(): Promise<{ contentType: string; text: string }>;
}

/**
 * Makes a registry with the HTTP, decision, cache and store metrics plus Node's default process metrics.
 * The per-request metrics are plain numbers the registry reads at scrape time: prom-client's own label
 * children hash their labels on every increment, which costs more than a cached admission answer.
 */
export function createMetrics(options: { defaultMetrics?: boolean } = {}): ServerMetrics {
  const registry = new Registry();
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry });
  const requests = new FastCounter(
    "cipolice_http_requests_total",
    "HTTP requests answered, by route pattern, method and status",
    ["route", "method", "status"],
  );
  const duration = new FastHistogram(
    "cipolice_http_request_duration_seconds",
    "Time from request start to answer, by route pattern and method",
    ["route", "method"],
    DURATION_BUCKETS,
  );
  const decisions = new FastCounter("cipolice_decisions_total", "Decisions made, by origin and outcome", [
    "origin",
    "outcome",
  ]);
  const cache = new FastCounter(
    "cipolice_decision_cache_total",
    "Decision cache lookups, by result (hit, miss, coalesced with a lookup in flight)",
    ["result"],
  );
  const storeErrors = new FastCounter("cipolice_store_errors_total", "Store operations that failed", []);
  const events = new FastCounter(
    "cipolice_event_messages_total",
    "Event messages received over HTTP, by sender",
    ["sender"],
  );
  for (const metric of [requests, duration, decisions, cache, storeErrors, events]) {
    registry.registerMetric(metric as unknown as Metric);
  }
  const cacheChildren = {
    hit: cache.child(["hit"]),
    miss: cache.child(["miss"]),
    coalesced: cache.child(["coalesced"]),
  };
  const storeChild = storeErrors.child([]);
  // By origin, then outcome: two lookups cost less than building a key text per decision
  const decisionChildren = new Map<string, Map<string, CounterChild>>();
  const eventChildren = new Map<string, CounterChild>();

  return {
    registry,
    forRoute(route, method) {
      const histogram = duration.child([route, method]);
      // Statuses seen on a route are few; a child per status is bound on first use and reused after.
      const byStatus = new Map<number, CounterChild>();
      return {
        observe(status, seconds) {
          let child = byStatus.get(status);
          if (child === undefined) {
            child = requests.child([route, method, String(status)]);
            byStatus.set(status, child);
          }
          child.value++;
          histogram.observe(seconds);
        },
      };
    },
    decision(origin, outcome) {
      let byOutcome = decisionChildren.get(origin);
      if (byOutcome === undefined) {
        byOutcome = new Map();
        decisionChildren.set(origin, byOutcome);
      }
      let child = byOutcome.get(outcome);
      if (child === undefined) {
        child = decisions.child([origin, outcome]);
        byOutcome.set(outcome, child);
      }
      child.value++;
    },
    cache(result) {
      cacheChildren[result].value++;
    },
    storeError() {
      storeChild.value++;
    },
    events(sender, messages) {
      let child = eventChildren.get(sender);
      if (child === undefined) {
        child = events.child([sender]);
        eventChildren.set(sender, child);
      }
      child.value += messages;
    },
    async exposition() {
      return { contentType: registry.contentType, text: await registry.metrics() };
    },
  };
}

/** The `GET /metrics` handler: Prometheus text exposition of the server's registry. */
export function metricsHandler(metrics: ServerMetrics): Handler {
  return async (_req, res) => {
    const { contentType, text } = await metrics.exposition();
    res.send(200, text, contentType);
  };
}

interface CounterChild {
  labels: Record<string, string>;
  value: number;
}

interface MetricValue {
  value: number;
  labels: Record<string, string | number>;
  metricName?: string;
}

/** A counter whose children are plain objects; prom-client's Registry reads it through `get()`. */
class FastCounter {
  readonly type = "counter";
  readonly aggregator = "sum";
  private readonly children = new Map<string, CounterChild>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly string[],
  ) {}

  child(values: readonly string[]): CounterChild {
    const key = values.join("\u0000");
    let child = this.children.get(key);
    if (child === undefined) {
      child = { labels: labelsOf(this.labelNames, values), value: 0 };
      this.children.set(key, child);
    }
    return child;
  }

  get() {
    const values: MetricValue[] = [];
    for (const c of this.children.values()) values.push({ value: c.value, labels: c.labels });
    // A counter without labels is reported at 0 before its first increment, as prom-client does.
    if (values.length === 0 && this.labelNames.length === 0) values.push({ value: 0, labels: {} });
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  reset(): void {
    for (const c of this.children.values()) c.value = 0;
  }
}

class HistogramChild {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(
    readonly labels: Record<string, string>,
    private readonly bounds: readonly number[],
  ) {
    this.counts = new Float64Array(bounds.length);
  }

  observe(value: number): void {
    this.sum += value;
    this.count++;
    const bounds = this.bounds;
    for (let i = 0; i < bounds.length; i++) {
      if (value <= (bounds[i] as number)) {
        (this.counts as Float64Array)[i] = (this.counts[i] as number) + 1;
        return;
      }
    }
  }
}

/** A histogram whose children count into arrays; cumulated into `le` buckets only when scraped. */
class FastHistogram {
  readonly type = "histogram";
  readonly aggregator = "sum";
  private readonly children = new Map<string, HistogramChild>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly string[],
    private readonly bounds: readonly number[],
  ) {}

  child(values: readonly string[]): HistogramChild {
    const key = values.join("\u0000");
    let child = this.children.get(key);
    if (child === undefined) {
      child = new HistogramChild(labelsOf(this.labelNames, values), this.bounds);
      this.children.set(key, child);
    }
    return child;
  }

  get() {
    const values: MetricValue[] = [];
    for (const c of this.children.values()) {
      let cumulative = 0;
      this.bounds.forEach((le, i) => {
        cumulative += c.counts[i] as number;
        values.push({ value: cumulative, labels: { le, ...c.labels }, metricName: `${this.name}_bucket` });
      });
      values.push({ value: c.count, labels: { le: "+Inf", ...c.labels }, metricName: `${this.name}_bucket` });
      values.push({ value: c.sum, labels: c.labels, metricName: `${this.name}_sum` });
      values.push({ value: c.count, labels: c.labels, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  reset(): void {
    for (const c of this.children.values()) {
      c.counts.fill(0);
      c.sum = 0;
      c.count = 0;
    }
  }
}

function labelsOf(names: readonly string[], values: readonly string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  names.forEach((name, i) => {
    labels[name] = values[i] ?? "";
  });
  return labels;
}
