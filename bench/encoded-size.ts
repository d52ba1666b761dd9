// The body of one answer as it travels, compressed or not: node's fetch would decode a compressed
// body before anyone could count it, so this reads the raw bytes with node:http.
import http from 'node:http';
import type { LoadRequest } from './load-plan.js';

export interface EncodedAnswer {
  /** Body bytes on the wire (after Content-Encoding). */
  bodyBytes: number;
  /** Header bytes as sent (status line and every header line). */
  headerBytes: number;
  contentEncoding: string | undefined;
}

export function encodedAnswer(baseUrl: string, request: LoadRequest): Promise<EncodedAnswer> {
  return new Promise((resolve, reject) => {
    const outgoing = http.request(new URL(request.path, baseUrl), { method: request.method, headers: request.headers }, (response) => {
      let bodyBytes = 0;
      response.on('data', (chunk: Buffer) => (bodyBytes += chunk.length));
      response.on('end', () => {
        if (response.statusCode !== 200) return reject(new Error(`${request.method} ${request.path.slice(0, 60)} answered ${response.statusCode}`));
        const lines = [`HTTP/1.1 ${response.statusCode} ${response.statusMessage}`];
        for (let i = 0; i < response.rawHeaders.length; i += 2) lines.push(`${response.rawHeaders[i]}: ${response.rawHeaders[i + 1]}`);
        const headerBytes = Buffer.byteLength(`${lines.join('\r\n')}\r\n\r\n`);
        const encoding = response.headers['content-encoding'];
        resolve({ bodyBytes, headerBytes, contentEncoding: typeof encoding === 'string' ? encoding : undefined });
      });
      response.on('error', reject);
    });
    outgoing.on('error', reject);
    outgoing.setTimeout(10_000, () => outgoing.destroy(new Error('no answer within 10 s')));
    outgoing.end(request.body);
  });
}
