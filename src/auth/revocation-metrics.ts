// Whether this instance hears token revocations as they commit, on the shared registry: while it
// does not, its cached token checks are not used (src/auth/revocation-watch.ts).
import { Gauge, type Registry } from 'prom-client';

export function reportRevocationHearing(registry: Registry, heard: () => boolean): void {
  new Gauge({
    name: 'cardfile_token_revocations_heard',
    help: '1 while this instance hears token revocations as they commit (its cached token checks are used), 0 while it does not (every token is read from the database).',
    registers: [registry],
    collect() {
      this.set(heard() ? 1 : 0);
    },
  });
}
