// PostgreSQL WAL positions (LSNs, printed as "16/B374D848": the high and low 32 bits in hex) as
// bigints, so positions from the primary and from replicas compare with < and >.

/** Parses an LSN as PostgreSQL prints it; undefined for null (not in recovery, say) or garbage. */
export function parseWalPosition(text: string | null | undefined): bigint | undefined {
  const match = text ? /^([0-9A-F]{1,8})\/([0-9A-F]{1,8})$/i.exec(text) : null;
  if (!match) return undefined;
  return (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`);
}

/**
 * A position as 16 hex digits: fixed width, so two positions compare as strings the way they
 * compare as numbers (Redis scripts compare them so, Lua having no 64-bit integers).
 */
export function walPositionKey(position: bigint): string {
  return position.toString(16).padStart(16, '0');
}

export function walPositionFromKey(key: string | null | undefined): bigint | undefined {
  return key && /^[0-9a-f]{16}$/.test(key) ? BigInt(`0x${key}`) : undefined;
}
