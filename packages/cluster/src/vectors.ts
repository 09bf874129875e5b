import { describe as describeValue, expectInteger } from './validate.js';

/**
 * Embeddings as accepted by the public API:
 * - a row-major `Float32Array` of n×dim values, used **without copying** (a `subarray()` view is fine);
 * - an array of `Float32Array` rows, or an array of `number[]` rows, each of length `dim`: **copied** into
 *   one new `Float32Array` (numbers are rounded to float32).
 */
export type VectorsInput = Float32Array | readonly Float32Array[] | readonly (readonly number[])[];

/** Vectors as the backends use them: one contiguous row-major matrix. */
export interface Matrix {
  data: Float32Array;
  n: number;
  dim: number;
}

/** "row 3, column 7" for a flat index. */
function position(index: number, dim: number): string {
  return `row ${Math.floor(index / dim)}, column ${index % dim}`;
}

/**
 * Checks `vectors` and `dim` and returns one row-major `Float32Array` (the input itself when it already is
 * one). Throws TypeError/RangeError naming the parameter; NaN and ±Infinity are reported with their row and
 * column.
 */
export function toMatrix(vectors: unknown, dim: unknown, name = 'vectors'): Matrix {
  expectInteger('dim', dim, 1);
  const d = dim as number;
  let data: Float32Array;
  if (vectors instanceof Float32Array) {
    if (vectors.length % d !== 0) {
      throw new RangeError(
        `Expected ${name}.length to be a multiple of dim (${d}) but received ${vectors.length} (${vectors.length} / ${d} = ${(vectors.length / d).toFixed(3)} rows)`,
      );
    }
    data = vectors;
  } else if (Array.isArray(vectors)) {
    data = new Float32Array(vectors.length * d);
    for (let i = 0; i < vectors.length; i++) {
      const row: unknown = vectors[i];
      if (row instanceof Float32Array || Array.isArray(row)) {
        if (row.length !== d) {
          throw new RangeError(`Expected ${name}[${i}] to have length dim (${d}) but received length ${row.length}`);
        }
        if (row instanceof Float32Array) {
          data.set(row, i * d);
        } else {
          for (let k = 0; k < d; k++) {
            const v: unknown = row[k];
            if (typeof v !== 'number') {
              throw new TypeError(`Expected ${name}[${i}][${k}] to be a number but received ${describeValue(v)}`);
            }
            data[i * d + k] = v;
          }
        }
      } else {
        throw new TypeError(
          `Expected ${name}[${i}] to be a Float32Array or an array of numbers but received ${describeValue(row)}`,
        );
      }
    }
  } else {
    throw new TypeError(
      `Expected ${name} to be a Float32Array (row-major n×dim), an array of Float32Array rows or an array of number arrays but received ${describeValue(vectors)}`,
    );
  }
  // NaN and ±Infinity: x − x is 0 only for finite x, so one subtraction per value finds both.
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v - v !== 0) {
      throw new RangeError(`Expected ${name} to contain only finite numbers but received ${v} at ${position(i, d)}`);
    }
  }
  return { data, n: data.length / d, dim: d };
}
