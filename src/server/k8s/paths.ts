/** The route of the validating admission webhook (AdmissionReview); deploy/ points the webhook here. */
export const ADMISSION_PATH = "/k8s/admission";

/** The route of the API server's ImagePolicyWebhook (ImageReview); deploy/apiserver/ points it here. */
export const IMAGE_REVIEW_PATH = "/k8s/imagereview";
