// The `plans` scenario: EXPLAIN of every main query (src/db/query-plans.ts, the list the test
// suite checks at 100,000 contacts) against the measured workspace at whatever size it has, with
// its statistics fresh. A sequential scan of contacts, notes, contact_tags or companies, or a
// whole-workspace count that reads contacts, fails the scenario.
import { openDatabase } from '../src/db/client.js';
import { explainStatements, mainQueries, planProblems, planSample } from '../src/tools/query-plans.js';

export interface PlanCheck {
  checked: number;
  statements: number;
  /** "query name: problem", one per problem found. */
  problems: string[];
}

export async function checkPlans(url: string, workspaceId: number, contacts: number): Promise<PlanCheck> {
  let captured: Array<{ text: string; params: unknown[] }> = [];
  const database = await openDatabase({ kind: 'postgres', url, poolMax: 2 }, { onStatement: (text, params) => captured.push({ text, params }) });
  try {
    const queries = mainQueries(database, workspaceId, await planSample(database, workspaceId, contacts));
    const problems: string[] = [];
    let statements = 0;
    for (const query of queries) {
      captured = [];
      await query.run();
      const sent = captured;
      captured = [];
      if (sent.length === 0) problems.push(`${query.name}: sent no statement`);
      statements += sent.length;
      for (const problem of planProblems(query, await explainStatements(database, sent))) problems.push(`${query.name}: ${problem}`);
    }
    return { checked: queries.length, statements, problems };
  } finally {
    await database.close();
  }
}
