// The load helpers' requests, on node:http so that connections and their reuse are the test's to
// control, each bounded in time.
import http from 'node:http';

const REQUEST_TIMEOUT_MS = 10_000;

type Answer = { status: number; text: string };

/** Sends `request` (ending it with `body`) and reads its answer as text; fails past the bound. */
function answerOf(request: http.ClientRequest, resolve: (answer: Answer) => void, reject: (error: Error) => void, body?: string) {
  request.on('response', (response) => {
    let text = '';
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => (text += chunk));
    response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
    response.on('error', reject);
  });
  request.on('timeout', () => request.destroy(new Error('request timed out')));
  request.on('error', reject);
  request.end(body);
}

/** One POST of a GraphQL body on `agent`'s connections. */
export function postGraphQL(agent: http.Agent, url: string, token: string, body: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, {
      method: 'POST',
      agent,
      timeout: REQUEST_TIMEOUT_MS,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'content-length': Buffer.byteLength(body) },
    });
    answerOf(request, resolve, reject, body);
  });
}

/**
 * One GET on a connection of its own, closed after the answer: a test's probe (metrics, readiness)
 * must not be an open connection a draining server waits for.
 */
export function getOnce(url: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method: 'GET', agent: false, timeout: REQUEST_TIMEOUT_MS, headers: { connection: 'close' } });
    answerOf(request, resolve, reject);
  });
}
