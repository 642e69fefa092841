import { ExitCode, UgcError, type ExitCode as Code } from '../core/errors.js';

/** What a provider's error envelope said, normalised. */
export interface ProviderErrorBody {
  code: string;
  message: string;
  details?: unknown;
}

/** An HTTP error from a provider, mapped to the CLI's exit codes. */
export class ProviderError extends UgcError {
  readonly status: number;
  readonly provider: string;
  readonly providerCode: string;
  readonly details: unknown;

  constructor(provider: string, status: number, body: ProviderErrorBody, hint?: string) {
    super(`${provider}: ${body.message} (HTTP ${status}${body.code ? `, ${body.code}` : ''})`, {
      exitCode: exitCodeFor(status),
      hint: hint ?? hintFor(provider, status),
      code: body.code || `http_${status}`,
    });
    this.name = 'ProviderError';
    this.status = status;
    this.provider = provider;
    this.providerCode = body.code;
    this.details = body.details;
  }
}

export function exitCodeFor(status: number): Code {
  if (status === 401 || status === 403) return ExitCode.Auth;
  if ([400, 404, 413, 415, 422].includes(status)) return ExitCode.Usage;
  return ExitCode.Error;
}

function hintFor(provider: string, status: number): string | undefined {
  if (status === 401 || status === 403) return `Check the key: \`ugc login --provider ${provider}\`, or set UGC_API_KEY.`;
  if (status === 402) return 'The account is out of credits or has no active plan: top up, or check `ugc whoami`.';
  if (status === 429) return 'The provider kept rate-limiting after several retries; try again in a minute.';
  return undefined;
}

/** A request that never got an HTTP answer after every retry (connection refused, reset, timed out). */
export class NetworkError extends UgcError {
  constructor(provider: string, what: string, cause: unknown) {
    super(`${provider}: ${what} failed: ${describeCause(cause)}`, { exitCode: ExitCode.Error, code: 'network_error', cause, hint: 'Check the network and --base-url, then try again.' });
    this.name = 'NetworkError';
  }
}

function describeCause(cause: unknown): string {
  if (!(cause instanceof Error)) return String(cause);
  const code = (cause as { code?: string }).code ?? (cause.cause as { code?: string } | undefined)?.code;
  return code ? `${code} (${cause.message})` : cause.message;
}
