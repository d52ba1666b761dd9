import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkspace, startTestServer, type TestServer, type Workspace } from './helpers/server.js';

let server: TestServer;
let acme: Workspace;

beforeAll(async () => {
  server = await startTestServer();
  acme = await createWorkspace(server.db, 'acme', 30);
});
afterAll(() => server?.close());

describe('a first query', () => {
  it('lists contacts with their company and tags', async () => {
    const { status, body } = await server.graphql(
      '{ viewer { role workspace { name } } contacts(first: 5) { totalCount edges { node { firstName company { name } tags { name } } } } }',
      {},
      acme.reader,
    );
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    expect(body.data.viewer).toEqual({ role: 'READER', workspace: { name: 'acme' } });
    expect(body.data.contacts.totalCount).toBe(30);
    expect(body.data.contacts.edges).toHaveLength(5);
  });

  it('answers health, readiness and metrics', async () => {
    expect((await server.request('/healthz')).status).toBe(200);
    expect((await server.request('/readyz')).status).toBe(200);
    const metrics = await server.request('/metrics');
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('cardfile_http_request_duration_seconds');
  });
});
