/** The programmatic API: the same library the CLI drives. */
export { run } from './cli.js';
export { UgcError, UsageError, ExitCode } from './core/errors.js';
export { JobSchema, type Job, type JobStatus, type ProviderName } from './core/job.js';
export { JobStore } from './core/job-store.js';
export { checkRequest, parseRequest, REQUEST_FIELDS, InputError, type GenerateRequest, type InputRules, type InputIssue } from './core/request.js';
export { registerProvider, getProvider, providerNames } from './providers/registry.js';
export { defineRemoteProvider, type RemoteProviderSpec, type RemoteJob } from './providers/remote.js';
export type { ProviderDefinition, JobsPart, Catalog, WebhooksPart } from './providers/definition.js';
export { hexScheme, timestampedHexScheme, standardScheme, type WebhookScheme } from './providers/webhook-schemes.js';
export { locateFfmpeg } from './render/ffmpeg/locate.js';
export { renderAd, type RenderOptions, type RenderResult } from './render/pipeline.js';
export { resolveRenderInputs, type RenderInputs } from './render/inputs.js';
export { registerRunner, listRunners, cogRunner, execRunner, type ModelRunner, type CreatorClip, type RunnerInput, type RunnerHealth } from './render/runners/index.js';
export { runnerSettingsFrom, type RunnerSettings } from './render/runners/configured.js';
export { listCreators, findCreator } from './render/creators.js';
export { listVoices, findVoice } from './render/voices.js';
export { signWebhook, verifyWebhook, isValidWebhook, schemeFor, WebhookVerificationError, TOLERANCE_SECONDS } from './webhooks/signing.js';
export { buildPayload, eventNames } from './webhooks/payloads.js';
