/**
 * Cancellation: every long call takes an `AbortSignal` as `options.signal`, with one convention.
 *
 * - `signal` must be an AbortSignal or undefined; anything else is a TypeError naming `signal`.
 * - Arguments are validated first; then a signal that is already aborted rejects the call before any work.
 * - An aborted call rejects with an **AbortError**: a `DOMException` whose `name` is `'AbortError'` and whose
 *   `cause` is `signal.reason` (Node's own convention in fs, timers and events: always an error named
 *   AbortError, the reason as its cause, rather than the reason itself as fetch does). So one test,
 *   `error.name === 'AbortError'`, covers `controller.abort()`, `AbortSignal.timeout()` (cause: a
 *   TimeoutError) and any custom reason, which stays readable as `error.cause`.
 * - Native backend: the abort raises a flag in the addon (core-native's cancel.h) that its worker threads
 *   read between blocks of work; the call rejects once they have stopped and been joined, so nothing is left
 *   running or allocated. Pure-TypeScript backend: the signal is checked each time the computation yields
 *   to the event loop (every ~50 ms), which is also the only time an abort can happen on that thread.
 */
import { performance } from 'node:perf_hooks';
import type { NativeBinding, NativeCancelToken } from '@faceclust/core-native';

/** The error an aborted call rejects with (see the module comment). */
export function abortError(signal: AbortSignal): DOMException {
  return new DOMException('The operation was aborted', { name: 'AbortError', cause: signal.reason });
}

/** Throws the AbortError when `signal` is aborted. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortError(signal);
}

/** The addon's code for a call stopped by its cancel token. */
const CANCELLED = 'ERR_FACECLUST_CANCELLED';

/**
 * Runs one native call with a cancel token that `signal`'s abort raises. Rejects with the AbortError when
 * the call was cancelled, and also when the signal aborted after the worker's last check (its result is
 * then dropped): once the signal aborts, the native call rejects. Without a signal no token is made.
 * @internal
 */
export async function withCancel<T>(
  native: Pick<NativeBinding, 'cancelToken' | 'cancel'>,
  signal: AbortSignal | undefined,
  run: (token: NativeCancelToken | undefined) => Promise<T>,
): Promise<T> {
  if (!signal) return run(undefined);
  throwIfAborted(signal);
  const token = native.cancelToken();
  const onAbort = () => native.cancel(token);
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    const result = await run(token);
    throwIfAborted(signal);
    return result;
  } catch (error) {
    if (signal.aborted && (error as { code?: unknown } | null)?.code === CANCELLED) throw abortError(signal);
    throw error;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

/** How long the ts backend computes before it yields to the event loop. */
const SLICE_MS = 50;

/**
 * Time slices of a long pure-TypeScript computation: it asks {@link due} between chunks (cheap), and when
 * the slice is used up awaits {@link pause}, which lets timers and I/O run, then throws the AbortError if
 * the signal aborted meanwhile.
 */
export class Slices {
  private start = performance.now();

  constructor(private readonly signal?: AbortSignal) {}

  due(): boolean {
    return performance.now() - this.start > SLICE_MS;
  }

  async pause(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    throwIfAborted(this.signal);
    this.start = performance.now();
  }
}
