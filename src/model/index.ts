export * from "./action.js";
export * from "./bundle.js";
export * from "./decision.js";
export * from "./errors.js";
export * from "./facts.js";
export * from "./image-ref.js";
export * from "./schema-issues.js";
export * from "./severity.js";
