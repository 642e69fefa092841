import { createWriteStream, type WriteStream } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import busboy from 'busboy';
import { sniffAudio, sniffImage, SNIFF_BYTES, type Sniffed } from './sniff.js';

/** A request refused while its body was read: the HTTP status and the `error` text of the answer. */
export class Refusal extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export const FILE_FIELDS = ['image', 'audio'] as const;
export type FileField = (typeof FILE_FIELDS)[number];

export interface UploadedFile extends Sniffed {
  path: string;
  bytes: number;
}

export interface ReceivedForm {
  files: Record<FileField, UploadedFile>;
  /** Text fields by name (webhookUrl, script); others are ignored. */
  fields: Record<string, string>;
}

const TEXT_FIELDS = new Set(['webhookUrl', 'script']);
const ACCEPTS: Record<FileField, string> = { image: 'image/jpeg, image/png, image/webp', audio: 'mp3, wav, m4a, ogg' };
const MB = 1024 * 1024;
const sizeText = (bytes: number) => (bytes >= MB ? `${Math.round(bytes / MB)} MB` : `${Math.round(bytes / 1024)} KB`);

/**
 * Streams a multipart/form-data body into `dir` (which the caller made and removes on refusal): each
 * file is checked by its first bytes as it arrives (415), counted against `maxFileBytes` (413 as soon as
 * it passes it), and written with backpressure, so memory stays flat whatever the size. The client's
 * file names are never used: the files are `<field>.<extension of the sniffed type>`.
 */
export function receiveForm(req: IncomingMessage, dir: string, maxFileBytes: number, maxTextChars: number): Promise<ReceivedForm> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: req.headers, limits: { fileSize: maxFileBytes, files: 2, fields: 10, parts: 12, fieldSize: maxTextChars * 4 } });
    } catch {
      reject(new Refusal(400, 'Expected a multipart/form-data body'));
      return;
    }
    const files: Partial<Record<FileField, UploadedFile>> = {};
    const fields: Record<string, string> = {};
    const writing = new Set<Promise<void>>();
    const open = new Set<WriteStream>();
    let settled = false;

    const fail = (status: number, message: string) => {
      if (settled) return;
      settled = true;
      req.unpipe(parser);
      // Answered once the files being written are closed, so the caller's clean-up finds them all.
      const closing = [...open].map((stream) => new Promise<void>((closed) => stream.once('close', () => closed())));
      for (const stream of open) stream.destroy();
      void Promise.all(closing).then(() => reject(new Refusal(status, message)));
    };

    parser.on('file', (name, stream) => {
      if (!FILE_FIELDS.includes(name as FileField)) {
        stream.resume();
        return fail(400, `Unexpected file field: ${name.slice(0, 40)} (send image and audio)`);
      }
      const field = name as FileField;
      if (files[field]) {
        stream.resume();
        return fail(400, `Only one ${field} file is allowed`);
      }
      let head = Buffer.alloc(0);
      let out: WriteStream | null = null;
      let bytes = 0;
      const record: UploadedFile = { path: '', bytes: 0, mime: '', extension: '' };
      files[field] = record;
      const done = new Promise<void>((resolveFile) => {
        const start = (sniffed: Sniffed) => {
          Object.assign(record, sniffed, { path: join(dir, `${field}.${sniffed.extension}`) });
          out = createWriteStream(record.path, { flags: 'wx', mode: 0o600 });
          open.add(out);
          out.on('error', (error) => fail(500, `Could not store the upload: ${error.message}`));
          out.on('close', () => open.delete(out as WriteStream));
        };
        const write = (chunk: Buffer) => {
          if (out && !out.write(chunk)) {
            stream.pause();
            out.once('drain', () => stream.resume());
          }
        };
        stream.on('data', (chunk: Buffer) => {
          if (settled) return;
          bytes += chunk.length;
          if (out) return write(chunk);
          head = Buffer.concat([head, chunk]);
          if (head.length < SNIFF_BYTES) return;
          const sniffed = field === 'image' ? sniffImage(head) : sniffAudio(head);
          if (!sniffed) return fail(415, `Unsupported ${field} type: accepts ${ACCEPTS[field]}`);
          start(sniffed);
          write(head);
        });
        stream.on('error', (error: Error) => {
          fail(400, `Malformed multipart/form-data body: ${error.message}`);
          resolveFile();
        });
        stream.on('limit', () => fail(413, `The ${field} file exceeds the ${sizeText(maxFileBytes)} limit`));
        stream.on('end', () => {
          if (settled) return resolveFile();
          if (bytes === 0) {
            fail(400, `The ${field} file is empty`);
            return resolveFile();
          }
          if (!out) {
            // Shorter than the sniff window: judge what there is.
            const sniffed = field === 'image' ? sniffImage(head) : sniffAudio(head);
            if (!sniffed) {
              fail(415, `Unsupported ${field} type: accepts ${ACCEPTS[field]}`);
              return resolveFile();
            }
            start(sniffed);
            write(head);
          }
          record.bytes = bytes;
          const stream = out as WriteStream | null;
          if (!stream) return resolveFile();
          stream.end(() => resolveFile());
        });
      });
      writing.add(done);
    });

    parser.on('field', (name, value, info) => {
      if (!TEXT_FIELDS.has(name)) return;
      if (info.valueTruncated || value.length > maxTextChars) return fail(400, `The ${name} field is too long`);
      fields[name] = value;
    });
    parser.on('partsLimit', () => fail(400, 'Too many parts in the form'));
    parser.on('filesLimit', () => fail(400, 'Only one image and one audio file are allowed'));
    parser.on('fieldsLimit', () => fail(400, 'Too many fields in the form'));
    parser.on('error', (error: Error) => fail(400, `Malformed multipart/form-data body: ${error.message}`));
    parser.on('close', () => {
      void Promise.all(writing).then(() => {
        if (settled) return;
        for (const field of FILE_FIELDS) if (!files[field]) return fail(400, `Missing required file: ${field}`);
        settled = true;
        resolve({ files: files as Record<FileField, UploadedFile>, fields });
      });
    });
    req.on('aborted', () => fail(400, 'The upload was cut off'));
    req.on('error', () => fail(400, 'The upload was cut off'));
    req.pipe(parser);
  });
}
