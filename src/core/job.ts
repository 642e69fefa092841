import { z } from 'zod';

/** A registered provider's name (see src/providers/registry.ts). */
export type ProviderName = string;

export const JOB_STATUSES = ['queued', 'processing', 'completed', 'failed', 'cancelled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

const TERMINAL: ReadonlySet<JobStatus> = new Set(['completed', 'failed', 'cancelled']);
export const isTerminal = (status: JobStatus): boolean => TERMINAL.has(status);

export const OUTPUT_TYPES = ['video', 'image', 'audio'] as const;
export type OutputType = (typeof OUTPUT_TYPES)[number];

export const JobErrorSchema = z.object({ code: z.string(), message: z.string() });
export type JobError = z.infer<typeof JobErrorSchema>;

/** The job object of the CLI contract; extra fields are allowed and kept. */
export const JobSchema = z.looseObject({
  id: z.string().min(1),
  provider: z.string().min(1),
  remoteId: z.string().nullable(),
  status: z.enum(JOB_STATUSES),
  providerStatus: z.string(),
  progress: z.number().min(0).max(100),
  stage: z.string().optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
  request: z.looseObject({}),
  output: z.object({
    path: z.string().nullable(),
    url: z.string().nullable(),
    thumbnailPath: z.string().nullable(),
    /** The subtitle sidecar beside the video (`--subtitles`), when one was asked for. */
    subtitlesPath: z.string().nullable().optional(),
    /** What the delivered file is, by its content; it decides the file's extension (a provider may make an image or audio). */
    type: z.enum(OUTPUT_TYPES).nullable().optional(),
    durationSeconds: z.number().nullable(),
  }),
  /** `estimated`: `charged` is ugc's estimate (the provider's documented price), since the provider does not report it. */
  credits: z.object({ charged: z.number(), final: z.number().nullable(), estimated: z.boolean().optional() }),
  error: JobErrorSchema.nullable(),
  /** The process rendering a local job (so `cancel` can stop it), or submitting a remote one (so nothing else recovers it meanwhile). */
  worker: z.object({ pid: z.number().int(), host: z.string() }).nullable().optional(),
  /** A remote job's host and profile (whose key), as created: every later call about it goes there. */
  connection: z.object({ baseUrl: z.string(), profile: z.string() }).optional(),
});
export type Job = z.infer<typeof JobSchema>;

export function newJobId(now: number = Date.now()): string {
  const random = Array.from(crypto.getRandomValues(new Uint8Array(6)), (b) => (b % 36).toString(36)).join('');
  return `job_${now.toString(36)}${random}`;
}

export function newJob(fields: { id?: string; provider: ProviderName; request: Record<string, unknown>; now?: Date }): Job {
  const at = (fields.now ?? new Date()).toISOString();
  return {
    id: fields.id ?? newJobId(),
    provider: fields.provider,
    remoteId: null,
    status: 'queued',
    providerStatus: 'queued',
    progress: 0,
    createdAt: at,
    updatedAt: at,
    request: fields.request,
    output: { path: null, url: null, thumbnailPath: null, durationSeconds: null },
    credits: { charged: 0, final: null },
    error: null,
    worker: null,
  };
}

/** Whether process `pid` on this machine is still running. */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
