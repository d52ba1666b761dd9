// Origins named in environment variables (CORS_ORIGINS, RUM_ALLOWED_ORIGINS, PUBLIC_ORIGIN), read into
// the form browsers send in their Origin header, so that an allow-list check is a string compare.
// A bad entry stops the start with a message naming the variable.

/** One origin (`https://app.example.com`), serialized as browsers send it; throws naming `variable`. */
export function originFrom(variable: string, entry: string): string {
  let url: URL | undefined;
  try {
    url = new URL(entry);
  } catch {
    // reported below
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.pathname !== '/' || url.search || url.hash || url.username) {
    throw new Error(`${variable}: "${entry}" is not an origin such as https://app.example.com (a scheme, a host and a port if not the default; no path)`);
  }
  // Browsers send origins serialized this way: lower-case host, no default port, no slash.
  return url.origin;
}

/** A comma-separated list of origins, or ['*'] for any; [] when unset. */
export function originListFrom(variable: string, raw: string | undefined): string[] {
  const entries = (raw ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  if (entries.includes('*')) return ['*'];
  return entries.map((entry) => originFrom(variable, entry));
}
