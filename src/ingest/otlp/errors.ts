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
