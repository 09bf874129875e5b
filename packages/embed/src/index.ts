export { detectFaces, embedFace, DEFAULTS } from './pipeline.js';
export type { DetectedFace, FaceRecord, DetectOptions, EmbedFaceOptions } from './pipeline.js';
export { EmbedError } from './errors.js';
export type { EmbedErrorCode } from './errors.js';
