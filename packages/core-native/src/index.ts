export type {
  NativeBinding,
  NativeCancelToken,
  NativeCapabilities,
  NativeChineseWhispersResult,
  NativeGraph,
  NativeHnswGraph,
  NativeHnswGraphStats,
  NativeCandidates,
  NativeHnswIndex,
  NativeInstallStatus,
  NativeIsa,
  NativeMetric,
} from './native.js';
export { addonPaths, loadNative, NativeLoadError, tryLoadNative, tryLoadNativeFrom } from './native.js';
