import assert from "node:assert/strict";
import { test } from "node:test";
import { labelsOfNamespace, NAMESPACE_NAME_LABEL, withNamespaceLabels } from "./namespace-labels.js";

const configured = { payments: { tier: "production" } };

test("a namespace's labels are the configured ones plus its name label, as Kubernetes sets it", () => {
  assert.deepEqual(labelsOfNamespace("payments", configured), {
    tier: "production",
    [NAMESPACE_NAME_LABEL]: "payments",
  });
  assert.deepEqual(labelsOfNamespace("other", configured), { [NAMESPACE_NAME_LABEL]: "other" });
  assert.deepEqual(labelsOfNamespace("constructor", configured), { [NAMESPACE_NAME_LABEL]: "constructor" });
  // Built once per namespace and configuration
  assert.equal(labelsOfNamespace("payments", configured), labelsOfNamespace("payments", configured));
});

test("the context gets labels only when a bundle reads them and the context names a namespace", () => {
  const asked = { origin: "admission", namespace: "payments" };
  assert.equal(withNamespaceLabels(asked, configured, false), asked);
  assert.equal(withNamespaceLabels({ origin: "api" }, configured, true).namespaceLabels, undefined);
  assert.equal(withNamespaceLabels(asked, configured, true).namespaceLabels?.tier, "production");
  assert.equal(
    withNamespaceLabels(asked, undefined, true).namespaceLabels?.[NAMESPACE_NAME_LABEL],
    "payments",
  );
});
