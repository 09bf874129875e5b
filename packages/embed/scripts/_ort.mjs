import * as ort from 'onnxruntime-node';
const f = 'models/fr_feature.onnx';
for (const opts of [{ intraOpNumThreads: 1 }, { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all', executionMode: 'sequential' }, {}, {intraOpNumThreads: 2}]) {
  const s = await ort.InferenceSession.create(f, opts);
  const x = new ort.Tensor('float32', new Float32Array(3 * 112 * 112).fill(0.1), [1, 3, 112, 112]);
  for (let i = 0; i < 3; i++) await s.run({ input: x });
  const t = performance.now();
  for (let i = 0; i < 20; i++) await s.run({ input: x });
  console.log(JSON.stringify(opts), ((performance.now() - t) / 20).toFixed(1), 'ms');
}
