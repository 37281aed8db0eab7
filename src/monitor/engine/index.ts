export * from "./docker-engine-client.js";
export * from "./engine-answers.js";
export * from "./engine-endpoint.js";
export { ENGINE_ERROR_CODE } from "./engine-errors.js";
export type { EngineEvent, EngineEventOptions } from "./engine-events.js";
