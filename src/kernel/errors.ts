export const ERROR_CODES = [
  'invalid_request',
  'unauthorized',
  'forbidden',
  'not_found',
  'method_not_allowed',
  'conflict',
  'rate_limited',
  'quota_exceeded',
  'session_expired',
  'payload_too_large',
  'file_too_large',
  'unsupported_media_type',
  'suppressed',
  'upstream_error',
  'unavailable',
  'not_configured',
  'internal',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ErrorDetails {
  /** The input field the error is about, in dotted form (`filters.status`). */
  param?: string;
  [key: string]: unknown;
}

/** The one error type services throw on purpose; transports map it to MCP and HTTP once. */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: ErrorDetails,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AppError';
  }
}
