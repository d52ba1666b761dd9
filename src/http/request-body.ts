// Reads a request body within bounds and refuses it, with a coded error, as soon as one is passed:
// a size cap on the body as sent and as decoded (gzip, deflate and br bodies are decoded as they
// arrive, so a zip bomb is stopped after at most the cap), strict UTF-8, and, under the server's
// body bounds (body-bounds.ts), a deadline and the process's cap on bytes held by bodies in flight.
// A client that goes away mid-body is told apart from every failure of ours (499, never a 5xx).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ErrorCode, httpError, type HttpError } from '../errors.js';
import { type BodyBounds, type BodyRefusal, BUSY_RETRY_AFTER_SECONDS } from './body-bounds.js';
import { contentCodingOf, decoderFor } from './content-coding.js';



const utf8 = new TextDecoder('utf-8', { fatal: true });

interface BodyContext {
  bounds: BodyBounds;
  /** Where a refusal sets the headers its answer needs (Retry-After, Connection: close). */
  response: ServerResponse;
}

// The server binds each request that may carry a body to its bounds here, so that every route
// reading a body (GraphQL, /rum) keeps them through the same readBody call. Entries go with their
// request.
const contexts = new WeakMap<IncomingMessage, BodyContext>();

/** Puts `request`'s body under `bounds`: readBody then keeps its deadline and the in-flight cap. */
export function bindBodyBounds(request: IncomingMessage, response: ServerResponse, bounds: BodyBounds): void {
  contexts.set(request, { bounds, response });
}

export async function readBody(request: IncomingMessage, maxBytes: number): Promise<string> {
  const body = await readBytes(request, maxBytes, contexts.get(request));
  try {
    return utf8.decode(body);
  } catch {
    throw httpError(ErrorCode.BAD_REQUEST, 'The request body is not valid UTF-8.');
  }
}

function readBytes(request: IncomingMessage, maxBytes: number, context: BodyContext | undefined): Promise<Buffer> {
  const bounds = context?.bounds;
  const refusal = (reason: BodyRefusal, code: ErrorCode, message: string, headers: Record<string, string> = {}) => {
    bounds?.refused(reason);
    if (context && !context.response.headersSent) for (const [name, value] of Object.entries(headers)) context.response.setHeader(name, value);
    return httpError(code, message);
  };
  const tooLarge = () => refusal('too_large', ErrorCode.PAYLOAD_TOO_LARGE, `The request body must be at most ${maxBytes} bytes.`);
  // The connection is closed after these answers: the rest of such a body may never come.
  const busy = () =>
    refusal('busy', ErrorCode.SERVICE_UNAVAILABLE, 'Too many request bodies are arriving at once; retry after the number of seconds in the Retry-After header.', {
      'retry-after': String(BUSY_RETRY_AFTER_SECONDS),
      connection: 'close',
    });
  const timedOut = () => refusal('timeout', ErrorCode.REQUEST_TIMEOUT, 'The request body took too long to arrive.', { connection: 'close' });
  const aborted = () => httpError(ErrorCode.CLIENT_CLOSED_REQUEST, 'The client closed the connection before its request body arrived.');

  const coding = contentCodingOf(request.headers['content-encoding']);
  if (coding === 'malformed' || coding === 'unsupported' || coding === 'stacked') {
    request.resume();
    throw coding === 'malformed'
      ? refusal('encoding', ErrorCode.BAD_REQUEST, 'The Content-Encoding header is not valid.')
      : refusal('encoding', ErrorCode.UNSUPPORTED_MEDIA_TYPE, 'Send the body as it is, or in one of the encodings gzip, deflate or br.');
  }
  const declared = Number(request.headers['content-length']);
  const sized = Number.isFinite(declared);
  if (sized && declared > maxBytes) {
    request.resume();
    throw tooLarge();
  }
  // The client may have gone while the request waited for its turn (a rate-limit check): no event
  // would come any more.
  if (request.destroyed && !request.complete) return Promise.reject(aborted());

  return new Promise<Buffer>((resolve, reject) => {
    const decoder = coding === 'identity' ? undefined : decoderFor(coding);
    const chunks: Buffer[] = [];
    let wireBytes = 0;
    let decodedBytes = 0;
    let taken = 0;
    let settled = false;

    /**
     * Holds what the body needs of the in-flight cap by now: its declared length (or, chunked, the
     * bytes sent so far), plus, when compressed, what those decoded to. False when that does not fit.
     */
    const hold = (): boolean => {
      if (!bounds) return true;
      const needed = (sized ? declared : wireBytes) + (decoder ? decodedBytes : 0);
      if (needed <= taken) return true;
      if (!bounds.take(needed - taken)) return false;
      taken = needed;
      return true;
    };
    const settle = (error: HttpError | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      request.off('data', onData).off('end', onEnd).off('error', onGone).off('close', onClose);
      decoder?.destroy();
      const body = error ? undefined : Buffer.concat(chunks, decodedBytes);
      chunks.length = 0;
      bounds?.release(taken);
      taken = 0;
      if (error) reject(error);
      else resolve(body!);
    };
    // Refused while the body is still coming: answer now; what else arrives is read and dropped,
    // as Node does with any unread body.
    const refuse = (error: HttpError) => {
      settle(error);
      request.resume();
    };
    const keep = (chunk: Buffer) => {
      if (settled) return;
      decodedBytes += chunk.length;
      if (decodedBytes > maxBytes) return refuse(tooLarge());
      if (!hold()) return refuse(busy());
      chunks.push(chunk);
    };
    function onData(chunk: Buffer) {
      wireBytes += chunk.length;
      if (wireBytes > maxBytes) return refuse(tooLarge());
      if (!hold()) return refuse(busy());
      if (decoder) decoder.write(chunk);
      else keep(chunk);
    }
    function onEnd() {
      if (decoder) decoder.end();
      else settle(undefined);
    }
    function onGone() {
      settle(aborted());
    }
    // A request closed before its end (the client went away) settles too, instead of never.
    function onClose() {
      if (!request.complete) settle(aborted());
    }
    const deadline = bounds ? setTimeout(() => refuse(timedOut()), bounds.settings.readTimeoutMs) : undefined;

    if (decoder) {
      decoder.on('data', keep);
      decoder.once('end', () => settle(undefined));
      decoder.once('error', () => refuse(refusal('corrupt', ErrorCode.BAD_REQUEST, `The request body is not valid ${coding} data.`)));
    }
    // Before a byte is read: a body whose declared length does not fit is refused at once.
    if (!hold()) return refuse(busy());
    // Listeners rather than for-await: leaving a for-await loop early destroys the request, and the
    // unread rest of the body would then sit on a kept-alive connection that nothing reads again.
    request.on('data', onData).once('end', onEnd).once('error', onGone).once('close', onClose);
  });
}
