import type { ErrorCode, ImageFacts, VexAssessment } from "../model/index.js";
import type { TriggerParams } from "./trigger-params.js";

/**
 * How a parameter value (always a string in the bundle) is checked and parsed, after anchore-engine's
 * parameter classes: `string` (any string), `boolean` ("true"/"false", any case), `integer` (digits),
 * `float`, `enum` (one of `values`), `enum-list` (comma list, each one of `values`), `string-list`
 * (comma list), `int-list` (comma list of integers), `pipe-list` (`a|b|c`), `name-version-list`
 * (`name|version,name|version`), `regex` (a Python-style regular expression that must compile).
 */
export type ParamKind =
  | "string"
  | "boolean"
  | "integer"
  | "float"
  | "enum"
  | "enum-list"
  | "string-list"
  | "int-list"
  | "pipe-list"
  | "name-version-list"
  | "regex";

/** One trigger parameter as the catalog declares it. Names are lower case. */
export interface ParamSpec {
  name: string;
  description: string;
  kind: ParamKind;
  required?: boolean;
  /** Allowed values for `enum` and `enum-list`. */
  values?: readonly string[];
  /** The default the trigger applies when the parameter is absent (documentation and `policy gates`). */
  default?: string;
  example?: string;
}

/** What a trigger reports for one hit. */
export interface TriggerHit {
  message: string;
  /** Explicit trigger id (`CVE-1+pkg`); otherwise md5(gate + trigger + message), as anchore-engine. */
  instanceId?: string;
  /** The VEX assessment of the finding behind the hit; not_affected and fixed suppress it. */
  vex?: VexAssessment;
}

/** What a compiled trigger sees when it runs against one image. */
export interface TriggerContext<G = unknown> {
  facts: ImageFacts;
  /** Data the gate prepared once for all its triggers on this image. */
  gate: G;
  /** Evaluation time: triggers never read the clock. */
  now: Date;
  /** Id of the rule being evaluated (some anchore trigger ids include it). */
  ruleId?: string;
  /** Digest of the bundle being evaluated (a verification summary must be for it). */
  bundleDigest?: string;
  fire(hit: TriggerHit): void;
  /**
   * Says the trigger had no data to decide on (no Dockerfile, no vulnerability data, …), so not firing means
   * "not known", not "checked and fine". The decision carries it as a note; explain shows it on the rule.
   */
  noData(reason: string): void;
}

/**
 * A kind of data a rule reads, so that a caller gathers only what the rules it will evaluate need:
 * - `reference`: the image reference as asked for (registry, repository, tag, and the digest when the
 *   reference pins one); it is always at hand, no lookup needed.
 * - `digest`: the manifest digest even when the reference does not pin it (`image.digest` in CEL, digest
 *   mappings). Free when the reference pins a digest; otherwise it takes a registry read (counted as `config`).
 * - `config`: what a registry read of the manifest and image config gives: config, Dockerfile rebuilt from the
 *   history, layers, size, platform, image id.
 * - `reports`: what scanner reports and layer analyses give: vulnerabilities, packages, distro, SBOM content,
 *   files, secrets, malware scans, feeds. They are stored by digest, so reading them resolves the digest too.
 * - `signatures`: the cosign signatures and attestations beside the image in its registry, verified against
 *   the known keys: registry reads of the `.sig` and `.att` tags, after the digest.
 */
export type DataNeed = "reference" | "digest" | "config" | "reports" | "signatures";

/** The data a gate or trigger reads; empty for one that reads nothing (`always`). */
export type DataNeeds = readonly DataNeed[];

/** A trigger compiled with its parameters: run it once per image. */
export type TriggerEvaluator<G = unknown> = (ctx: TriggerContext<G>) => void;

/** A trigger of a gate: its parameters and how it compiles them into an evaluator. */
export interface TriggerSpec<G = unknown> {
  name: string;
  description: string;
  params: readonly ParamSpec[];
  /** Fixed trigger id for every hit (anchore's `__trigger_id__`), e.g. `always`. */
  fixedId?: string;
  /** `eol` triggers are rejected in strict validation and only noted otherwise. */
  lifecycle?: "active" | "deprecated" | "eol";
  /**
   * What the trigger reads, when it differs from its gate's `needs`: fixed, or decided by the rule's
   * parameters (a metadata attribute, a CEL expression's variables). Called on parameters that compiled.
   */
  needs?: DataNeeds | ((params: TriggerParams) => DataNeeds);
  /**
   * Checks values beyond their kind (a regex compiles, a CEL expression type-checks) and builds the
   * evaluator. Throw a `ParamValueError` to reject a value; it becomes a validation problem.
   */
  compile(params: TriggerParams): TriggerEvaluator<G>;
}

/** A gate: a group of triggers sharing a kind of facts. One file per gate under `gates/`. */
export interface GateSpec<G = unknown> {
  name: string;
  description: string;
  triggers: readonly TriggerSpec<G>[];
  /** What the gate's triggers read, unless a trigger declares its own `needs`. Every gate declares it. */
  needs: DataNeeds;
  /** Prepares data shared by the gate's triggers for one image (parsed files, indexes). */
  prepare?(facts: ImageFacts, now: Date): G;
  /** Whether the gate's facts come from a layer analysis (a later stage) rather than config or reports. */
  needsLayerAnalysis?: boolean;
}

/** Thrown by `compile` for a parameter value that cannot be used. */
export class ParamValueError extends Error {
  readonly param: string;
  /** The problem's code; CIP_BUNDLE_INVALID when not given. */
  readonly code: ErrorCode | undefined;
  constructor(param: string, message: string, code?: ErrorCode) {
    super(message);
    this.name = "ParamValueError";
    this.param = param;
    this.code = code;
  }
}
