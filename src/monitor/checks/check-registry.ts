import { activeBuildCheck } from "./active-build-check.js";
import type { CheckFactory } from "./check-types.js";
import { prismaScanCheck } from "./prisma-scan-check.js";
import { runningAsRootCheck } from "./running-as-root-check.js";

/** The seed's built-in checks under the dotted names its INI files use. */
export const BUILTIN_CHECKS: ReadonlyMap<string, CheckFactory> = new Map([
  ["docker_monitor.checks.ActiveBuildCheck", activeBuildCheck],
  ["docker_monitor.checks.RunningAsRootCheck", runningAsRootCheck],
  ["docker_monitor.checks.PrismaScanCheck", prismaScanCheck],
]);

/**
 * The check section names a monitor configuration may use, each with the factory that makes its check.
 * Explicit, not filled by import side effects: the CLI makes one with {@link builtinCheckRegistry} and adds
 * its own checks (the policy-bundle check) with {@link CheckRegistry.registerCheck}.
 */
export class CheckRegistry {
  private readonly factories = new Map<string, CheckFactory>();

  /**
   * Adds a check under a section name (case-sensitive, as configparser's sections). Throws when the name is
   * taken, is `policy`, `logging` or `DEFAULT`, or starts with `module:`.
   */
  registerCheck(name: string, factory: CheckFactory): this {
    if (name.trim() === "" || name !== name.trim())
      throw new Error(`check name ${JSON.stringify(name)} is empty or padded`);
    if (["policy", "logging", "DEFAULT"].includes(name) || name.startsWith("module:")) {
      throw new Error(`${name} cannot name a check: it is a reserved section name`);
    }
    if (this.factories.has(name)) throw new Error(`a check named ${name} is registered already`);
    this.factories.set(name, factory);
    return this;
  }

  /** The factory for a section name, or undefined. */
  get(name: string): CheckFactory | undefined {
    return this.factories.get(name);
  }

  /** Every registered name, in registration order (for "known checks are …" messages). */
  names(): string[] {
    return [...this.factories.keys()];
  }
}

/** A registry holding the seed's three built-in checks. */
export function builtinCheckRegistry(): CheckRegistry {
  const registry = new CheckRegistry();
  for (const [name, factory] of BUILTIN_CHECKS) registry.registerCheck(name, factory);
  return registry;
}
