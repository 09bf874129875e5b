/**
 * Argument checks shared by every public function. Each throws TypeError for a wrong type and RangeError
 * for a value out of range, naming the parameter, the expectation and what was received.
 */

/** A short, readable rendering of any value for error messages. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  switch (typeof value) {
    case 'number':
      return Object.is(value, -0) ? '-0' : String(value);
    case 'string':
      return `${JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value)} of type string`;
    case 'bigint':
      return `${value}n of type bigint`;
    case 'boolean':
    case 'symbol':
      return `${String(value)} of type ${typeof value}`;
    case 'function':
      return 'a function';
  }
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (ArrayBuffer.isView(value)) {
    const length = (value as unknown as { length?: number }).length;
    return `${value.constructor.name}${length === undefined ? '' : ` of length ${length}`}`;
  }
  const name = (value as object).constructor?.name;
  return name && name !== 'Object' ? `an instance of ${name}` : 'an object';
}

/** `value` must be a finite number strictly greater than 0. */
export function expectPositiveFinite(name: string, value: unknown): number {
  const expectation = `Expected ${name} to be a finite number > 0`;
  if (typeof value !== 'number') throw new TypeError(`${expectation} but received ${describe(value)}`);
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${expectation} but received ${describe(value)}`);
  return value;
}

/** `value` must be a finite number (any sign). */
export function expectFinite(name: string, value: unknown): number {
  const expectation = `Expected ${name} to be a finite number`;
  if (typeof value !== 'number') throw new TypeError(`${expectation} but received ${describe(value)}`);
  if (!Number.isFinite(value)) throw new RangeError(`${expectation} but received ${describe(value)}`);
  return value;
}

/** `value` must be an integer in [min, max]. */
export function expectInteger(name: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const expectation =
    max === Number.MAX_SAFE_INTEGER
      ? `Expected ${name} to be an integer >= ${min}`
      : `Expected ${name} to be an integer between ${min} and ${max}`;
  if (typeof value !== 'number') throw new TypeError(`${expectation} but received ${describe(value)}`);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${expectation} but received ${describe(value)}`);
  }
  return value;
}

/** `value` must be one of `choices` (strings). */
export function expectOneOf<T extends string>(name: string, value: unknown, choices: readonly T[]): T {
  if (typeof value === 'string' && (choices as readonly string[]).includes(value)) return value as T;
  const expectation = `Expected ${name} to be one of ${choices.map((c) => `'${c}'`).join(', ')}`;
  const ErrorClass = typeof value === 'string' ? RangeError : TypeError;
  throw new ErrorClass(`${expectation} but received ${describe(value)}`);
}

/** `value` must be an options object (or undefined when `required` is false). */
export function expectOptions(name: string, value: unknown, required: boolean): Record<string, unknown> {
  if (value === undefined && !required) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`Expected ${name} to be an object but received ${describe(value)}`);
  }
  return value as Record<string, unknown>;
}

/** `value` must be an AbortSignal (or undefined: no cancellation). */
export function expectSignal(name: string, value: unknown): AbortSignal | undefined {
  if (value === undefined || value instanceof AbortSignal) return value;
  throw new TypeError(`Expected ${name} to be an AbortSignal but received ${describe(value)}`);
}

/** `value`, or `fallback` when it is undefined (null is not a default: it is reported as received). */
export function orDefault<T>(value: unknown, fallback: T): unknown {
  return value === undefined ? fallback : value;
}
