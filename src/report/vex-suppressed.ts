import type { ResultRow } from "../model/index.js";

/** True when a VEX statement (not an allowlist) turned a hit's action into go. */
export function vexSuppressed(r: ResultRow): boolean {
  return r.vex !== undefined && r.action !== "go" && r.effectiveAction === "go" && r.status === "fired";
}
