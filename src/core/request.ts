import { z } from 'zod';
import { UsageError } from './errors.js';

export const MAX_SCRIPT_CHARS = 5000;
export const ASPECT_VALUES = ['9:16', '16:9', '1:1'] as const;
export const CAPTION_VALUES = ['karaoke', 'clean', 'none'] as const;
export const RESOLUTION_VALUES = ['720p', '1080p'] as const;

/**
 * The unified generate request every provider maps from: `generate`'s flags, normalised.
 * Paths are absolute by the time a request is stored in a job record.
 */
export const GenerateRequestSchema = z.object({
  script: z.string(),
  creator: z.string().nullable().default(null),
  image: z.string().nullable().default(null),
  voice: z.string().nullable().default(null),
  audio: z.string().nullable().default(null),
  aspect: z.enum(ASPECT_VALUES).default('9:16'),
  captions: z.enum(CAPTION_VALUES).default('karaoke'),
  music: z.string().nullable().default(null),
  productName: z.string().nullable().default(null),
  productImage: z.string().nullable().default(null),
  cta: z.string().nullable().default(null),
  prompt: z.string().nullable().default(null),
  model: z.string().nullable().default(null),
  durationSeconds: z.number().positive().nullable().default(null),
  resolution: z.enum(RESOLUTION_VALUES).default('1080p'),
  params: z.record(z.string(), z.string()).default({}),
  webhookUrl: z.string().nullable().default(null),
  idempotencyKey: z.string().nullable().default(null),
});
export type GenerateRequest = z.infer<typeof GenerateRequestSchema>;

const oneOf = (flag: string, value: string, allowed: readonly string[]) =>
  new UsageError(`${flag} must be one of ${allowed.join(', ')} (got "${value}")`);

/** Checks that need no file system or provider: the same for every provider, before any work. */
export function checkRequest(input: Partial<GenerateRequest> & { script?: string | null }): GenerateRequest {
  const script = (input.script ?? '').trim();
  if (!script) throw new UsageError('the script is empty', 'Pass --script "<text>" or --script-file <path>.');
  if (script.length > MAX_SCRIPT_CHARS) {
    throw new UsageError(`the script is ${script.length} characters; the limit is ${MAX_SCRIPT_CHARS}`, 'Shorten it, or split it into several ads with `ugc batch`.');
  }
  if (input.aspect && !(ASPECT_VALUES as readonly string[]).includes(input.aspect)) throw oneOf('--aspect', input.aspect, ASPECT_VALUES);
  if (input.captions && !(CAPTION_VALUES as readonly string[]).includes(input.captions)) throw oneOf('--captions', input.captions, CAPTION_VALUES);
  if (input.resolution && !(RESOLUTION_VALUES as readonly string[]).includes(input.resolution)) throw oneOf('--resolution', input.resolution, RESOLUTION_VALUES);
  if (input.creator && input.image) throw new UsageError('pass either --creator or --image, not both');
  if (input.durationSeconds !== undefined && input.durationSeconds !== null && !(input.durationSeconds > 0 && input.durationSeconds <= 600)) {
    throw new UsageError('--duration must be a number of seconds between 1 and 600');
  }
  const parsed = GenerateRequestSchema.safeParse({ ...input, script });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UsageError(`invalid ${issue?.path.join('.') || 'request'}: ${issue?.message ?? 'unknown problem'}`);
  }
  return parsed.data;
}
