import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, extname } from 'node:path';
import { UgcError } from '../../core/errors.js';

/**
 * The short-lived server behind a Cog runner's `--callback <url>`: while a prediction runs it serves that
 * prediction's input files (so large files travel as URLs, not data: URLs) and receives the prediction's
 * webhooks (the only way Cog hands back the result of a prediction created with `Prefer: respond-async`).
 * One listener per address, shared by the predictions in flight in this process; every path carries a
 * random token, anything else is 404. It listens on every interface, on the URL's port (0: a free one).
 */

export interface CallbackRoute {
  /** Where the model server fetches `path` (a file this prediction sends). */
  fileUrl(path: string): string;
  /** Where the model server posts the prediction's `start` and `completed` events. */
  readonly webhookUrl: string;
  /** Called with each webhook body, in arrival order. */
  onWebhook: (body: unknown) => void;
  close(): void;
}

interface Listener {
  server: Server;
  /** The advertised origin (and path prefix), with the real port. */
  base: string;
  routes: Map<string, { files: Map<string, string>; route: CallbackRoute }>;
}

const listeners = new Map<string, Promise<Listener>>();

const TYPES: Record<string, string> = { '.jpg': 'image/jpeg', '.png': 'image/png', '.wav': 'audio/wav', '.mp4': 'video/mp4' };
export const contentTypeOf = (path: string): string => TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';

export async function openCallback(callback: string): Promise<CallbackRoute> {
  let pending = listeners.get(callback);
  if (!pending) {
    pending = listen(callback);
    listeners.set(callback, pending);
    pending.catch(() => listeners.delete(callback));
  }
  const listener = await pending;
  const token = randomBytes(16).toString('hex');
  const files = new Map<string, string>();
  const prefix = `${listener.base}/ugc/${token}`;
  const route: CallbackRoute = {
    fileUrl(path) {
      const name = `${files.size}-${basename(path)}`;
      files.set(name, path);
      return `${prefix}/files/${encodeURIComponent(name)}`;
    },
    webhookUrl: `${prefix}/webhook`,
    onWebhook: () => undefined,
    close() {
      listener.routes.delete(token);
      if (listener.routes.size === 0 && listeners.get(callback) === pending) {
        listeners.delete(callback);
        listener.server.close();
        listener.server.closeAllConnections();
      }
    },
  };
  listener.routes.set(token, { files, route });
  return route;
}

async function listen(callback: string): Promise<Listener> {
  const url = new URL(callback);
  const routes: Listener['routes'] = new Map();
  const server = createServer((req, res) => {
    const parts = (req.url ?? '/').split('?')[0]?.split('/').filter(Boolean) ?? [];
    const found = parts[0] === 'ugc' ? routes.get(parts[1] ?? '') : undefined;
    if (found && req.method === 'GET' && parts[2] === 'files' && parts.length === 4) {
      const path = found.files.get(decodeURIComponent(parts[3] as string));
      if (path) {
        stat(path).then(
          (info) => {
            res.writeHead(200, { 'content-type': contentTypeOf(path), 'content-length': info.size });
            createReadStream(path).pipe(res);
          },
          () => res.writeHead(404).end(),
        );
        return;
      }
    }
    if (found && req.method === 'POST' && parts[2] === 'webhook' && parts.length === 3) {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        let body: unknown;
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"not JSON"}');
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        found.route.onWebhook(body);
      });
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
  });
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(new UgcError(`cannot listen on port ${port} for --callback ${callback}: ${error.code ?? error.message}`, { code: 'callback_unavailable', hint: 'Pick another port with `ugc models rm` and `ugc models add … --callback`, or stop what holds it.' })),
    );
    server.listen(port, () => resolve());
  });
  server.unref();
  const actual = (server.address() as AddressInfo).port;
  url.port = String(actual);
  return { server, base: `${url.origin}${url.pathname.replace(/\/+$/, '')}`, routes };
}
