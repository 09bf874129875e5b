import { createHash } from 'node:crypto';

/**
 * The hash kept in `images.hash`: sha1 of a file's bytes, hex. One definition for the worker that stores it
 * and for embedImages, which finds moved, renamed and copied photos by it.
 */
export function contentHash(bytes: Uint8Array): string {
  return createHash('sha1').update(bytes).digest('hex');
}
