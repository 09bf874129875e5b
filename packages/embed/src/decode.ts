import sharp, { type Metadata, type Sharp } from 'sharp';
import { EmbedError, errorMessage } from './errors.js';
import { type ResolutionOptions, resolutionPlan } from './resolution.js';

/** Images with more pixels than this are refused by the decoder (sharp's `limitInputPixels`). */
export const MAX_INPUT_PIXELS = 300_000_000;

/** Sharp's own thread pool would fight our worker threads for the 2 cores: one libvips thread per call. */
sharp.concurrency(1);

/** An 8-bit RGB image, row-major, 3 bytes per pixel. */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/** A rectangle of a photo in original (EXIF-upright) pixels, integers. */
export interface Region {
  left: number;
  top: number;
  width: number;
  height: number;
}

export interface DecodedImage extends RgbImage {
  /** Size of the photo as displayed (after EXIF orientation), in original pixels. */
  originalWidth: number;
  originalHeight: number;
  /**
   * Original pixels per decoded pixel (1 unless the photo was reduced while decoding). The decoded height is
   * rounded on its own, so vertically it holds to within half a decoded pixel.
   */
  scale: number;
  /** Box height, in decoded pixels, under which a face is read again at full resolution (0: decoded whole). */
  fullResolutionBelow: number;
  /** Decodes one region at full resolution, the same way (present when the photo was reduced). */
  readFull?: (region: Region) => Promise<RgbImage>;
}

/** The first frame/page of the input, 8-bit sRGB: EXIF orientation applied, alpha flattened onto mid-gray. */
function upright(input: string | Buffer | Uint8Array): Sharp {
  return sharp(input, { limitInputPixels: MAX_INPUT_PIXELS, pages: 1, page: 0 }).rotate().flatten({ background: { r: 128, g: 128, b: 128 } });
}

async function toRgb(pipeline: Sharp): Promise<RgbImage> {
  const { data, info } = await pipeline.toColourspace('srgb').removeAlpha().raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`unexpected ${info.channels} channels after conversion`);
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
}

/**
 * Decodes any image sharp reads (first frame/page) into 8-bit sRGB: EXIF orientation applied, alpha
 * flattened onto mid-gray, grayscale and 16-bit converted. How far it is reduced while decoding is
 * resolutionPlan's decision (with `opts`: to the finest detection pass; without: only huge photos); a
 * reduced photo keeps its encoded input, so `readFull` can decode a region again at full resolution.
 */
export async function decodeImage(
  input: string | Buffer | Uint8Array,
  label = typeof input === 'string' ? input : 'buffer',
  opts: ResolutionOptions = { detect: false, minFaceSize: 1, maxDetectSide: Infinity },
): Promise<DecodedImage> {
  let meta: Metadata;
  try {
    // the header only: no limit here, so a too-large image is reported with its size
    meta = await sharp(input, { limitInputPixels: false, pages: 1, page: 0 }).metadata();
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
  const plan = resolutionPlan(originalWidth, originalHeight, opts);
  try {
    let pipeline = upright(input);
    let scale = 1;
    if (plan.scale > 1) {
      const w = Math.max(1, Math.round(originalWidth / plan.scale));
      const h = Math.max(1, Math.round(originalHeight / plan.scale));
      // the kernel the detector's passes resize with, so its finest pass sees the pixels it saw before and finds
      // the same faces (lanczos3 lost ~2 % of 40-px faces at 12 MP). From 3× on, sharp lets libjpeg decode at
      // 1/2, 1/4 or 1/8 first (DCT scaling).
      pipeline = pipeline.resize(w, h, { fit: 'fill', kernel: 'linear' });
      scale = originalWidth / w;
    }
    const img = await toRgb(pipeline);
    const readFull = async (region: Region): Promise<RgbImage> => {
      try {
        return await toRgb(upright(input).extract(region));
      } catch (err) {
        throw decodeError(err, label);
      }
    };
    return { ...img, originalWidth, originalHeight, scale, fullResolutionBelow: plan.fullResolutionBelow, readFull: scale > 1 ? readFull : undefined };
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
