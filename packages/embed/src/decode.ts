import sharp, { type Metadata } from 'sharp';
import { EmbedError, errorMessage } from './errors.js';

/** Images with more pixels than this are refused by the decoder (sharp's `limitInputPixels`). */
export const MAX_INPUT_PIXELS = 300_000_000;
/** Larger images are downscaled while decoding, so a worker never holds more than ~120 MB of RGB. */
export const MAX_DECODE_PIXELS = 40_000_000;

/** Sharp's own thread pool would fight our worker threads for the 2 cores: one libvips thread per call. */
sharp.concurrency(1);

/** An 8-bit RGB image, row-major, 3 bytes per pixel. */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
}

export interface DecodedImage extends RgbImage {
  /** Size of the photo as displayed (after EXIF orientation), in original pixels. */
  originalWidth: number;
  originalHeight: number;
  /** Original pixels per decoded pixel (1 unless the photo was downscaled while decoding). */
  scale: number;
}

/**
 * Decodes any image sharp reads (first frame/page) into 8-bit sRGB: EXIF orientation applied, alpha
 * flattened onto mid-gray, grayscale and 16-bit converted. Huge photos are downscaled to MAX_DECODE_PIXELS.
 */
export async function decodeImage(input: string | Buffer | Uint8Array, label = typeof input === 'string' ? input : 'buffer'): Promise<DecodedImage> {
  const opts = { limitInputPixels: MAX_INPUT_PIXELS, pages: 1, page: 0 } as const;
  let meta: Metadata;
  try {
    // the header only: no limit here, so a too-large image is reported with its size
    meta = await sharp(input, { ...opts, limitInputPixels: false }).metadata();
  } catch (err) {
    throw decodeError(err, label);
  }
  if (!meta.width || !meta.height) {
    throw new EmbedError('ERR_IMAGE_DECODE', `Could not decode image ${label}: no dimensions in its header`);
  }
  const pageHeight = meta.pageHeight && meta.pages && meta.pages > 1 ? meta.pageHeight : meta.height;
  const swap = (meta.orientation ?? 1) >= 5;
  const originalWidth = swap ? pageHeight : meta.width;
  const originalHeight = swap ? meta.width : pageHeight;
  if (meta.width * pageHeight > MAX_INPUT_PIXELS) {
    throw new EmbedError(
      'ERR_IMAGE_TOO_LARGE',
      `Image ${label} is ${meta.width}x${pageHeight} pixels, more than the limit of ${MAX_INPUT_PIXELS} pixels`,
    );
  }
  try {
    let pipeline = sharp(input, opts).rotate().flatten({ background: { r: 128, g: 128, b: 128 } });
    let scale = 1;
    const pixels = originalWidth * originalHeight;
    if (pixels > MAX_DECODE_PIXELS) {
      const f = Math.sqrt(MAX_DECODE_PIXELS / pixels);
      const w = Math.max(1, Math.floor(originalWidth * f));
      const h = Math.max(1, Math.floor(originalHeight * f));
      pipeline = pipeline.resize(w, h, { fit: 'fill' });
      scale = originalWidth / w;
    }
    const { data, info } = await pipeline.toColourspace('srgb').removeAlpha().raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`unexpected ${info.channels} channels after conversion`);
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height, originalWidth, originalHeight, scale };
  } catch (err) {
    throw decodeError(err, label);
  }
}

function decodeError(err: unknown, label: string): EmbedError {
  if (err instanceof EmbedError) return err;
  const msg = errorMessage(err).replace(/\s+/g, ' ').trim();
  if (/Input file is missing/i.test(msg)) return new EmbedError('ERR_IMAGE_READ', `Could not read image ${label}: no such file`);
  if (/pixel limit/i.test(msg)) return new EmbedError('ERR_IMAGE_TOO_LARGE', `Image ${label} is too large to decode: ${msg}`);
  // libvips words a cut-off file differently by format and version ("premature end", or a warning raised to
  // an error by failOn, e.g. "error in tile 0 x 136"): say what it means to the person, keep the detail
  if (/failOn|premature|truncat|end of (file|data|stream)/i.test(msg)) {
    return new EmbedError('ERR_IMAGE_DECODE', `Could not decode image ${label}: the file is truncated or damaged (libvips: ${msg})`, { cause: err });
  }
  return new EmbedError('ERR_IMAGE_DECODE', `Could not decode image ${label}: ${msg}`, { cause: err });
}

/** Resizes a raw RGB image with sharp (area-averaging when shrinking, runs off the JS thread). */
export async function resizeRgb(img: RgbImage, width: number, height: number): Promise<RgbImage> {
  const { data, info } = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
    .resize(width, height, { fit: 'fill', kernel: 'linear' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
}

/** PNG bytes of a raw RGB image (aligned crops are stored this way). */
export async function encodePng(img: RgbImage): Promise<Buffer> {
  return sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } }).png({ compressionLevel: 6 }).toBuffer();
}
