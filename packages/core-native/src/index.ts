export type {
  NativeBinding,
  NativeCapabilities,
  NativeChineseWhispersResult,
  NativeGraph,
  NativeHnswIndex,
  NativeIsa,
  NativeMetric,
} from './native.js';
export { addonPaths, loadNative, tryLoadNative } from './native.js';
