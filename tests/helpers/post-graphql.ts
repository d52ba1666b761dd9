// One POST of a GraphQL body on a given agent's connections, bounded in time: the load helpers'
// request, on node:http so that connections and their reuse are the test's to control.
import http from 'node:http';

const REQUEST_TIMEOUT_MS = 10_000;

/** One POST of a GraphQL body on `agent`'s connections, bounded in time. */
export function postGraphQL(agent: http.Agent, url: string, token: string, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      {
        method: 'POST',
        agent,
        timeout: REQUEST_TIMEOUT_MS,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'content-length': Buffer.byteLength(body) },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
        response.on('error', reject);
      },
    );
    request.on('timeout', () => request.destroy(new Error('request timed out')));
    request.on('error', reject);
    request.end(body);
  });
}
