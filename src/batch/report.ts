import { writeFileAtomic } from '../core/atomic-write.js';
import type { RowResult } from './execute.js';

const escapeXml = (text: string) => text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] as string);

/** A JUnit XML report (one testcase per job, in row order), for CI test reporters. */
export function junitReport(results: RowResult[], suite: string): string {
  const sorted = [...results].sort((a, b) => a.row - b.row || a.name.localeCompare(b.name));
  const failures = sorted.filter((r) => r.status === 'failed').length;
  const time = sorted.reduce((sum, r) => sum + r.seconds, 0);
  const cases = sorted.map((r) => {
    const open = `    <testcase classname="${escapeXml(suite)}" name="${escapeXml(`row ${r.row}: ${r.name}`)}" time="${r.seconds.toFixed(2)}"`;
    if (r.status === 'completed') return `${open}>\n      <system-out>${escapeXml(r.outputPath ?? '')}</system-out>\n    </testcase>`;
    return `${open}>\n      <failure message="${escapeXml(r.error ?? 'failed')}" type="${escapeXml(r.provider)}"/>\n    </testcase>`;
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="ugc batch" tests="${sorted.length}" failures="${failures}" time="${time.toFixed(2)}">`,
    `  <testsuite name="${escapeXml(suite)}" tests="${sorted.length}" failures="${failures}" errors="0" skipped="0" time="${time.toFixed(2)}">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
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
