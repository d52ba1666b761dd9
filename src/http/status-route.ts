// GET /status (the live page) and GET /status.json (the figures it polls). Neither is cached
// anywhere: each answer is the state of this instance at that moment. The figures change once per
// sampler tick, so the JSON is built once per tick, however many clients poll it.
import type { ServerResponse } from 'node:http';
import type { StatusSampler } from '../observability/status-sampler.js';
import { STATUS_PAGE_CSP, STATUS_PAGE_HTML } from './status-page.js';

const PAGE = Buffer.from(STATUS_PAGE_HTML, 'utf8');

/** Answers `pathname` when it is one of the status routes (true), or leaves it alone (false). */
export function createStatusRoute(sampler: StatusSampler) {
  // One body, the latest tick's.
  let figures: { sampled: number; body: Buffer } | undefined;
  const currentFigures = (): Buffer => {
    if (figures?.sampled !== sampler.sampled) figures = { sampled: sampler.sampled, body: Buffer.from(JSON.stringify(sampler.snapshot()), 'utf8') };
    return figures.body;
  };
  return (pathname: string, response: ServerResponse): boolean => {
    if (pathname === '/status') {
      response.writeHead(200, {
        'content-type': 'text/html; charset=utf-8',
        'content-length': String(PAGE.length),
        'cache-control': 'no-store',
        'content-security-policy': STATUS_PAGE_CSP,
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
      });
      response.end(PAGE);
      return true;
    }
    if (pathname === '/status.json') {
      const body = currentFigures();
      response.writeHead(200, {
        'content-type': 'application/json; charset=utf-8',
        'content-length': String(body.length),
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
      });
      response.end(body);
      return true;
    }
    return false;
  };
}
