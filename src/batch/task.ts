import { dirname, isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import type { Context } from '../core/context.js';
import { UgcError, UsageError } from '../core/errors.js';
import type { ProviderName } from '../core/job.js';
import { columnOf, describeIssue, parseRequest, type RawRequest } from '../core/request.js';
import { getProvider, providerNames, requirePart } from '../providers/registry.js';
import { Manifest } from './manifest.js';
import { jobKey, nameProblem, rowErrorFor, type BatchJob } from './rows.js';

/** What `ugc batch --queue` puts on the queue for one row. */
export interface RowTask {
  job: BatchJob;
  outDir: string;
  rowsFile: string;
  totalJobs: number;
  defaultProvider: ProviderName;
  retryFailed: boolean;
}

const RowTaskSchema = z.object({
  job: z.object({
    key: z.string().min(1),
    row: z.number().int().min(1),
    line: z.number().int().min(1).optional(),
    name: z.string(),
    provider: z.string().nullable(),
    combination: z.record(z.string(), z.string()),
    request: z.record(z.string(), z.unknown()),
  }),
  outDir: z.string(),
  rowsFile: z.string(),
  totalJobs: z.number().int().min(0),
  defaultProvider: z.string(),
  retryFailed: z.boolean(),
});

/** A queue payload a worker refuses: it is failed on the queue with this message, and nothing is written. */
export class RefusedTask extends UgcError {
  constructor(message: string) {
    super(`refused a queued row: ${message}`, { code: 'invalid_queue_row' });
    this.name = 'RefusedTask';
  }
}

/**
 * A queue payload checked as if a user had typed it, because anyone who can reach the Redis can put one
 * there: the shape, the name (a file name, nothing more), the request by the same rules as a row of a
 * rows file (then the provider's own checks), and its key against its content. The output directory
 * must be one a `ugc batch` opened, holding this very row: a worker writes nowhere else.
 */
export async function checkTask(ctx: Context, payload: unknown, manifests: Map<string, Manifest>): Promise<{ task: RowTask; manifest: Manifest }> {
  const parsed = RowTaskSchema.safeParse(payload);
  if (!parsed.success) throw new RefusedTask(`not a batch row (${parsed.error.issues[0]?.path.join('.') || 'payload'}: ${parsed.error.issues[0]?.message ?? 'invalid'})`);
  const { job, outDir, rowsFile, defaultProvider } = parsed.data;
  const known = providerNames();
  if (!known.includes(defaultProvider) || (job.provider !== null && !known.includes(job.provider))) throw new RefusedTask(`row ${job.row}: unknown provider`);
  const problem = nameProblem(job.name);
  if (problem) throw new RefusedTask(`row ${job.row}, name: ${problem}`);
  if (!isAbsolute(outDir) || resolve(outDir) !== outDir || !isAbsolute(rowsFile)) throw new RefusedTask(`row ${job.row}: the output directory and rows file must be absolute paths`);

  const provider = getProvider(job.provider ?? defaultProvider);
  const cwd = dirname(rowsFile);
  const { request, issues } = parseRequest(job.request as RawRequest, { cwd, rules: provider.jobs?.inputs, provider: provider.name });
  if (issues[0]) throw new RefusedTask(`row ${job.row}, ${columnOf(issues[0].field)}: ${describeIssue(issues[0], 'column')}`);
  // The key covers the row's content; an idempotency key the row did not set is the key itself.
  const given = request.idempotencyKey === job.key ? null : request.idempotencyKey;
  if (jobKey({ ...request, idempotencyKey: given }, job.provider, job.name, cwd) !== job.key) throw new RefusedTask(`row ${job.row}: its content does not match its key`);
  try {
    await requirePart(provider, 'jobs', 'worker').validate(ctx, request);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    const at = rowErrorFor(job, error);
    throw new RefusedTask(`row ${at.row}, ${at.field}: ${at.message}`);
  }

  const manifest = manifests.get(outDir) ?? (await Manifest.attach(outDir));
  if (!manifest) throw new RefusedTask(`row ${job.row}: ${outDir} holds no batch (no ugc batch opened it)`);
  manifests.set(outDir, manifest);
  const entry = await manifest.get(job.key);
  if (!entry || entry.name !== job.name) throw new RefusedTask(`row ${job.row}: the batch in ${outDir} has no row "${job.name}" with this key`);
  return { task: { ...parsed.data, job: { ...job, request, provider: job.provider }, defaultProvider }, manifest };
}
