export type {
  NativeBinding,
  NativeCapabilities,
  NativeChineseWhispersResult,
  NativeGraph,
  NativeIsa,
  NativeMetric,
} from './native.js';
export { addonPaths, loadNative, tryLoadNative } from './native.js';
