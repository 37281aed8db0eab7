/** A PyPI project name normalised as PEP 503 says: lower case, runs of `-`, `_`, `.` become one `-`. */
export function normalizePypiName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, "-");
}

/** The name as the database keys it, so an index lookup finds every spelling of the same package. */
export function packageKey(ecosystemBase: string, name: string): string {
  return ecosystemBase === "PyPI" ? normalizePypiName(name) : name;
}
