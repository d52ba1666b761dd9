// Which compressed form of an answer a client takes, from its Accept-Encoding (RFC 9110, 12.5.3):
// brotli or gzip, by the client's weights, brotli on a tie; none when it lists neither, refuses
// both (q=0), or sends no header. Our own few lines: the parsers on npm (negotiator) allocate a list per call,
// and this runs on every cache hit.
import type { AnswerCoding } from '../cache/body-encodings.js';

// Clients send the same header on every request: the last one's answer is kept.
let lastHeader: string | undefined;
let lastCoding: AnswerCoding | undefined;

export function preferredCoding(acceptEncoding: string | undefined): AnswerCoding | undefined {
  if (!acceptEncoding) return undefined;
  if (acceptEncoding === lastHeader) return lastCoding;
  const coding = negotiate(acceptEncoding);
  lastHeader = acceptEncoding.length <= 256 ? acceptEncoding : undefined;
  lastCoding = coding;
  return coding;
}

function negotiate(header: string): AnswerCoding | undefined {
  let br: number | undefined;
  let gzip: number | undefined;
  let any: number | undefined;
  for (const item of header.split(',')) {
    const [name = '', ...params] = item.split(';');
    const coding = name.trim().toLowerCase();
    let weight = 1;
    for (const param of params) {
      const [key, value] = param.split('=');
      if (key?.trim().toLowerCase() === 'q') weight = qualityOf(value);
    }
    if (coding === 'br') br = weight;
    else if (coding === 'gzip' || coding === 'x-gzip') gzip = weight;
    else if (coding === '*') any = weight;
  }
  const brWeight = br ?? any ?? 0;
  const gzipWeight = gzip ?? any ?? 0;
  if (brWeight <= 0 && gzipWeight <= 0) return undefined;
  return brWeight >= gzipWeight ? 'br' : 'gzip';
}

/** A weight is 0 to 1 with at most three decimals; anything else counts as a refusal. */
function qualityOf(value: string | undefined): number {
  const text = value?.trim() ?? '';
  if (!/^(0(\.\d{0,3})?|1(\.0{0,3})?)$/.test(text)) return 0;
  return Number(text);
}
