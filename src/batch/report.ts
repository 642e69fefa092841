import { writeFileAtomic } from '../core/atomic-write.js';
import { junitXml, type JunitCase } from '../core/junit.js';
import type { RowResult } from './execute.js';

/** A JUnit XML report (one testcase per job, in row order), for CI test reporters. */
export function junitReport(results: RowResult[], suite: string): string {
  const sorted = [...results].sort((a, b) => a.row - b.row || a.name.localeCompare(b.name));
  const cases = sorted.map((r): JunitCase => ({
    classname: suite,
    name: `row ${r.row}: ${r.name}`,
    seconds: r.seconds,
    ...(r.status === 'completed' ? { output: r.outputPath ?? '' } : { failure: { message: r.error ?? 'failed', type: r.provider } }),
  }));
  return junitXml('ugc batch', suite, cases);
}

export async function writeJunitReport(path: string, results: RowResult[], suite: string): Promise<void> {
  await writeFileAtomic(path, junitReport(results, suite));
}

export interface BatchSummary {
  total: number;
  completed: number;
  failed: number;
  skipped: number;
  rows: RowResult[];
}

export function summarise(results: RowResult[]): BatchSummary {
  const rows = [...results].sort((a, b) => a.row - b.row || a.name.localeCompare(b.name));
  return {
    total: rows.length,
    completed: rows.filter((r) => r.status === 'completed').length,
    failed: rows.filter((r) => r.status === 'failed').length,
    skipped: rows.filter((r) => r.skipped).length,
    rows,
  };
}
