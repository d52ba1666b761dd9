// Which origins may report vitals from a browser. Same-origin pages always may; other origins only
// when RUM_ALLOWED_ORIGINS lists them (or is `*`). This is the browser's CORS contract, not
// authentication: a non-browser client can send any Origin it likes.

/** RUM_ALLOWED_ORIGINS as a list of serialized origins, or ['*']; throws naming the variable. */
export function allowedOriginsFrom(raw: string | undefined): string[] {
  const entries = (raw ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  if (entries.includes('*')) return ['*'];
  return entries.map((entry) => {
    let url: URL | undefined;
    try {
      url = new URL(entry);
    } catch {
      // reported below
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.pathname !== '/' || url.search || url.hash || url.username) {
      throw new Error(`RUM_ALLOWED_ORIGINS entries must be origins such as https://app.example.com (or *), got "${entry}"`);
    }
    // Browsers send origins serialized this way: lower-case host, no default port, no slash.
    return url.origin;
  });
}

export type OriginVerdict = 'same-origin' | 'cross-origin' | 'refused';

function hostOf(origin: string): string | undefined {
  try {
    return new URL(origin).host;
  } catch {
    return undefined;
  }
}

export class OriginPolicy {
  private readonly any: boolean;
  private readonly origins: ReadonlySet<string>;

  constructor(allowed: readonly string[]) {
    this.any = allowed.includes('*');
    this.origins = new Set(allowed);
  }

  check(origin: string | undefined, host: string | undefined, fetchSite: string | undefined): OriginVerdict {
    // No Origin: not a browser's cross-origin request, so nothing for CORS to decide.
    if (origin === undefined) return 'same-origin';
    if (fetchSite === 'same-origin') return 'same-origin';
    if (host !== undefined && hostOf(origin) === host.toLowerCase()) return 'same-origin';
    return this.any || this.origins.has(origin) ? 'cross-origin' : 'refused';
  }
}
