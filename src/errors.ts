/** A failure with a stable machine code, a human message, and the HTTP status it maps to. */
export class AppError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number = 400,
    readonly retryable = false,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'AppError';
  }
}

/** 400: the request is malformed or fails validation. */
export const badRequest = (code: string, message: string) => new AppError(code, message, 400);
/** 401: missing or wrong API key. */
export const unauthorized = (message = 'a valid API key is required (Authorization: Bearer <key>)') =>
  new AppError('unauthorized', message, 401);
/** 403: the key is valid but may not do this. */
export const forbidden = (message: string) => new AppError('forbidden', message, 403);
/** 404: no such resource. */
export const notFound = (message: string) => new AppError('not_found', message, 404);
/** 503: the service cannot take this now; the client should retry after the given seconds. */
export const unavailable = (message: string, retryAfterSeconds: number) =>
  new AppError('unavailable', message, 503, true, { 'Retry-After': String(retryAfterSeconds) });
