import type { GateSpec } from "../gate-types.js";
import { compareVersions, versionFlavorFor } from "../version-compare.js";

/**
 * `packages`: required and denied packages, and package verification against the package database,
 * after anchore-engine's gate of that name. Package versions are the full versions the facts carry.
 */
export const packagesGate: GateSpec = {
  name: "packages",
  // Packages and their verification come from scanner reports or SBOMs.
  needs: ["reports"],
  description:
    "Requires or denies installed packages by name and version, and reports files that fail package database verification.",
  triggers: [
    {
      name: "required_package",
      description:
        "Fires when no package of the given name is installed, or when the first one found does not meet the version requirement.",
      params: [
        {
          name: "name",
          description: "Name of the package the image must contain.",
          kind: "string",
          required: true,
          example: "libssl",
        },
        {
          name: "version",
          description:
            "Version the package must have; when omitted, any installed version satisfies the rule.",
          kind: "string",
          example: "1.10.3rc3",
        },
        {
          name: "version_match_type",
          description:
            "How version is applied: exact requires that very version, minimum accepts it or any newer one (compared with the distribution's version rules).",
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
        "Fires for each package file that verification against the image's package database found changed or missing. Nothing fires when no verification data is available.",
      params: [
        {
          name: "only_packages",
          description:
            "Comma-separated package names; when set, only files owned by these packages are reported.",
          kind: "string-list",
          example: "libssl,openssl",
        },
        {
          name: "only_directories",
          description:
            "Comma-separated path prefixes; when set, only files whose path starts with one of them are reported.",
          kind: "string-list",
          example: "/usr,/var/lib",
        },
        {
          name: "check",
          description:
            "Report only files with this problem (changed or missing); when omitted, both are reported.",
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
        "Fires for each installed package with the given name, or only for those at the given version when one is set.",
      params: [
        {
          name: "name",
          description: "Name of the package to deny.",
          kind: "string",
          required: true,
          example: "openssh-server",
        },
        {
          name: "version",
          description: "When set, deny only this exact version of the package.",
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
