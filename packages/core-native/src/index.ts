export type {
  NativeBinding,
  NativeCancelToken,
  NativeCapabilities,
  NativeChineseWhispersResult,
  NativeGraph,
  NativeCandidates,
  NativeHnswIndex,
  NativeInstallStatus,
  NativeIsa,
  NativeMetric,
} from './native.js';
export { addonPaths, loadNative, NativeLoadError, tryLoadNative, tryLoadNativeFrom } from './native.js';
