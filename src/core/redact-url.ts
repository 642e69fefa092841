/** Query parameters whose values are credentials. */
const SECRET_PARAM = /key|token|secret|password|signature|sig|auth/i;

/**
 * `url` as it may be printed or logged: credentials in the user-info part (`redis://user:pass@host`)
 * and in query parameters that look like credentials are replaced with `***`. Text that is not a URL
 * has any `//user:pass@` in it hidden all the same.
 */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url.replace(/\/\/[^@/\s]*@/g, '//***@');
  }
  let changed = false;
  if (parsed.username || parsed.password) {
    parsed.username = '***';
    parsed.password = '';
    changed = true;
  }
  for (const key of [...parsed.searchParams.keys()]) {
    if (SECRET_PARAM.test(key)) {
      parsed.searchParams.set(key, '***');
      changed = true;
    }
  }
  // A URL with nothing to hide is printed as it was given, not as the URL parser normalises it.
  return changed ? parsed.toString() : url;
}
