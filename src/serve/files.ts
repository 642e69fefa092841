import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';

/**
 * Sends a file with HTTP Range support (RFC 9110 §14): one `bytes=` range gets 206 with Content-Range, an
 * unsatisfiable one 416, anything else (several ranges, another unit) the whole file. HEAD sends headers only.
 */
export async function sendFile(req: IncomingMessage, res: ServerResponse, path: string, contentType: string): Promise<boolean> {
  const info = await stat(path).catch(() => null);
  if (!info?.isFile()) return false;
  const size = info.size;
  const headers: Record<string, string | number> = { 'content-type': contentType, 'accept-ranges': 'bytes', 'last-modified': info.mtime.toUTCString(), 'cache-control': 'private, max-age=3600' };
  const range = parseRange(req.headers.range, size);
  if (range === 'unsatisfiable') {
    res.writeHead(416, { ...headers, 'content-range': `bytes */${size}` });
    res.end();
    return true;
  }
  const [start, end] = range ?? [0, size - 1];
  res.writeHead(range ? 206 : 200, { ...headers, 'content-length': Math.max(0, end - start + 1), ...(range ? { 'content-range': `bytes ${start}-${end}/${size}` } : {}) });
  if (req.method === 'HEAD' || size === 0) {
    res.end();
    return true;
  }
  await pipeline(createReadStream(path, { start, end }), res).catch(() => undefined);
  return true;
}

/** A single `bytes=a-b`, `a-` or `-n` range within `size`; null to send everything. */
export function parseRange(header: string | undefined, size: number): [number, number] | 'unsatisfiable' | null {
  const match = header ? /^bytes=(\d*)-(\d*)$/.exec(header.trim()) : null;
  if (!match) return null;
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return null;
  let start: number;
  let end: number;
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0) return 'unsatisfiable';
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(first);
    end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
    if (last !== '' && Number(last) < start) return null;
  }
  if (start >= size) return 'unsatisfiable';
  return [start, end];
}
