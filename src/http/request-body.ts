// Reads a request body with a size cap and strict UTF-8: an oversized or undecodable body is
// refused before anything parses it.
import type { IncomingMessage } from 'node:http';

export class BodyError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export async function readBody(request: IncomingMessage, maxBytes: number): Promise<string> {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    request.resume();
    throw new BodyError(413, 'PAYLOAD_TOO_LARGE', `The request body must be at most ${maxBytes} bytes.`);
  }
  // Listeners rather than for-await: leaving a for-await loop early destroys the request, and the
  // unread rest of the body would then sit on a kept-alive connection that nothing reads again.
  const body = await new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) {
        chunks.push(chunk);
        return;
      }
      // Answer now; the rest of the body is read and dropped, as Node does with any unread body.
      request.off('data', onData).off('end', onEnd);
      request.resume();
      reject(new BodyError(413, 'PAYLOAD_TOO_LARGE', `The request body must be at most ${maxBytes} bytes.`));
    };
    const onEnd = () => resolve(Buffer.concat(chunks));
    // A request closed before its end (the client went away) settles too, instead of never.
    const onClose = () => reject(new BodyError(400, 'BAD_REQUEST', 'The request body ended early.'));
    request.on('data', onData).once('end', onEnd).once('error', reject).once('close', onClose);
  });
  try {
    return utf8.decode(body);
  } catch {
    throw new BodyError(400, 'BAD_REQUEST', 'The request body is not valid UTF-8.');
  }
}
