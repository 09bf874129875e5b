import * as ort from 'onnxruntime-node';
import { type Affine, warpAffine } from './align.js';
import type { RgbImage } from './decode.js';
import type { RawDetection } from './detect.js';

const LM_SIZE = 64;

/**
 * The square the landmark model looks at: side = box height, centred on the box (as the model's own
 * pre-processing does with the detector's boxes).
 */
export function landmarkSquare(d: RawDetection): { x: number; y: number; side: number } {
  const side = d.y2 - d.y1;
  return { x: (d.x1 + d.x2) / 2 - side / 2, y: (d.y1 + d.y2) / 2 - side / 2, side };
}

/** 68 landmarks (flat x,y, image pixels) of the face in `d`: 64×64 grayscale crop, pixels / 256. */
export async function predictLandmarks(session: ort.InferenceSession, img: RgbImage, d: RawDetection): Promise<Float32Array> {
  const { x, y, side } = landmarkSquare(d);
  const k = side / LM_SIZE;
  // half-pixel centres, as cv.resize maps them
  const inv: Affine = [k, 0, x + 0.5 * k - 0.5, 0, k, y + 0.5 * k - 0.5];
  const rgb = warpAffine(img.data, img.width, img.height, 3, inv, LM_SIZE, LM_SIZE);
  const input = new Float32Array(LM_SIZE * LM_SIZE);
  for (let i = 0; i < input.length; i++) {
    const g = Math.round(0.299 * rgb[3 * i] + 0.587 * rgb[3 * i + 1] + 0.114 * rgb[3 * i + 2]);
    input[i] = g / 256;
  }
  const out = await session.run({ input: new ort.Tensor('float32', input, [1, 1, LM_SIZE, LM_SIZE]) });
  const raw = out[session.outputNames[0]].data as Float32Array;
  const pts = new Float32Array(raw.length);
  for (let i = 0; i < raw.length; i += 2) {
    pts[i] = x + raw[i] * side;
    pts[i + 1] = y + raw[i + 1] * side;
  }
  return pts;
}
