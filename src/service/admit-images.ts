import {
  type AdmissionVerdict,
  admissionVerdict,
  type FailMode,
  type FailModeRule,
  failModeFor,
  type ImageVerdict,
  verdictFor,
} from "./admission-verdict.js";
import type { AssessContext, Assessment, ImageAssessor } from "./assess-image.js";
import { type NamespaceLabels, withNamespaceLabels } from "./namespace-labels.js";

/** How admission treats what it cannot decide, and how long it may take. */
export interface AdmissionSettings {
  failModes: readonly FailModeRule[];
  defaultFailMode: FailMode;
  /** Labels of namespaces by name, for bundles that select on them (the request does not carry them). */
  namespaceLabels?: NamespaceLabels;
}

/** The answer to an admission question, with what led to it (for the decision log and metrics). */
export interface AdmissionResult {
  verdict: AdmissionVerdict;
  mode: FailMode;
  assessments: Assessment[];
  verdicts: ImageVerdict[];
  /**
   * Set when every image was answered from answers already known: the same request gets this same result
   * while the assessor's answersGeneration is `generation` and the clock is before `freshUntil`.
   */
  fresh?: { generation: number; freshUntil: number };
}

/**
 * The admission use case: decides every image of a request in its namespace, all at once, each by the
 * deadline, applies the namespace's fail mode, and combines them: allowed only when every image is.
 * The namespace's labels come from the settings (and Kubernetes' name label) when some bundle selects on them.
 */
export async function admitImages(
  assessor: ImageAssessor,
  references: readonly string[],
  asked: AssessContext,
  settings: AdmissionSettings,
  deadline: number,
): Promise<AdmissionResult> {
  const context = withNamespaceLabels(asked, settings.namespaceLabels, assessor.readsNamespaceLabels);
  const mode = modeOf(context.namespace, settings);
  // Answers already known need no promise each: most admission requests end here
  const generation = assessor.answersGeneration;
  let freshUntil = Number.POSITIVE_INFINITY;
  let allKnown = true;
  const known = references.map((image) => {
    const entry = assessor.knownEntry(image, context);
    if (entry === undefined) {
      allKnown = false;
      return undefined;
    }
    if (entry.expiresAt < freshUntil) freshUntil = entry.expiresAt;
    return entry.value;
  });
  if (allKnown) {
    const assessments = known as Assessment[];
    const verdicts = assessments.map((a) => verdictFor(a, mode));
    return {
      verdict: admissionVerdict(verdicts),
      mode,
      assessments,
      verdicts,
      fresh: { generation, freshUntil },
    };
  }
  const assessments = await Promise.all(
    references.map((image, i) => known[i] ?? assessor.assess(image, context, deadline)),
  );
  const verdicts = assessments.map((a) => verdictFor(a, mode));
  return { verdict: admissionVerdict(verdicts), mode, assessments, verdicts };
}

// Namespaces are few and asked about all the time: their fail mode is looked up once per settings
const modes = new WeakMap<AdmissionSettings, Map<string, FailMode>>();
const MAX_REMEMBERED_NAMESPACES = 10_000;

function modeOf(namespace: string | undefined, settings: AdmissionSettings): FailMode {
  if (namespace === undefined) return settings.defaultFailMode;
  let known = modes.get(settings);
  if (known === undefined) {
    known = new Map();
    modes.set(settings, known);
  }
  let mode = known.get(namespace);
  if (mode === undefined) {
    mode = failModeFor(namespace, settings.failModes, settings.defaultFailMode);
    if (known.size >= MAX_REMEMBERED_NAMESPACES) known.clear();
    known.set(namespace, mode);
  }
  return mode;
}

/** The answer when nothing could be decided in time: every image unknown, under the namespace's fail mode. */
export function admissionPastDeadline(
  references: readonly string[],
  namespace: string | undefined,
  settings: AdmissionSettings,
): AdmissionResult {
  const mode = failModeFor(namespace, settings.failModes, settings.defaultFailMode);
  const assessments: Assessment[] = references.map((image) => ({
    image,
    outcome: "unknown",
    decisions: [],
    reason: "it was not decided before the deadline",
    cache: "miss",
  }));
  const verdicts = assessments.map((a) => verdictFor(a, mode));
  return { verdict: admissionVerdict(verdicts), mode, assessments, verdicts };
}
