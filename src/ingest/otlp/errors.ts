/** A request body that is not a valid OTLP trace export; the message says what is wrong and where. */
export class OtlpDecodeError extends Error {
  readonly code = 'invalid_otlp';
  /** Resending the same body cannot succeed. */
  readonly retryable = false;

  constructor(message: string) {
    super(message);
    this.name = 'OtlpDecodeError';
  }
}

/**
 * Runs a decoder so that no error but OtlpDecodeError escapes, whatever the bytes:
 * anything else (pathological input, e.g. values nested thousands deep, can exhaust the
 * stack) becomes one that says which request could not be decoded and why.
 */
export function guardDecode<T>(request: string, decode: () => T): T {
  try {
    return decode();
  } catch (err) {
    if (err instanceof OtlpDecodeError) throw err;
    const reason = err instanceof Error ? err.message : String(err);
    throw new OtlpDecodeError(`body could not be decoded as an OTLP ${request}: ${reason}`);
  }
}
