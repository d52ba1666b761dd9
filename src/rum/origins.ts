// Which origins may report vitals from a browser. Same-origin pages always may; other origins only
// when RUM_ALLOWED_ORIGINS or CORS_ORIGINS lists them (or either is `*`). This is the browser's
// CORS contract, not authentication: a non-browser client can send any Origin it likes, or none.
//
// Same-origin means the configured public origin (src/http/public-origin.ts), never one derived
// from the request: its Host header, like Sec-Fetch-Site, is the sender's to choose, and a client
// that sent `Host: evil.example` with `Origin: https://evil.example` would otherwise be same-origin.

export type OriginVerdict = 'same-origin' | 'cross-origin' | 'refused';

export class OriginPolicy {
  private readonly any: boolean;
  private readonly origins: ReadonlySet<string>;

  /**
   * `allowed`: serialized origins, or '*' for any. `publicOrigins`: this server's own, read on each
   * check since, with PORT=0, the port is known only once the server listens.
   */
  constructor(
    allowed: readonly string[],
    private readonly publicOrigins: () => readonly string[],
  ) {
    this.any = allowed.includes('*');
    this.origins = new Set(allowed);
  }

  check(origin: string | undefined): OriginVerdict {
    // No Origin: not a browser's cross-origin request, so nothing for CORS to decide.
    if (origin === undefined) return 'same-origin';
    if (this.publicOrigins().includes(origin)) return 'same-origin';
    return this.any || this.origins.has(origin) ? 'cross-origin' : 'refused';
  }
}
