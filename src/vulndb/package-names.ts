/** OSV ecosystems whose `name` is the distribution's source package (osv-schema ecosystems.json). */
const SOURCE_PACKAGE_ECOSYSTEMS = new Set([
  "AlmaLinux",
  "Alpaquita",
  "Alpine",
  "Azure Linux",
  "BellSoft Hardened Containers",
  "Debian",
  "Mariner",
  "openSUSE",
  "Rocky Linux",
  "SUSE",
  "Ubuntu",
]);

/** True when the ecosystem (base name, without `:release`) names source packages in `affected[].package.name`. */
export function namesSourcePackages(ecosystemBase: string): boolean {
  return SOURCE_PACKAGE_ECOSYSTEMS.has(ecosystemBase);
}

/** A PyPI project name normalised as PEP 503 says: lower case, runs of `-`, `_`, `.` become one `-`. */
export function normalizePypiName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, "-");
}

/** The name as the database keys it, so an index lookup finds every spelling of the same package. */
export function packageKey(ecosystemBase: string, name: string): string {
  return ecosystemBase === "PyPI" ? normalizePypiName(name) : name;
}
