// What one rate-limit key costs in an in-process memo, for the byte budgets that bound them: the
// key as two-byte characters (to be safe; they are ASCII), a small record of numbers, and the
// LRU's own bookkeeping. Measured at about 220-240 bytes an entry with 50-character keys; this
// counts about 300, so a budget is never overrun.
export function rateKeyBytes(key: string): number {
  return 2 * key.length + 200;
}
