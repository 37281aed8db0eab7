export { activeBuildCheck, buildingReason } from "./active-build-check.js";
export { BUILTIN_CHECKS, builtinCheckRegistry, CheckRegistry } from "./check-registry.js";
export type {
  CheckContext,
  CheckDefinition,
  CheckFactory,
  CheckFunction,
  CheckOutcome,
  CheckResult,
  CheckSectionInfo,
} from "./check-types.js";
export { readCheckOutcome } from "./check-types.js";
export { closeModuleCheckWorkers, MODULE_SECTION_PREFIX } from "./module-check.js";
export { prismaScanCheck, twistcliImageId } from "./prisma-scan-check.js";
export { effectiveUser, isRootUser, runningAsRootCheck } from "./running-as-root-check.js";
