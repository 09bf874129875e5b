import { describe, expect, it } from 'vitest';
import { DEFAULTS } from './pipeline.js';
import { finestDetectionScale, resolutionPlan } from './resolution.js';

const detect = { detect: true, minFaceSize: DEFAULTS.minFaceSize, maxDetectSide: DEFAULTS.maxDetectSide };

describe('resolutionPlan', () => {
  it.each([
    { what: 'an LFW photo: whole', w: 250, h: 250, opts: detect, scale: 1, below: 0 },
    { what: 'a 2.9 MP photo: whole (reducing by 1.25 does not pay)', w: 2000, h: 1428, opts: detect, scale: 1, below: 0 },
    { what: '12 MP: to the finest detection pass, 1600 px', w: 4000, h: 3000, opts: detect, scale: 2.5, below: 112 },
    { what: '12 MP upright', w: 3000, h: 4000, opts: detect, scale: 2.5, below: 112 },
    { what: '24 MP: 1600 px (libjpeg decodes at 1/2 first)', w: 6000, h: 4000, opts: detect, scale: 3.75, below: 112 },
    { what: 'a larger maxDetectSide: less reduction', w: 4000, h: 3000, opts: { ...detect, maxDetectSide: 2000 }, scale: 2, below: 112 },
    { what: 'minFaceSize 100: faces are found at 20 detector pixels', w: 1000, h: 800, opts: { ...detect, minFaceSize: 100 }, scale: 5, below: 112 },
    { what: 'ready face crops (detect: false): whole', w: 4000, h: 3000, opts: { ...detect, detect: false }, scale: 1, below: 0 },
    { what: 'over 40 MP without detection: to 40 MP', w: 10000, h: 8000, opts: { ...detect, detect: false }, scale: Math.sqrt(2), below: 112 },
  ])('$what', ({ w, h, opts, scale, below }) => {
    const plan = resolutionPlan(w, h, opts);
    expect(plan.scale).toBeCloseTo(scale, 12);
    expect(plan.fullResolutionBelow).toBe(below);
  });

  it('a reduced photo is decoded exactly as large as the finest detection pass, so the detector reuses it', () => {
    const { scale } = resolutionPlan(4000, 3000, detect);
    expect(finestDetectionScale(4000 / scale, 3000 / scale, DEFAULTS.minFaceSize / scale, DEFAULTS.maxDetectSide)).toBeCloseTo(1, 12);
  });
});
