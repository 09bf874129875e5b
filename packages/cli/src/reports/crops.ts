/** Face crops as the reports use them. */

/** Reads one face's aligned crop (PNG or JPEG bytes) from the store. */
export type CropSource = (faceId: number) => Buffer;

/** The file extension of encoded image bytes, from their magic number. */
export function imageExtension(bytes: Buffer): 'png' | 'jpeg' {
  return bytes.length > 3 && bytes[0] === 0xff && bytes[1] === 0xd8 ? 'jpeg' : 'png';
}
