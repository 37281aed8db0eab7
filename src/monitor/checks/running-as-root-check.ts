import { parseIniBoolean } from "../config/interpolate.js";
import type { ContainerSnapshot } from "../container-snapshot.js";
import type { CheckDefinition, CheckFactory } from "./check-types.js";

/** The user a container runs as and where that came from. */
export interface EffectiveUser {
  /** As written (`1000:1000`, `root`, `app`); empty when neither the container nor the image sets one. */
  user: string;
  from: "container" | "image" | "default";
}

/**
 * The container's effective user: its own `Config.User` (set by `--user` or copied from the image), else the
 * image's `User`, else the engine's default, root.
 */
export function effectiveUser(container: ContainerSnapshot): EffectiveUser {
  const own = container.user.trim();
  if (own !== "") return { user: own, from: "container" };
  const image = container.imageConfig?.user?.trim() ?? "";
  if (image !== "") return { user: image, from: "image" };
  return { user: "", from: "default" };
}

/**
 * True when a `user[:group]` runs as root: empty (the engine's default), `root`, or uid 0 (`0`, `00`,
 * `0:0`, `root:wheel`). Another name is taken as not root: names are resolved inside the image's
 * /etc/passwd, which the monitor does not read, so a name mapped to uid 0 there is not caught.
 */
export function isRootUser(user: string): boolean {
  const name = (user.split(":", 1)[0] ?? "").trim();
  if (name === "" || name === "root") return true;
  return /^\d+$/.test(name) && Number(name) === 0;
}

/**
 * `docker_monitor.checks.RunningAsRootCheck`: FAIL when the container runs as root and `allow_root` is
 * false (the default; read as configparser's getboolean: on/off, yes/no, true/false, 1/0); PASS otherwise.
 * The seed reads `allow_root` as a string, so its documented `allow_root = off` allowed root there; this
 * check follows the documentation. The seed also looked only at `Config.User` for "" or "root"; this one
 * falls back to the image's user and knows uid 0.
 */
export const runningAsRootCheck: CheckFactory = (settings): CheckDefinition => {
  const allowRoot = parseIniBoolean(settings.allow_root, false);
  if (allowRoot === undefined) {
    throw new Error(
      `allow_root = ${JSON.stringify(settings.allow_root)} is not a boolean (on/off, yes/no, true/false, 1/0)`,
    );
  }
  return {
    description: "is running as root",
    run: async (container) => {
      const { user, from } = effectiveUser(container);
      const shown =
        from === "default" ? "no user set (root by default)" : `user ${JSON.stringify(user)} (${from})`;
      if (!isRootUser(user)) return { result: "PASS", message: `runs as ${shown}` };
      if (allowRoot) return { result: "PASS", message: `runs as root, allowed: ${shown}` };
      return { result: "FAIL", message: `runs as root: ${shown}; allow_root is off` };
    },
  };
};
