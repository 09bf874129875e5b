/** Stable error codes, so callers can branch without parsing messages. */
export type EmbedErrorCode =
  | 'ERR_MODEL_MISSING'
  | 'ERR_MODEL_SHAPE'
  | 'ERR_MODEL_LOAD'
  | 'ERR_IMAGE_DECODE'
  | 'ERR_IMAGE_TOO_LARGE'
  | 'ERR_IMAGE_READ'
  | 'ERR_STORE'
  /** The file is a SQLite database of some other program: faceclust leaves it untouched. */
  | 'ERR_STORE_FOREIGN'
  /** The store file is damaged: garbage, cut short or with pages overwritten (SQLite cannot read it). */
  | 'ERR_STORE_CORRUPT';

/** An error from the embedding pipeline, with a stable `code`. */
export class EmbedError extends Error {
  readonly code: EmbedErrorCode;
  constructor(code: EmbedErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EmbedError';
    this.code = code;
  }
}

/** Renders a received value for an error message: its value (shortened) and its type. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  let shown: string;
  if (typeof value === 'string') shown = JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  else if (typeof value === 'object') shown = Array.isArray(value) ? `array of length ${value.length}` : (value.constructor?.name ?? 'object');
  else shown = String(value);
  return `${shown} of type ${typeof value}`;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
