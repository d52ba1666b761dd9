// Headless Chromium for browser tests: Debian's package (/usr/bin/chromium) driven by
// playwright-core, never a browser downloaded by a test tool. A missing browser fails the test
// with what to install: a browser test that skipped would pass CI without having run.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';

// No sandbox (tests run as root), no GPU, and none of Chromium's own background traffic (updates,
// sync, QUIC probes), which a closed network refuses and which would muddle request checks.
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface HeadlessChromium {
  context: BrowserContext;
  close(): Promise<void>;
}

/** Starts Chromium on a fresh, empty profile directory, removed again on close. */
export async function launchChromium(): Promise<HeadlessChromium> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium is not installed (no ${CHROMIUM_PATH}). Install the Debian package \`chromium\` ` +
        '(apt-get update && apt-get install -y chromium) to run the browser tests.',
    );
  }
  const userDataDir = await mkdtemp(path.join(tmpdir(), 'cardfile-chromium-'));
  try {
    const context = await chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM_PATH, headless: true, args: FLAGS });
    return {
      context,
      close: async () => {
        await context.close();
        await rm(userDataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(userDataDir, { recursive: true, force: true });
    throw error;
  }
}
