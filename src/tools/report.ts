// What `npm run db:report` prints: the statements that cost the most in total (pg_stat_statements),
// how each index is used and which are never used, and how much of each table is dead rows (a
// bloat estimate from the statistics PostgreSQL keeps; VACUUM reclaims them). Each section says
// plainly when its source is not available here, instead of failing the whole report.
import type { DatabaseHandle } from '../db/client.js';

export interface ReportSection {
  title: string;
  /** Rows to print as a table; empty with `note` when there is nothing or no source. */
  rows: Array<Record<string, string | number>>;
  note?: string;
}

const PG_STAT_STATEMENTS_HELP =
  "pg_stat_statements is not enabled: add it to shared_preload_libraries (ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'), restart PostgreSQL, then run CREATE EXTENSION pg_stat_statements in this database.";

async function topStatements(database: DatabaseHandle, top: number): Promise<ReportSection> {
  const title = `Top ${top} statements by total time (pg_stat_statements)`;
  if (database.kind !== 'postgres') return { title, rows: [], note: 'Not available on the embedded store.' };
  try {
    await database.query('create extension if not exists pg_stat_statements');
    const rows = await database.query<{ query: string; calls: string; total_ms: string; mean_ms: string; rows: string }>(
      `select regexp_replace(query, '\\s+', ' ', 'g') as query, calls, round(total_exec_time::numeric, 1) as total_ms,
              round(mean_exec_time::numeric, 2) as mean_ms, rows
         from pg_stat_statements
        where dbid = (select oid from pg_database where datname = current_database())
        order by total_exec_time desc
        limit $1`,
      [top],
    );
    return {
      title,
      rows: rows.map((row) => ({
        'total ms': Number(row.total_ms),
        calls: Number(row.calls),
        'mean ms': Number(row.mean_ms),
        rows: Number(row.rows),
        statement: row.query.length > 160 ? `${row.query.slice(0, 160)}...` : row.query,
      })),
      note: rows.length === 0 ? 'No statements recorded yet.' : undefined,
    };
  } catch {
    return { title, rows: [], note: PG_STAT_STATEMENTS_HELP };
  }
}

async function indexUsage(database: DatabaseHandle): Promise<ReportSection[]> {
  const rows = await database.query<{ table_name: string; index_name: string; scans: string; size: string; bytes: string; is_unique: boolean }>(
    `select s.relname as table_name, s.indexrelname as index_name, s.idx_scan as scans,
            pg_size_pretty(pg_relation_size(s.indexrelid)) as size, pg_relation_size(s.indexrelid) as bytes, i.indisunique as is_unique
       from pg_stat_user_indexes s join pg_index i on i.indexrelid = s.indexrelid
      order by s.relname, s.indexrelname`,
  );
  const usage: ReportSection = {
    title: 'Index usage (scans since statistics were last reset)',
    rows: rows.map((row) => ({ table: row.table_name, index: row.index_name, scans: Number(row.scans), size: row.size })),
  };
  // Unique indexes enforce a rule even when no query reads them: never "unused".
  const unused = rows.filter((row) => Number(row.scans) === 0 && !row.is_unique);
  return [
    usage,
    {
      title: 'Unused indexes (no scan, not unique): candidates to drop once the statistics cover a representative period',
      rows: unused.map((row) => ({ table: row.table_name, index: row.index_name, size: row.size })),
      note: unused.length === 0 ? 'None.' : undefined,
    },
  ];
}

async function tableBloat(database: DatabaseHandle): Promise<ReportSection> {
  const rows = await database.query<{ table_name: string; live: string; dead: string; size: string; last_vacuum: string | null }>(
    `select relname as table_name, n_live_tup as live, n_dead_tup as dead, pg_size_pretty(pg_total_relation_size(relid)) as size,
            greatest(last_vacuum, last_autovacuum)::text as last_vacuum
       from pg_stat_user_tables
      order by n_dead_tup desc, relname`,
  );
  return {
    title: 'Table bloat estimate (dead rows, from PostgreSQL statistics)',
    rows: rows.map((row) => {
      const live = Number(row.live);
      const dead = Number(row.dead);
      return {
        table: row.table_name,
        'live rows': live,
        'dead rows': dead,
        'dead %': live + dead === 0 ? 0 : Math.round((dead / (live + dead)) * 1000) / 10,
        size: row.size,
        'last vacuum': row.last_vacuum ?? 'never',
      };
    }),
  };
}

export async function databaseReport(database: DatabaseHandle, top: number): Promise<ReportSection[]> {
  return [await topStatements(database, top), ...(await indexUsage(database)), await tableBloat(database)];
}

/** Plain-text tables, one per section. */
export function formatReport(sections: ReportSection[]): string {
  const out: string[] = [];
  for (const section of sections) {
    out.push(`== ${section.title}`);
    if (section.rows.length > 0) {
      const columns = Object.keys(section.rows[0]!);
      const widths = columns.map((column) => Math.max(column.length, ...section.rows.map((row) => String(row[column]).length)));
      const line = (cells: string[]) => cells.map((cell, index) => cell.padEnd(widths[index]!)).join('  ').trimEnd();
      out.push(line(columns), line(widths.map((width) => '-'.repeat(width))));
      for (const row of section.rows) out.push(line(columns.map((column) => String(row[column]))));
    }
    if (section.note) out.push(section.note);
    out.push('');
  }
  return out.join('\n');
}
