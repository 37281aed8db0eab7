import type { ImageConfig, Platform } from "../../model/index.js";
import { isObject, optionalNumber, optionalString, optionalTime, stringList } from "../document-reader.js";

/**
 * The runtime config and platform in an OCI/Docker image config document (`{architecture, os, created,
 * config: {User, Env, ExposedPorts, …}}`), as scanners embed it. Anything missing or mistyped is left out;
 * an empty config is undefined.
 */
export function fromOciImageConfig(document: unknown): { config?: ImageConfig; platform?: Platform } {
  if (!isObject(document)) return {};
  const out: { config?: ImageConfig; platform?: Platform } = {};
  const architecture = optionalString(document.architecture);
  const os = optionalString(document.os);
  if (architecture && os) {
    const variant = optionalString(document.variant);
    out.platform = { os, architecture, ...(variant ? { variant } : {}) };
  }
  const config: ImageConfig = {};
  const c = isObject(document.config) ? document.config : undefined;
  if (c) {
    const user = optionalString(c.User);
    if (user) config.user = user;
    const env = stringList(c.Env);
    if (env.length > 0) config.env = env;
    const ports = keysOf(c.ExposedPorts);
    if (ports.length > 0) config.exposedPorts = ports;
    if (isObject(c.Labels)) {
      const labels: Record<string, string> = {};
      let any = false;
      for (const [key, value] of Object.entries(c.Labels)) {
        if (typeof value === "string") {
          labels[key] = value;
          any = true;
        }
      }
      if (any) config.labels = labels;
    }
    const entrypoint = stringList(c.Entrypoint);
    if (entrypoint.length > 0) config.entrypoint = entrypoint;
    const cmd = stringList(c.Cmd);
    if (cmd.length > 0) config.cmd = cmd;
    const workdir = optionalString(c.WorkingDir);
    if (workdir) config.workdir = workdir;
    const stopSignal = optionalString(c.StopSignal);
    if (stopSignal) config.stopSignal = stopSignal;
    const volumes = keysOf(c.Volumes);
    if (volumes.length > 0) config.volumes = volumes;
    if (isObject(c.Healthcheck)) {
      const test = stringList(c.Healthcheck.Test);
      if (test.length > 0) {
        const interval = optionalNumber(c.Healthcheck.Interval);
        const timeout = optionalNumber(c.Healthcheck.Timeout);
        const retries = optionalNumber(c.Healthcheck.Retries);
        config.healthcheck = {
          test,
          ...(interval !== undefined ? { interval } : {}),
          ...(timeout !== undefined ? { timeout } : {}),
          ...(retries !== undefined ? { retries } : {}),
        };
      }
    }
  }
  const created = optionalTime(document.created);
  // Go's zero time is what scanners write when they know no creation time.
  if (created && !created.startsWith("0001-")) config.created = created;
  if (Object.keys(config).length > 0) out.config = config;
  return out;
}

/** An image config embedded as base64 JSON (Grype and Syft `source.target.config`), decoded; undefined when it is not. */
export function decodeBase64Json(value: unknown): unknown {
  if (typeof value !== "string" || value === "") return undefined;
  try {
    return JSON.parse(Buffer.from(value, "base64").toString("utf8"));
  } catch {
    return undefined;
  }
}

function keysOf(value: unknown): string[] {
  return isObject(value) ? Object.keys(value) : [];
}
