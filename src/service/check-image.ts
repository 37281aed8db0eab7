import { formatImageReference } from "../image/image-reference.js";
import { parseIgnoreFile } from "../ingest/ignore-files.js";
import type { DecisionV1, ImageFacts, Problem, Severity } from "../model/index.js";
import { compileAllowlist } from "../policy/allowlist.js";
import type { CompiledBundle } from "../policy/compile-bundle.js";
import { evaluate } from "../policy/evaluate.js";
import type { InputText } from "./gather-facts.js";
import { ignoreAllowlists } from "./ignore-allowlist.js";
import { leaveOutUnfixed } from "./only-fixed.js";

/** What a check needs besides the bundle and the facts. */
export interface CheckOptions {
  now: Date;
  /** Kubernetes namespace the image is checked for (mapping selectors, allowlist scopes). */
  namespace?: string;
  /** Deployment environment the image is checked for (mapping selectors). */
  environment?: string;
  /** Labels of that namespace (mapping selectors, allowlist scopes). */
  namespaceLabels?: Record<string, string>;
  /** Annotations of the pod the image runs in (mapping selectors, allowlist scopes). */
  annotations?: Record<string, string>;
  expiryWarningDays?: number;
  /** Notes from gathering the facts, to lead the decision's problems. */
  notes?: Problem[];
  /** Leave findings without a fix out of the evaluation (Grype's --only-fixed, Trivy's --ignore-unfixed). */
  onlyFixed?: boolean;
  /** Ignore files (.trivyignore, .trivyignore.yaml, .grype.yaml): their rules suppress matching findings. */
  ignoreFiles?: InputText[];
  /** Fail when a finding at or above this severity is present and not suppressed (Grype's --fail-on). */
  failOnSeverity?: Severity;
}

/** The check use case: evaluate one image's facts with a compiled bundle, in the given context. */
export function checkImage(bundle: CompiledBundle, facts: ImageFacts, options: CheckOptions): DecisionV1 {
  const notes: Problem[] = [...(options.notes ?? [])];
  const context = {
    ...facts.context,
    ...(options.namespace !== undefined ? { namespace: options.namespace } : {}),
    ...(options.environment !== undefined ? { environment: options.environment } : {}),
    ...(options.namespaceLabels !== undefined ? { namespaceLabels: options.namespaceLabels } : {}),
    ...(options.annotations !== undefined ? { annotations: options.annotations } : {}),
  };
  let withContext: ImageFacts = Object.keys(context).length > 0 ? { ...facts, context } : facts;
  if (options.onlyFixed) {
    const left = leaveOutUnfixed(withContext);
    withContext = left.facts;
    if (left.note) notes.push(left.note);
  }
  const files = (options.ignoreFiles ?? []).map((f) => parseIgnoreFile(f.text, f.source));
  const ignored = ignoreAllowlists(files, withContext.vulnerabilities ?? []);
  notes.push(...ignored.notes);
  const extraAllowlists = ignored.allowlists.map((list) => {
    const { compiled, problems } = compileAllowlist(list, list.id);
    notes.push(...problems);
    return compiled;
  });
  return evaluate(bundle, withContext, {
    now: options.now,
    imageRef: formatImageReference(facts.ref),
    ...(options.expiryWarningDays !== undefined ? { expiryWarningDays: options.expiryWarningDays } : {}),
    notes,
    ...(extraAllowlists.length > 0 ? { extraAllowlists } : {}),
    ...(options.failOnSeverity !== undefined ? { failOnSeverity: options.failOnSeverity } : {}),
  });
}
