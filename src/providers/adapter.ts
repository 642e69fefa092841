import type { JobError, JobStatus, ProviderName } from '../core/job.js';
import type { GenerateRequest } from '../core/request.js';
import type { HttpClient } from '../http/client.js';
import type { ProviderErrorBody } from '../http/errors.js';
import type { ProviderCapabilities } from './types.js';

/** A provider's job, mapped onto the unified vocabulary; `providerStatus` keeps the provider's own word. */
export interface RemoteJob {
  remoteId: string;
  status: JobStatus;
  providerStatus: string;
  progress: number;
  outputUrl: string | null;
  error: JobError | null;
  creditsCharged?: number | null;
}

export interface Account {
  account: string;
  plan?: string | null;
  credits?: number | null;
  [field: string]: unknown;
}

export type CatalogItem = Record<string, unknown> & { id: string };

/**
 * What one provider's API looks like, and nothing more: paths, shapes, status words. Retries, auth,
 * rate limits, idempotency and error envelopes live in the HTTP client; job records and polling in
 * RemoteProvider.
 */
export interface Adapter {
  readonly name: ProviderName;
  /** null: self-hosted, `--base-url` required. */
  readonly documentedBaseUrl: string | null;
  readonly authHeader: 'authorization' | 'x-api-key';
  readonly idempotency: 'header' | 'body';
  readonly capabilities: ProviderCapabilities;
  /** The provider's recommended polling interval. */
  readonly pollIntervalSeconds: number;
  parseError(status: number, body: unknown): ProviderErrorBody;
  isBusy?(status: number, body: unknown): boolean;
  /** Provider-specific input rules (required fields, file kinds), checked before anything is sent. */
  validate?(request: GenerateRequest): Promise<void> | void;
  create(http: HttpClient, request: GenerateRequest, options: { idempotencyKey: string; signal?: AbortSignal }): Promise<RemoteJob>;
  /** For providers with one account-wide webhook URL (U-Gen): point it at `url`, signed with `secret`. */
  configureWebhook?(http: HttpClient, url: string, secret: string): Promise<void>;
  get(http: HttpClient, remoteId: string, signal?: AbortSignal): Promise<RemoteJob>;
  /**
   * For providers that cannot deduplicate a resent create (no idempotency key): the job a create sent at
   * `sentAt` made, if it reached the provider. Used instead of resending when that create's answer was lost.
   */
  recoverCreated?(http: HttpClient, sentAt: number): Promise<RemoteJob | null>;
  cancel?(http: HttpClient, remoteId: string): Promise<void>;
  whoami(http: HttpClient): Promise<Account>;
  listCreators?(http: HttpClient, include?: 'stock' | 'custom'): Promise<CatalogItem[]>;
  getCreator?(http: HttpClient, id: string): Promise<CatalogItem>;
  addCreator?(http: HttpClient, imagePath: string, name: string): Promise<CatalogItem>;
  removeCreator?(http: HttpClient, id: string): Promise<void>;
  listVoices?(http: HttpClient): Promise<CatalogItem[]>;
  getVoice?(http: HttpClient, id: string): Promise<CatalogItem>;
  addVoice?(http: HttpClient, samplePath: string, name: string): Promise<CatalogItem>;
  removeVoice?(http: HttpClient, id: string): Promise<void>;
  listModels?(http: HttpClient): Promise<CatalogItem[]>;
  estimate?(http: HttpClient, request: GenerateRequest): Promise<{ credits: number; [field: string]: unknown }>;
  upload?(http: HttpClient, kind: 'avatar' | 'voice-sample', path: string): Promise<{ key: string; [field: string]: unknown }>;
}
