// How long a new token lives (npm run token -- --expires-in 30d): minutes, hours or days, from one
// minute to ten years. Undefined when the text is not such a duration.
const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };
const MAX_MS = 3_650 * 86_400_000;

export function lifetimeMs(text: string): number | undefined {
  const match = /^([1-9][0-9]{0,6})(m|h|d)$/.exec(text.trim());
  if (!match) return undefined;
  const ms = Number(match[1]) * UNIT_MS[match[2]!]!;
  return ms <= MAX_MS ? ms : undefined;
}
