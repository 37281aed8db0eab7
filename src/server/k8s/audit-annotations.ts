/** The name part of a Kubernetes qualified name: what the API server accepts after its own key prefix. */
const QUALIFIED_NAME_PART = /^[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

/**
 * True when `key` is a valid audit annotation key for a webhook answer. The API server prefixes it (with
 * the webhook's name, or `imagepolicywebhook.image-policy.k8s.io/`) and drops annotations whose key is then
 * not a qualified name, so an invalid key would vanish from the audit log without a word.
 */
export function isAuditAnnotationKey(key: string): boolean {
  return QUALIFIED_NAME_PART.test(key);
}
