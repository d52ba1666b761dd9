// Sealing cursors: deterministic authenticated encryption, so that a cursor reads as noise (no
// name in a URL or an access log), cannot be forged or altered, and the same position always
// gives the same cursor: a response, and its ETag, must come out byte for byte the same on every
// execution and every instance, or caches and their checks against uncached answers would differ.
//
// The construction is SIV (synthetic IV, as in RFC 5297): the IV is a MAC of the plaintext
// (HMAC-SHA-256, cut to 16 bytes), and the plaintext is encrypted with AES-256-CTR under that IV.
// Opening decrypts, then recomputes the MAC: any changed bit makes it differ. Equal plaintexts give
// equal cursors, which is the point here and all that determinism reveals. Both keys are derived
// from one shared key (src/db/repositories/server-keys.ts), which every instance reads from the
// database.
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

const TAG_BYTES = 16;

function derive(key: Buffer, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), `cardfile cursor ${purpose}`, 32));
}

export class CursorCodec {
  private readonly macKey: Buffer;
  private readonly encryptionKey: Buffer;

  constructor(key: Buffer) {
    if (key.length < 32) throw new Error('A cursor key needs at least 32 bytes.');
    this.macKey = derive(key, 'mac');
    this.encryptionKey = derive(key, 'encryption');
  }

  private tagOf(plain: Buffer): Buffer {
    return createHmac('sha256', this.macKey).update(plain).digest().subarray(0, TAG_BYTES);
  }

  /** The cursor text (base64url) for `plain`; always the same for the same bytes and key. */
  seal(plain: Buffer): string {
    const tag = this.tagOf(plain);
    const cipher = createCipheriv('aes-256-ctr', this.encryptionKey, tag);
    return Buffer.concat([tag, cipher.update(plain), cipher.final()]).toString('base64url');
  }

  /** The bytes a cursor was sealed from; undefined for anything this key did not seal. */
  open(text: string): Buffer | undefined {
    if (!/^[A-Za-z0-9_-]+$/.test(text)) return undefined;
    const sealed = Buffer.from(text, 'base64url');
    // One spelling per cursor: stray bits in the last character are refused, not ignored.
    if (sealed.length <= TAG_BYTES || sealed.toString('base64url') !== text) return undefined;
    const tag = sealed.subarray(0, TAG_BYTES);
    const decipher = createDecipheriv('aes-256-ctr', this.encryptionKey, tag);
    const plain = Buffer.concat([decipher.update(sealed.subarray(TAG_BYTES)), decipher.final()]);
    return timingSafeEqual(tag, this.tagOf(plain)) ? plain : undefined;
  }
}

/**
 * The codec, built once from a key loaded on first use. A failed load (the database unreachable)
 * is not remembered: the next request tries again.
 */
export function cursorCodecOnce(loadKey: () => Promise<Buffer>): () => Promise<CursorCodec> {
  let codec: Promise<CursorCodec> | undefined;
  return () =>
    (codec ??= loadKey().then(
      (key) => new CursorCodec(key),
      (error: unknown) => {
        codec = undefined;
        throw error;
      },
    ));
}
