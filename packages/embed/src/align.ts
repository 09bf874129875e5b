/**
 * 5-point similarity alignment (Umeyama) onto the 112×112 ArcFace template, and the bilinear warp that
 * produces the aligned crop. Coordinates follow OpenCV: integer coordinates are pixel centres.
 */

/** ArcFace reference points in a 112×112 crop: left eye, right eye, nose tip, left and right mouth corner. */
export const ARCFACE_TEMPLATE: readonly number[] = [
  38.29459953, 51.69630051, 73.53179932, 51.50139999, 56.02519989, 71.73660278, 41.54930115, 92.3655014, 70.72990036,
  92.20410156,
];

/** Row-major 2×3 affine matrix [a, b, c, d, e, f]: x' = a x + b y + c, y' = d x + e y + f. */
export type Affine = [number, number, number, number, number, number];

/** 68-point (iBUG) landmarks, flat x,y → the 5 points of the template, flat x,y. */
export function landmarks68to5(p: ArrayLike<number>): number[] {
  const avg = (...idx: number[]) => idx.reduce((s, i) => s + p[i], 0) / idx.length;
  // eyes: mean of the 4 eyelid points (37,38,40,41 / 43,44,46,47); nose tip 30; mouth corners 48/54 with 60/64
  return [
    avg(74, 76, 80, 82), avg(75, 77, 81, 83),
    avg(86, 88, 92, 94), avg(87, 89, 93, 95),
    p[60], p[61],
    avg(96, 120), avg(97, 121),
    avg(108, 128), avg(109, 129),
  ];
}

/**
 * Least-squares similarity transform (rotation, uniform scale, translation; no reflection) taking `src`
 * points onto `dst` points (flat x,y arrays of equal length): Umeyama's estimate, which in 2-D has the
 * closed form of a complex-number regression.
 */
export function similarityTransform(src: ArrayLike<number>, dst: ArrayLike<number>): Affine {
  const n = src.length / 2;
  if (n < 2 || src.length !== dst.length || !Number.isInteger(n)) {
    throw new RangeError(`Expected two flat point arrays of equal even length >= 4 but received lengths ${src.length} and ${dst.length}`);
  }
  let sx = 0, sy = 0, dx = 0, dy = 0;
  for (let i = 0; i < n; i++) {
    sx += src[2 * i]; sy += src[2 * i + 1]; dx += dst[2 * i]; dy += dst[2 * i + 1];
  }
  sx /= n; sy /= n; dx /= n; dy /= n;
  let num1 = 0, num2 = 0, den = 0;
  for (let i = 0; i < n; i++) {
    const x = src[2 * i] - sx, y = src[2 * i + 1] - sy;
    const u = dst[2 * i] - dx, v = dst[2 * i + 1] - dy;
    num1 += x * u + y * v;
    num2 += x * v - y * u;
    den += x * x + y * y;
  }
  if (den === 0) throw new RangeError('Expected source points that are not all equal (degenerate landmarks)');
  const a = num1 / den, b = num2 / den;
  return [a, -b, dx - (a * sx - b * sy), b, a, dy - (b * sx + a * sy)];
}

export function applyAffine(m: Affine, pts: ArrayLike<number>): number[] {
  const out = new Array<number>(pts.length);
  for (let i = 0; i < pts.length; i += 2) {
    out[i] = m[0] * pts[i] + m[1] * pts[i + 1] + m[2];
    out[i + 1] = m[3] * pts[i] + m[4] * pts[i + 1] + m[5];
  }
  return out;
}

export function invertAffine(m: Affine): Affine {
  const det = m[0] * m[4] - m[1] * m[3];
  if (det === 0) throw new RangeError('Expected an invertible affine transform');
  const a = m[4] / det, b = -m[1] / det, d = -m[3] / det, e = m[0] / det;
  return [a, b, -(a * m[2] + b * m[5]), d, e, -(d * m[2] + e * m[5])];
}

/**
 * dst(u, v) = src(inv · (u, v)) with bilinear sampling; outside the source is black (as cv2.warpAffine).
 * When the warp shrinks by more than 1.5×, each output pixel averages k×k bilinear samples so a large face
 * is not aliased on its way down to 112 px.
 */
export function warpAffine(
  src: Uint8Array, srcW: number, srcH: number, channels: number,
  inv: Affine, outW: number, outH: number,
): Uint8Array {
  const out = new Uint8Array(outW * outH * channels);
  const step = Math.sqrt(Math.abs(inv[0] * inv[4] - inv[1] * inv[3]));
  const k = step > 1.5 ? Math.min(8, Math.ceil(step)) : 1;
  if (channels === 3) {
    warpRgb(src, srcW, srcH, inv, outW, outH, k, out);
    return out;
  }
  const acc = new Float64Array(channels);
  for (let v = 0; v < outH; v++) {
    for (let u = 0; u < outW; u++) {
      acc.fill(0);
      for (let sv = 0; sv < k; sv++) {
        const vv = v + (sv + 0.5) / k - 0.5;
        for (let su = 0; su < k; su++) {
          const uu = u + (su + 0.5) / k - 0.5;
          addTaps(src, srcW, srcH, channels, inv[0] * uu + inv[1] * vv + inv[2], inv[3] * uu + inv[4] * vv + inv[5], acc);
        }
      }
      const o = (v * outW + u) * channels;
      const norm = 1 / (k * k);
      for (let c = 0; c < channels; c++) out[o + c] = Math.min(255, Math.max(0, Math.round(acc[c] * norm)));
    }
  }
  return out;
}

/**
 * Adds the bilinear taps of the sample at (x, y) that lie inside the image to `acc` (one sum per channel),
 * top row first, left before right: the order both warp loops add in.
 */
function addTaps(src: Uint8Array, srcW: number, srcH: number, channels: number, x: number, y: number, acc: Float64Array): void {
  const x0 = Math.floor(x), y0 = Math.floor(y);
  const fx = x - x0, fy = y - y0;
  const stride = srcW * channels;
  for (let dy = 0; dy < 2; dy++) {
    const yy = y0 + dy;
    if (yy < 0 || yy >= srcH) continue;
    const wy = dy ? fy : 1 - fy;
    for (let dx = 0; dx < 2; dx++) {
      const xx = x0 + dx;
      if (xx < 0 || xx >= srcW) continue;
      const w = wy * (dx ? fx : 1 - fx);
      const o = yy * stride + xx * channels;
      for (let c = 0; c < channels; c++) acc[c] += w * src[o + c];
    }
  }
}

/**
 * warpAffine for 3 channels, the hot path of detection checks, landmarks and alignment: channels in locals
 * and the four taps unrolled where they all lie inside the image.
 * It adds the same products in the same order as the general loop, so both give the same bytes.
 */
function warpRgb(src: Uint8Array, srcW: number, srcH: number, inv: Affine, outW: number, outH: number, k: number, out: Uint8Array): void {
  const stride = srcW * 3;
  const [m0, m1, m2, m3, m4, m5] = inv;
  const norm = 1 / (k * k);
  const edge = new Float64Array(3);
  let o = 0;
  for (let v = 0; v < outH; v++) {
    for (let u = 0; u < outW; u++) {
      let r = 0, g = 0, b = 0;
      for (let sv = 0; sv < k; sv++) {
        const vv = v + (sv + 0.5) / k - 0.5;
        for (let su = 0; su < k; su++) {
          const uu = u + (su + 0.5) / k - 0.5;
          const x = m0 * uu + m1 * vv + m2;
          const y = m3 * uu + m4 * vv + m5;
          const x0 = Math.floor(x), y0 = Math.floor(y);
          const fx = x - x0, fy = y - y0;
          if (x0 >= 0 && y0 >= 0 && x0 + 1 < srcW && y0 + 1 < srcH) {
            const gy = 1 - fy, gx = 1 - fx;
            const w00 = gy * gx, w01 = gy * fx, w10 = fy * gx, w11 = fy * fx;
            const p = y0 * stride + x0 * 3, q = p + stride;
            r += w00 * src[p]; g += w00 * src[p + 1]; b += w00 * src[p + 2];
            r += w01 * src[p + 3]; g += w01 * src[p + 4]; b += w01 * src[p + 5];
            r += w10 * src[q]; g += w10 * src[q + 1]; b += w10 * src[q + 2];
            r += w11 * src[q + 3]; g += w11 * src[q + 4]; b += w11 * src[q + 5];
            continue;
          }
          // at the image's edge: the taps that fall inside, through the general loop's code
          edge[0] = r; edge[1] = g; edge[2] = b;
          addTaps(src, srcW, srcH, 3, x, y, edge);
          r = edge[0]; g = edge[1]; b = edge[2];
        }
      }
      out[o] = Math.min(255, Math.max(0, Math.round(r * norm)));
      out[o + 1] = Math.min(255, Math.max(0, Math.round(g * norm)));
      out[o + 2] = Math.min(255, Math.max(0, Math.round(b * norm)));
      o += 3;
    }
  }
}

/** The aligned 112×112 RGB crop for 5 landmarks (flat x,y in `src` pixels), and the transform used. */
export function alignFace(src: Uint8Array, srcW: number, srcH: number, points5: ArrayLike<number>, size = 112): { crop: Uint8Array; transform: Affine } {
  let template: ArrayLike<number> = ARCFACE_TEMPLATE;
  if (size !== 112) template = ARCFACE_TEMPLATE.map((t) => (t * size) / 112);
  const transform = similarityTransform(points5, template);
  return { crop: warpAffine(src, srcW, srcH, 3, invertAffine(transform), size, size), transform };
}
