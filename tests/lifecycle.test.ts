// The app's lifecycle as data: parts are stopped last made first, a start that fails halfway stops
// what it had made, one part that fails to stop does not keep the others running, and the app
// says which phase it is in.
import { describe, expect, it } from 'vitest';
import { Lifecycle } from '../src/lifecycle.js';
import { createLogger } from '../src/observability/logger.js';
import { startTestServer } from './helpers/server.js';

const quiet = createLogger('silent');

describe('the lifecycle', () => {
  it('stops parts last made first, each awaited before the next', async () => {
    const lifecycle = new Lifecycle(quiet);
    const stopped: string[] = [];
    for (const name of ['connection', 'cache', 'server']) {
      lifecycle.own(name, { name }, async (part) => {
        await Promise.resolve();
        stopped.push(part.name);
      });
    }
    lifecycle.enter({ name: 'built' });
    await lifecycle.stop();
    expect(stopped).toEqual(['server', 'cache', 'connection']);
    expect(lifecycle.phase).toEqual({ name: 'stopped' });
  });

  it('stops what a failed start had made, and reports the failure', async () => {
    const lifecycle = new Lifecycle(quiet);
    const stopped: string[] = [];
    const build = async () => {
      lifecycle.own('first', 1, () => void stopped.push('first'));
      lifecycle.own('second', 2, () => void stopped.push('second'));
      throw new Error('the third part could not be made');
    };
    const failure = build().catch((error: unknown) => lifecycle.fail(error));
    await expect(failure).rejects.toThrow('the third part could not be made');
    expect(stopped).toEqual(['second', 'first']);
    expect(lifecycle.phase.name).toBe('failed');
  });

  it('goes on stopping the others when one part fails to stop, and stops once however often asked', async () => {
    const lifecycle = new Lifecycle(quiet);
    const stopped: string[] = [];
    lifecycle.own('a', 'a', () => void stopped.push('a'));
    lifecycle.own('b', 'b', () => {
      throw new Error('b will not stop');
    });
    lifecycle.own('c', 'c', () => void stopped.push('c'));
    await Promise.all([lifecycle.stop(), lifecycle.stop()]);
    expect(stopped).toEqual(['c', 'a']);
  });

  it('is what the app reports: built, started, draining, stopped', async () => {
    const server = await startTestServer({ SHUTDOWN_DRAIN_MS: '0' });
    expect(server.app.phase.name).toBe('started');
    await server.app.drain();
    expect(server.app.phase.name).toBe('draining');
    expect((await server.request('/readyz')).status).toBe(503);
    await server.close();
    expect(server.app.phase.name).toBe('stopped');
  });
});
