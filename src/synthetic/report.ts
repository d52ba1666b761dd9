// One run as people read it (a table) or as machines read it (one JSON line).
import type { StepReport } from './steps.js';

export interface RunReport {
  run: number;
  startedAt: string;
  endpoint: string;
  /** No step failed; steps that did not run count as neither. */
  ok: boolean;
  steps: StepReport[];
}

export function runReport(run: number, startedAt: Date, endpoint: string, steps: StepReport[]): RunReport {
  return { run, startedAt: startedAt.toISOString(), endpoint, ok: steps.every((step) => step.result !== 'fail'), steps };
}

export function formatJson(report: RunReport): string {
  return `${JSON.stringify(report)}\n`;
}

const RESULT_LABEL = { pass: 'ok', fail: 'FAILED', 'not run': 'not run' } as const;

export function formatTable(report: RunReport): string {
  const failed = report.steps.filter((step) => step.result === 'fail').length;
  const skipped = report.steps.filter((step) => step.result === 'not run').length;
  const verdict = report.ok ? 'all checks passed' : `${failed} step${failed === 1 ? '' : 's'} failed`;
  const header = `run ${report.run}  ${report.startedAt}  ${report.endpoint}  ${verdict}${skipped ? `, ${skipped} not run` : ''}`;
  const rows = [
    ['step', 'ms', 'x-cache', 'result'],
    ...report.steps.map((step) => [
      step.step,
      step.ms === null ? '-' : step.ms.toFixed(1),
      step.cache ?? '-',
      `${RESULT_LABEL[step.result]}: ${step.detail}`,
    ]),
  ];
  const widths = [0, 1, 2].map((column) => Math.max(...rows.map((row) => row[column]!.length)));
  const lines = rows.map((row) =>
    [row[0]!.padEnd(widths[0]!), row[1]!.padStart(widths[1]!), row[2]!.padEnd(widths[2]!), row[3]!].join('  '),
  );
  return `${header}\n${lines.join('\n')}\n\n`;
}
