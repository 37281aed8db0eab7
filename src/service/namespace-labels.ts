import type { AssessContext } from "./assess-image.js";

/** The label Kubernetes itself puts on every namespace, whose value is the namespace's name. */
export const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";

/** Labels of namespaces by name, as an operator exports them (`kubectl get namespaces -o json`). */
export type NamespaceLabels = Readonly<Record<string, Readonly<Record<string, string>>>>;

// Namespaces are few and asked about all the time: each one's label map is built once per configuration
const built = new WeakMap<NamespaceLabels, Map<string, Record<string, string>>>();
const MAX_REMEMBERED_NAMESPACES = 10_000;

/**
 * The labels of `namespace`: those configured for it, plus `kubernetes.io/metadata.name` = its name, which
 * Kubernetes sets on every namespace (so a selector on it works without configuration). The same object is
 * returned for the same namespace and configuration; treat it as read-only.
 */
export function labelsOfNamespace(namespace: string, configured: NamespaceLabels): Record<string, string> {
  let known = built.get(configured);
  if (known === undefined) {
    known = new Map();
    built.set(configured, known);
  }
  let labels = known.get(namespace);
  if (labels === undefined) {
    const own = Object.hasOwn(configured, namespace) ? configured[namespace] : undefined;
    // fromEntries keeps a "__proto__" label an own key, never a prototype
    labels = Object.fromEntries([...Object.entries(own ?? {}), [NAMESPACE_NAME_LABEL, namespace]]);
    if (known.size >= MAX_REMEMBERED_NAMESPACES) known.clear();
    known.set(namespace, labels);
  }
  return labels;
}

/**
 * `context` with its namespace's labels, when `wanted` (some bundle selects on labels), the context names a
 * namespace and carries no labels yet; else `context` itself, so the usual request pays one check.
 */
export function withNamespaceLabels(
  context: AssessContext,
  configured: NamespaceLabels | undefined,
  wanted: boolean,
): AssessContext {
  if (!wanted || context.namespace === undefined || context.namespaceLabels !== undefined) return context;
  return { ...context, namespaceLabels: labelsOfNamespace(context.namespace, configured ?? NONE) };
}

const NONE: NamespaceLabels = {};
