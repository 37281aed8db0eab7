import { type DecisionV1, isDigestOnly } from "../model/index.js";

/**
 * The image's name without tag or digest (`registry/repository`), for what must stay the same across
 * builds of one image (SARIF categories and fingerprints, JUnit case names). An image known only by its
 * digest has no such name: its reference (`@sha256:…`) stands in, so output never reads a bare `/`.
 */
export function imageRepositoryName(image: DecisionV1["image"]): string {
  return isDigestOnly(image) ? image.ref : `${image.registry}/${image.repository}`;
}
