import { formatImageReference } from "../image/image-reference.js";
import type { DecisionV1, ImageFacts, Problem } from "../model/index.js";
import type { CompiledBundle } from "../policy/compile-bundle.js";
import { evaluate } from "../policy/evaluate.js";

/** What a check needs besides the bundle and the facts. */
export interface CheckOptions {
  now: Date;
  /** Kubernetes namespace the image is checked for (mapping selectors, allowlist scopes). */
  namespace?: string;
  /** Deployment environment the image is checked for (mapping selectors). */
  environment?: string;
  expiryWarningDays?: number;
  /** Notes from gathering the facts, to lead the decision's problems. */
  notes?: Problem[];
}

/** The check use case: evaluate one image's facts with a compiled bundle, in the given context. */
export function checkImage(bundle: CompiledBundle, facts: ImageFacts, options: CheckOptions): DecisionV1 {
  const context = {
    ...facts.context,
    ...(options.namespace !== undefined ? { namespace: options.namespace } : {}),
    ...(options.environment !== undefined ? { environment: options.environment } : {}),
  };
  const withContext: ImageFacts = Object.keys(context).length > 0 ? { ...facts, context } : facts;
  return evaluate(bundle, withContext, {
    now: options.now,
    imageRef: formatImageReference(facts.ref),
    ...(options.expiryWarningDays !== undefined ? { expiryWarningDays: options.expiryWarningDays } : {}),
    ...(options.notes !== undefined ? { notes: options.notes } : {}),
  });
}
