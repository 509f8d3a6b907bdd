/**
 * Every public failure is an ApiError subclass with a fixed status, code and message (the error
 * table of SPEC §3.1 is a public contract). One handler renders them all in one shape.
 */
export type ErrorDetails = Record<string, unknown>;

export abstract class ApiError extends Error {
  abstract readonly status: number;
  abstract readonly code: string;
  readonly details: ErrorDetails | undefined;
  /** Extra response headers (e.g. Retry-After). */
  readonly headers: Record<string, string> = {};

  constructor(message: string, details?: ErrorDetails) {
    super(message);
    this.details = details;
  }

  toJSON(): Record<string, unknown> {
    const body: Record<string, unknown> = { success: false, error: this.code, message: this.message };
    if (this.details && Object.keys(this.details).length > 0) body.details = this.details;
    return body;
  }
}
