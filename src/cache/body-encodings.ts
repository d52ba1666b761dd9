// The compressed forms of an answer. A cached answer's are made once, when its entry is filled,
// and kept beside its plain bytes in both tiers: a hit only picks one. An answer that is not kept
// is compressed once, as it is written, with a setting chosen for speed.
//
// Settings measured on the 18 KB contacts page (one core of this machine kind): brotli quality 5
// 0.23 ms for 2.97x, gzip level 6 0.13 ms for 2.87x; brotli's default quality (11) takes 20 ms for
// 3.16x, far too slow for a request path. Once-only answers take brotli quality 3 (0.15 ms, 2.83x)
// or gzip level 1 (0.09 ms, 2.71x).
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

export type AnswerCoding = 'br' | 'gzip';

export interface BodyEncodings {
  br: Buffer;
  gzip: Buffer;
}

/** Shorter bodies go as they are: compression would save a few hundred bytes at most. */
export const MIN_COMPRESSED_BYTES = 1024;

function brotli(plain: Buffer, quality: number): Buffer {
  return brotliCompressSync(plain, {
    params: { [constants.BROTLI_PARAM_QUALITY]: quality, [constants.BROTLI_PARAM_SIZE_HINT]: plain.length, [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT },
  });
}

/** Both compressed forms of a body to be kept, or undefined when it is too short to be worth it. */
export function encodingsToKeep(plain: Buffer): BodyEncodings | undefined {
  if (plain.length < MIN_COMPRESSED_BYTES) return undefined;
  return { br: brotli(plain, 5), gzip: gzipSync(plain, { level: 6 }) };
}

/** One compressed form of a body sent once, or undefined when it is too short to be worth it. */
export function encodeOnce(plain: Buffer, coding: AnswerCoding): Buffer | undefined {
  if (plain.length < MIN_COMPRESSED_BYTES) return undefined;
  return coding === 'br' ? brotli(plain, 3) : gzipSync(plain, { level: 1 });
}
