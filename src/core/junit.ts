/** JUnit XML, the report format CI systems read: one test suite of test cases. */

export interface JunitCase {
  name: string;
  classname: string;
  seconds: number;
  /** A failed case. */
  failure?: { message: string; type: string };
  /** A case that did not run, and why. */
  skipped?: string;
  /** Text shown with the case. */
  output?: string;
}

// XML 1.0 cannot hold these characters at all, not even escaped: they are dropped.
// eslint-disable-next-line no-control-regex
const NOT_XML = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Text made safe for an XML attribute or element. */
export const escapeXml = (text: string): string =>
  text.replace(NOT_XML, '').replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] as string);

/** A JUnit report of one suite, named `suite` inside `run`. */
export function junitXml(run: string, suite: string, cases: readonly JunitCase[]): string {
  const failures = cases.filter((c) => c.failure).length;
  const skipped = cases.filter((c) => c.skipped !== undefined).length;
  const time = cases.reduce((sum, c) => sum + c.seconds, 0).toFixed(2);
  const body = cases.map((c) => {
    const open = `    <testcase classname="${escapeXml(c.classname)}" name="${escapeXml(c.name)}" time="${c.seconds.toFixed(2)}"`;
    const inner = [
      c.failure ? `      <failure message="${escapeXml(c.failure.message)}" type="${escapeXml(c.failure.type)}"/>` : null,
      c.skipped !== undefined ? `      <skipped message="${escapeXml(c.skipped)}"/>` : null,
      c.output !== undefined ? `      <system-out>${escapeXml(c.output)}</system-out>` : null,
    ].filter((line) => line !== null);
    return inner.length ? `${open}>\n${inner.join('\n')}\n    </testcase>` : `${open}/>`;
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${escapeXml(run)}" tests="${cases.length}" failures="${failures}" time="${time}">`,
    `  <testsuite name="${escapeXml(suite)}" tests="${cases.length}" failures="${failures}" errors="0" skipped="${skipped}" time="${time}">`,
    ...body,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
