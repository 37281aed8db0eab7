import type { GateSpec } from "../gate-types.js";
import { compareVersions, versionFlavorFor } from "../version-compare.js";

/**
 * `packages`: required and denied packages, and package verification against the package database,
 * after anchore-engine's gate of that name. Package versions are the full versions the facts carry.
 */
export const packagesGate: GateSpec = {
  name: "packages",
  description: "Distro package checks",
  triggers: [
    {
      name: "required_package",
      description:
        "Triggers if the specified package and optionally a specific version is not found in the image.",
      params: [
        {
          name: "name",
          description: "Name of package that must be found installed in image.",
          kind: "string",
          required: true,
          example: "libssl",
        },
        {
          name: "version",
          description: "Optional version of package for exact version match.",
          kind: "string",
          example: "1.10.3rc3",
        },
        {
          name: "version_match_type",
          description: "The type of comparison to use for version if a version is provided.",
          kind: "enum",
          values: ["exact", "minimum"],
          default: "exact",
          example: "exact",
        },
      ],
      compile(params) {
        const name = params.string("name") ?? "";
        const version = params.string("version");
        const comparison = params.string("version_match_type") ?? "exact";
        return (ctx) => {
          // As anchore-engine, only the first installed package of that name is looked at.
          const pkg = (ctx.facts.packages ?? []).find((p) => p.name === name);
          if (pkg) {
            if (version === undefined || pkg.version === version) return;
            if (comparison === "exact") {
              // anchore-engine names the package, not the version, at the end of this message.
              ctx.fire({
                message: `Required input package (${pkg.name}) is present (${pkg.version}), but not at the version specified in policy (${name})`,
              });
              return;
            }
            const flavor = versionFlavorFor(ctx.facts.distro, pkg.type);
            if (!flavor) throw new Error("unsupported distro, cannot compare package versions");
            if (compareVersions(flavor, pkg.version, version) < 0) {
              ctx.fire({
                message: `Required min-version input package (${pkg.name}) is present (${pkg.version}), but is lower version than what is specified in policy (${version})`,
              });
            }
            return;
          }
          ctx.fire({
            message: version
              ? `Required input package (${name},${version}) is not present in container image`
              : `Required input package (${name}) is not present in container image`,
          });
        };
      },
    },
    {
      name: "verify",
      description:
        'Check package integrity against package db in the image. Triggers for changes or removal or content in all or the selected "dirs" parameter if provided, and can filter type of check with the "check_only" parameter.',
      params: [
        {
          name: "only_packages",
          description: "List of package names to limit verification.",
          kind: "string-list",
          example: "libssl,openssl",
        },
        {
          name: "only_directories",
          description: "List of directories to limit checks so as to avoid checks on all dir.",
          kind: "string-list",
          example: "/usr,/var/lib",
        },
        {
          name: "check",
          description: "Check to perform instead of all.",
          kind: "enum",
          values: ["changed", "missing"],
          example: "changed",
        },
      ],
      compile(params) {
        const onlyPackages = params.list("only_packages") ?? [];
        const onlyDirectories = params.list("only_directories") ?? [];
        const check = params.string("check");
        return (ctx) => {
          // No verification data means the check did not run: nothing is known to have changed.
          for (const v of ctx.facts.packageVerification ?? []) {
            if (onlyPackages.length > 0 && !onlyPackages.includes(v.package)) continue;
            if (onlyDirectories.length > 0 && !onlyDirectories.some((d) => v.path.startsWith(d))) continue;
            if (check !== undefined && v.problem !== check) continue;
            ctx.fire({
              message: `VERIFY check against package db for package '${v.package}' failed on entry '${v.path}' with status: '${v.problem}'`,
            });
          }
        };
      },
    },
    {
      name: "blacklist",
      description:
        "Triggers if the evaluated image has a package installed that matches the named package optionally with a specific version as well.",
      params: [
        {
          name: "name",
          description: "Package name to blacklist.",
          kind: "string",
          required: true,
          example: "openssh-server",
        },
        {
          name: "version",
          description: "Specific version of package to blacklist.",
          kind: "string",
          example: "1.0.1",
        },
      ],
      compile(params) {
        const name = params.string("name") ?? "";
        const version = params.string("version");
        return (ctx) => {
          for (const p of ctx.facts.packages ?? []) {
            if (p.name !== name) continue;
            if (version) {
              if (p.version === version)
                ctx.fire({ message: `Package is blacklisted: ${p.name}-${p.version}` });
            } else {
              ctx.fire({ message: `Package is blacklisted: ${p.name}` });
            }
          }
        };
      },
    },
  ],
};
