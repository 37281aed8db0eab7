import { fileURLToPath } from "node:url";

/** The bundle `cipolice check` uses when no --policy is given (shipped with the package). */
export const DEFAULT_BUNDLE_PATH = fileURLToPath(
  new URL("../../policies/default-bundle.yaml", import.meta.url),
);
