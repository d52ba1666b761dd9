// The embedded first start: a `demo` workspace with realistic data and an editor token in
// DATA_DIR/demo-token, so `npm install && npm start` gives something to query at once.
import fs from 'node:fs';
import path from 'node:path';
import { issueToken } from './auth/tokens.js';
import type { Config } from './config.js';
import type { Database } from './db/client.js';
import { findWorkspaceByName } from './db/repositories/workspaces.js';
import { describeSeed, seedWorkspace } from './tools/seed.js';
import type { Logger } from './observability/logger.js';

export const DEMO_WORKSPACE = 'demo';

export async function ensureDemoWorkspace(config: Config, db: Database, logger: Logger): Promise<string> {
  const tokenFile = path.join(config.dataDir, 'demo-token');
  if (!(await findWorkspaceByName(db, DEMO_WORKSPACE))) {
    logger.info(`seeding the ${DEMO_WORKSPACE} workspace with ${config.demoContacts} contacts (first start only)`);
    const summary = await seedWorkspace(db, { workspace: DEMO_WORKSPACE, contacts: config.demoContacts });
    logger.info(describeSeed(summary));
  }
  if (!fs.existsSync(tokenFile)) {
    const token = await issueToken(db, DEMO_WORKSPACE, 'editor');
    fs.mkdirSync(config.dataDir, { recursive: true });
    fs.writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
  }
  return fs.readFileSync(tokenFile, 'utf8').trim();
}
