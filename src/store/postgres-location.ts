/**
 * A PostgreSQL URL as logs and messages may show it: the password (in the user part or a `password`
 * parameter) left out. A URL that does not parse is shown as its scheme only, since it may hold anything.
 */
export function postgresLocation(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.password = "";
    for (const key of [...parsed.searchParams.keys()]) {
      if (/password/i.test(key)) parsed.searchParams.delete(key);
    }
    return parsed.toString();
  } catch {
    return `${url.slice(0, url.indexOf(":") + 1) || "postgres:"}//(unparsable URL)`;
  }
}
