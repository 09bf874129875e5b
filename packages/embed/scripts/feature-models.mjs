// Models derived from the npm embedder fr_feature.onnx at install/build time, by graph edits in plain JS
// (scripts/onnx-pb.mjs), with no other input than that file and calibration/fr_feature-int8.json:
//
// - fr_feature_fp32.onnx: the same network and weights, as the default embedder runs it: a symbolic
//   batch dimension ('N': the input and output shapes say N, the final Reshape to [1, -1] becomes [0, -1]),
//   and every PRelu(x, s) written as s·x + (1 − s)·Relu(x) (Mul, Relu, Mul, Add): the same function, but
//   onnxruntime keeps those ops in its blocked NCHWc layout, where it has no PRelu and so reordered every
//   activation out of and back into that layout around each of the 33 PRelus (README, "Measured").
// - fr_feature_int8.onnx: the batch network, equalised (below), with static int8 quantisation in QDQ form, which
//   onnxruntime fuses into QLinearConv / QLinearAdd (u8 activations × s8 weights, VNNI on x86) when graph
//   optimisation is on. Activations: uint8, asymmetric, one scale per tensor from the committed ranges.
//   Conv weights: int8, symmetric, one scale per output channel; biases int32 at input scale × weight scale.
//   PRelu stays float between a DequantizeLinear and a QuantizeLinear, rewritten as in the fp32 model
//   (onnxruntime's PRelu is slow in the NHWC layout of its QLinearConv). The last 1×1 Conv (512 → 512, under
//   0.2 % of the multiply-adds) stays float on dequantised input, so the embedding itself is not rounded
//   to 256 levels.
//
// Every number is computed in IEEE doubles and stored as float32 (Math.fround), every name and node order
// follows the source graph: the same inputs give the same bytes on any machine (pinned in fetch-models.mjs).
import { AttrType, DataType, readModel, writeModel } from './onnx-pb.mjs';

export const BATCH_DIM = 'N';
export const DEFAULT_RANGE_METHOD = 'minmax';

const initializerMap = (g) => new Map(g.initializers.map((t) => [t.name, t]));

/** Returns a batch-capable copy of the parsed feature model (mutates and returns `model`). */
export function makeBatch(model) {
  const g = model.graph;
  if (g.inputs.length !== 1 || g.outputs.length !== 1) throw new Error('feature-models: expected one input and one output');
  for (const v of [g.inputs[0], g.outputs[0]]) {
    if (!v.shape || v.shape[0] !== 1) throw new Error(`feature-models: ${v.name} does not have batch 1: [${v.shape}]`);
    v.shape[0] = BATCH_DIM;
  }
  const inits = initializerMap(g);
  const reshapes = g.nodes.filter((n) => n.opType === 'Reshape');
  for (const r of reshapes) {
    const shape = inits.get(r.inputs[1]);
    if (!shape || shape.dataType !== DataType.INT64) throw new Error(`feature-models: Reshape ${r.outputs[0]} has no constant shape`);
    if (shape.data[0] === 1n) shape.data[0] = 0n; // 0 = copy the input's dimension: the batch
  }
  return model;
}

/**
 * Rewrites every PRelu(x, s) (s constant) as Add(Mul(x, s), Mul(Relu(x), 1 − s)): equal for any s, since
 * for x > 0 it is s·x + (1 − s)·x = x and for x ≤ 0 it is s·x. Mutates and returns `model`.
 */
export function rewritePRelu(model) {
  const g = model.graph;
  const inits = initializerMap(g);
  const nodes = [];
  const node = (opType, inputs, output) => ({ inputs, outputs: [output], name: `${output}_${opType}`, opType, domain: '', attributes: [], rest: [] });
  for (const n of g.nodes) {
    const slope = n.opType === 'PRelu' ? inits.get(n.inputs[1]) : undefined;
    if (!slope || slope.dataType !== DataType.FLOAT) {
      nodes.push(n);
      continue;
    }
    const [x] = n.inputs, y = n.outputs[0];
    g.initializers.push({ name: `${y}_one_minus_slope`, dims: slope.dims, dataType: DataType.FLOAT, data: slope.data.map((v) => Math.fround(1 - v)) });
    nodes.push(
      node('Mul', [x, slope.name], `${y}_negative_part`),
      node('Relu', [x], `${y}_relu`),
      node('Mul', [`${y}_relu`, `${y}_one_minus_slope`], `${y}_positive_part`),
      node('Add', [`${y}_negative_part`, `${y}_positive_part`], y),
    );
  }
  g.nodes = nodes;
  return model;
}

/**
 * The tensors the int8 model quantises, in graph order: the graph input, then the inputs and outputs of
 * every quantised Conv and Add. Calibration records a range for each.
 */
export function quantisedTensors(model) {
  const { convs, adds } = quantisedNodes(model);
  const names = [];
  const seen = new Set();
  const add = (t) => {
    if (!seen.has(t)) {
      seen.add(t);
      names.push(t);
    }
  };
  add(model.graph.inputs[0].name);
  for (const n of model.graph.nodes) {
    if (convs.has(n)) { add(n.inputs[0]); add(n.outputs[0]); }
    if (adds.has(n)) { add(n.inputs[0]); add(n.inputs[1]); add(n.outputs[0]); }
  }
  return names;
}

function quantisedNodes(model) {
  const g = model.graph;
  const inits = initializerMap(g);
  const output = g.outputs[0].name;
  // the Conv whose output only reshapes into the graph output stays float
  const producer = new Map(g.nodes.flatMap((n) => n.outputs.map((o) => [o, n])));
  let last = producer.get(output);
  while (last && last.opType === 'Reshape') last = producer.get(last.inputs[0]);
  const convs = new Set(g.nodes.filter((n) => n.opType === 'Conv' && n !== last && inits.has(n.inputs[1])));
  const adds = new Set(g.nodes.filter((n) => n.opType === 'Add' && !n.inputs.some((i) => inits.has(i))));
  return { convs, adds };
}

/** uint8 asymmetric parameters of a range (onnxruntime's quantiser's formula: the range always holds 0). */
export function activationParams(min, max) {
  const lo = Math.min(min, 0), hi = Math.max(max, 0);
  let scale = Math.fround((hi - lo) / 255);
  if (!(scale > 0)) scale = 1;
  const zp = Math.min(255, Math.max(0, Math.round(-lo / scale)));
  return { scale, zp };
}

/** Which calibrated statistics bound each activation range: [low key, high key] of the JSON's `ranges`. */
export const RANGE_METHODS = {
  minmax: ['min', 'max'],
  'p99.99': ['p0.01', 'p99.99'],
  'p99.9': ['p0.1', 'p99.9'],
};

/**
 * The int8 QDQ model. `stats`: { [tensor]: { min, max, p… } } (calibration JSON `ranges`) for every name
 * of quantisedTensors(model). `model` must come from makeBatch; it is mutated and returned.
 */
export function quantise(model, stats, method = DEFAULT_RANGE_METHOD, { weightsOnly = false } = {}) {
  const [loKey, hiKey] = RANGE_METHODS[method] ?? [];
  if (!loKey) throw new Error(`feature-models: unknown range method ${method}`);
  const ranges = Object.fromEntries(Object.entries(stats).map(([t, s]) => [t, [s[loKey], s[hiKey]]]));
  const g = model.graph;
  const inits = initializerMap(g);
  const { convs, adds } = quantisedNodes(model);
  const tensors = quantisedTensors(model);
  for (const t of tensors) {
    if (!ranges[t] || !Number.isFinite(ranges[t][0]) || !Number.isFinite(ranges[t][1])) throw new Error(`feature-models: no calibrated range for tensor ${t}`);
  }
  const params = new Map(tensors.map((t) => [t, activationParams(ranges[t][0], ranges[t][1])]));
  const quantisedActivations = weightsOnly ? new Set() : new Set(tensors); // weightsOnly: a diagnostic
  const newInits = [];
  const scalar = (name, dataType, value) => {
    const data = dataType === DataType.FLOAT ? Float32Array.of(value) : dataType === DataType.UINT8 ? Uint8Array.of(value) : Int8Array.of(value);
    newInits.push({ name, dims: [], dataType, data });
    return name;
  };
  const qNodes = (t) => {
    const { scale, zp } = params.get(t);
    const s = scalar(`${t}_scale`, DataType.FLOAT, scale);
    const z = scalar(`${t}_zero_point`, DataType.UINT8, zp);
    return [
      { inputs: [t, s, z], outputs: [`${t}_quantized`], name: `${t}_QuantizeLinear`, opType: 'QuantizeLinear', domain: '', attributes: [], rest: [] },
      { inputs: [`${t}_quantized`, s, z], outputs: [`${t}_dequantized`], name: `${t}_DequantizeLinear`, opType: 'DequantizeLinear', domain: '', attributes: [], rest: [] },
    ];
  };
  const nodes = [];
  const input = g.inputs[0].name;
  if (quantisedActivations.has(input)) nodes.push(...qNodes(input));
  const consumedAs = (t) => (quantisedActivations.has(t) ? `${t}_dequantized` : t);
  const dropped = new Set();
  for (const n of g.nodes) {
    const inputs = n.inputs.map((i) => (inits.has(i) ? i : consumedAs(i)));
    if (convs.has(n)) {
      const w = inits.get(n.inputs[1]);
      const b = n.inputs[2] ? inits.get(n.inputs[2]) : undefined;
      const xScale = params.get(n.inputs[0]).scale;
      const cout = w.dims[0], per = w.data.length / cout;
      const wq = new Int8Array(w.data.length);
      const wScale = new Float32Array(cout);
      for (let c = 0; c < cout; c++) {
        let m = 0;
        for (let k = 0; k < per; k++) m = Math.max(m, Math.abs(w.data[c * per + k]));
        const s = m > 0 ? Math.fround(m / 127) : 1;
        wScale[c] = s;
        for (let k = 0; k < per; k++) wq[c * per + k] = Math.max(-127, Math.min(127, Math.round(w.data[c * per + k] / s)));
      }
      newInits.push({ name: `${w.name}_quantized`, dims: w.dims, dataType: DataType.INT8, data: wq });
      newInits.push({ name: `${w.name}_scale`, dims: [cout], dataType: DataType.FLOAT, data: wScale });
      newInits.push({ name: `${w.name}_zero_point`, dims: [cout], dataType: DataType.INT8, data: new Int8Array(cout) });
      dropped.add(w.name);
      const axis0 = [{ name: 'axis', type: AttrType.INT, value: 0, rest: [] }];
      nodes.push({ inputs: [`${w.name}_quantized`, `${w.name}_scale`, `${w.name}_zero_point`], outputs: [`${w.name}_dequantized`], name: `${w.name}_DequantizeLinear`, opType: 'DequantizeLinear', domain: '', attributes: axis0, rest: [] });
      inputs[1] = `${w.name}_dequantized`;
      if (b) {
        const bScale = new Float32Array(cout);
        const bq = new Int32Array(cout);
        for (let c = 0; c < cout; c++) {
          bScale[c] = Math.fround(xScale * wScale[c]);
          bq[c] = Math.round(b.data[c] / bScale[c]);
        }
        newInits.push({ name: `${b.name}_quantized`, dims: [cout], dataType: DataType.INT32, data: bq });
        newInits.push({ name: `${b.name}_scale`, dims: [cout], dataType: DataType.FLOAT, data: bScale });
        newInits.push({ name: `${b.name}_zero_point`, dims: [cout], dataType: DataType.INT32, data: new Int32Array(cout) });
        dropped.add(b.name);
        nodes.push({ inputs: [`${b.name}_quantized`, `${b.name}_scale`, `${b.name}_zero_point`], outputs: [`${b.name}_dequantized`], name: `${b.name}_DequantizeLinear`, opType: 'DequantizeLinear', domain: '', attributes: axis0, rest: [] });
        inputs[2] = `${b.name}_dequantized`;
      }
    }
    nodes.push({ ...n, inputs });
    for (const o of n.outputs) if (quantisedActivations.has(o)) nodes.push(...qNodes(o));
  }
  g.nodes = nodes;
  g.initializers = [...g.initializers.filter((t) => !dropped.has(t.name)), ...newInits];
  // per-axis DequantizeLinear needs opset 13; Conv, PRelu, Add and Reshape mean the same from 9 to 13
  for (const o of model.opsets) if (o.domain === '' || o.domain === 'ai.onnx') o.version = Math.max(o.version, 13);
  return model;
}

/**
 * A copy of `model` that also outputs every tensor in `names` (float), for calibration: onnxruntime
 * returns intermediate values only as graph outputs.
 */
export function withOutputs(model, names) {
  for (const name of names) {
    if (!model.graph.outputs.some((o) => o.name === name)) model.graph.outputs.push({ name, elemType: DataType.FLOAT, shape: undefined, rest: [] });
  }
  return model;
}

/**
 * The chains whose inner activations equalise() rescales: Conv (group 1) → PRelu → depthwise Conv →
 * [PRelu →] Conv (group 1), every inner tensor used once. In MobileFaceNet these are the expansion →
 * depthwise → projection blocks (and the stem, and the GDC head).
 */
export function equalisationChains(model) {
  const g = model.graph;
  const inits = initializerMap(g);
  const consumers = new Map();
  for (const n of g.nodes) for (const i of n.inputs) (consumers.get(i) ?? consumers.set(i, []).get(i)).push(n);
  const only = (t) => (consumers.get(t)?.length === 1 ? consumers.get(t)[0] : undefined);
  const groupOf = (n) => n.attributes.find((a) => a.name === 'group')?.value ?? 1;
  const isConv = (n) => n?.opType === 'Conv' && inits.has(n.inputs[1]) && n.inputs[2] && inits.has(n.inputs[2]);
  const chains = [];
  for (const a of g.nodes) {
    if (!isConv(a) || groupOf(a) !== 1) continue;
    const p1 = only(a.outputs[0]);
    if (p1?.opType !== 'PRelu') continue;
    const dw = only(p1.outputs[0]);
    const channels = inits.get(a.inputs[1]).dims[0];
    if (!isConv(dw) || groupOf(dw) !== channels) continue;
    let p2 = only(dw.outputs[0]);
    if (p2?.opType !== 'PRelu') p2 = undefined;
    const b = only((p2 ?? dw).outputs[0]);
    if (!isConv(b) || groupOf(b) !== 1) continue;
    chains.push({ a, p1, dw, p2, b, channels });
  }
  return chains;
}

/**
 * The residual streams: tensors joined by Add nodes (the inputs and output of an Add share one channel
 * space), each produced by a Conv with a bias or by one of those Adds, and read only by Convs (group 1)
 * and those Adds. Returns [{ tensors, producers: Conv[], consumers: Conv[] }]. A lone projection output
 * (no Add) that passes the same checks is a stream of one tensor.
 */
export function residualStreams(model) {
  const g = model.graph;
  const inits = initializerMap(g);
  const producer = new Map(g.nodes.flatMap((n) => n.outputs.map((o) => [o, n])));
  const consumers = new Map();
  for (const n of g.nodes) for (const i of n.inputs) (consumers.get(i) ?? consumers.set(i, []).get(i)).push(n);
  const groupOf = (n) => n.attributes.find((a) => a.name === 'group')?.value ?? 1;
  const parent = new Map();
  const find = (t) => {
    while (parent.get(t) !== t) t = parent.get(t);
    return t;
  };
  const union = (a, b) => parent.set(find(a), find(b));
  const adds = g.nodes.filter((n) => n.opType === 'Add' && !n.inputs.some((i) => inits.has(i)));
  for (const n of adds) for (const t of [...n.inputs, n.outputs[0]]) if (!parent.has(t)) parent.set(t, t);
  for (const n of adds) { union(n.inputs[0], n.outputs[0]); union(n.inputs[1], n.outputs[0]); }
  // projections: a Conv (group 1, with bias) whose output no PRelu reads
  for (const n of g.nodes) {
    if (n.opType === 'Conv' && groupOf(n) === 1 && n.inputs[2] && !parent.has(n.outputs[0]) && !(consumers.get(n.outputs[0]) ?? []).some((c) => c.opType === 'PRelu')) parent.set(n.outputs[0], n.outputs[0]);
  }
  const groups = new Map();
  for (const t of parent.keys()) (groups.get(find(t)) ?? groups.set(find(t), []).get(find(t))).push(t);
  const out = [];
  for (const tensors of groups.values()) {
    const set = new Set(tensors);
    const producers = [], readers = new Set();
    let ok = true;
    for (const t of tensors) {
      const p = producer.get(t);
      if (p?.opType === 'Conv' && groupOf(p) === 1 && inits.has(p.inputs[1]) && p.inputs[2] && inits.has(p.inputs[2])) producers.push(p);
      else if (!(p?.opType === 'Add' && adds.includes(p))) ok = false;
      for (const c of consumers.get(t) ?? []) {
        if (c.opType === 'Conv' && groupOf(c) === 1 && c.inputs[0] === t && inits.has(c.inputs[1])) readers.add(c);
        else if (!(c.opType === 'Add' && c.inputs.every((i) => set.has(i)))) ok = false;
      }
      if (g.outputs.some((o) => o.name === t)) ok = false;
    }
    if (ok && producers.length) out.push({ tensors: tensors.sort(), producers, consumers: [...readers] });
  }
  return out;
}

/** The tensors whose per-channel ranges equalise() needs: chains' inner tensors, then the residual streams'. */
export function equalisationTensors(model) {
  return [
    ...equalisationChains(model).flatMap(({ a, p1, dw, p2 }) => [a.outputs[0], p1.outputs[0], dw.outputs[0], ...(p2 ? [p2.outputs[0]] : [])]),
    ...residualStreams(model).flatMap((s) => s.tensors),
  ];
}

/**
 * Cross-layer equalisation of activations (after Nagel et al., "Data-free quantization", 2019, with
 * calibrated activation ranges): one uint8 scale per tensor wastes levels on channels whose values span
 * much less than the widest channel. PRelu(k·x) = k·PRelu(x) for k > 0, so channel c of a chain's inner
 * tensors can be divided by k1[c] (expansion Conv output, weights and bias) and k2[c] (depthwise output)
 * and multiplied back in the next Conv's input weights: the network computes the same function. k1 = the
 * channel's absolute range (free: weights are quantised per output channel); k2 = √(range / next weights'
 * range), balancing the depthwise output against the projection's weights, whose input channels it scales.
 * `channels`: { [tensor]: absolute range per channel } for equalisationTensors(model). Mutates `model`.
 */
export function equalise(model, channels) {
  const inits = initializerMap(model.graph);
  const absRange = (names, c) => Math.max(...names.map((t) => {
    const r = channels[t];
    if (!r) throw new Error(`feature-models: no per-channel range for tensor ${t}`);
    return r[c];
  }));
  for (const { a, p1, dw, p2, b, channels: C } of equalisationChains(model)) {
    const wa = inits.get(a.inputs[1]), ba = inits.get(a.inputs[2]);
    const wd = inits.get(dw.inputs[1]), bd = inits.get(dw.inputs[2]);
    const wb = inits.get(b.inputs[1]);
    const perA = wa.data.length / C, perD = wd.data.length / C, cout = wb.dims[0], perB = wb.data.length / cout / C;
    for (let c = 0; c < C; c++) {
      const r1 = absRange([a.outputs[0], p1.outputs[0]], c);
      const r2 = absRange([dw.outputs[0], ...(p2 ? [p2.outputs[0]] : [])], c);
      let rw = 0;
      for (let o = 0; o < cout; o++) for (let k = 0; k < perB; k++) rw = Math.max(rw, Math.abs(wb.data[(o * C + c) * perB + k]));
      const k1 = r1 > 0 ? r1 : 1;
      const k2 = r2 > 0 && rw > 0 ? Math.sqrt(r2 / rw) : 1;
      for (let k = 0; k < perA; k++) wa.data[c * perA + k] = Math.fround(wa.data[c * perA + k] / k1);
      ba.data[c] = Math.fround(ba.data[c] / k1);
      for (let k = 0; k < perD; k++) wd.data[c * perD + k] = Math.fround((wd.data[c * perD + k] * k1) / k2);
      bd.data[c] = Math.fround(bd.data[c] / k2);
      for (let o = 0; o < cout; o++) for (let k = 0; k < perB; k++) wb.data[(o * C + c) * perB + k] = Math.fround(wb.data[(o * C + c) * perB + k] * k2);
    }
  }
  // residual streams: every producing Conv's output channel c divided by k[c] (Adds carry it along),
  // every reading Conv's input channel c multiplied back; k = √(range / readers' weight range)
  for (const { tensors, producers, consumers } of residualStreams(model)) {
    const C = inits.get(producers[0].inputs[1]).dims[0];
    for (let c = 0; c < C; c++) {
      const r = absRange(tensors, c);
      let rw = 0;
      for (const n of consumers) {
        const w = inits.get(n.inputs[1]);
        const cout = w.dims[0], per = w.data.length / cout / C;
        for (let o = 0; o < cout; o++) for (let k = 0; k < per; k++) rw = Math.max(rw, Math.abs(w.data[(o * C + c) * per + k]));
      }
      const k = r > 0 && rw > 0 ? Math.sqrt(r / rw) : 1;
      for (const n of producers) {
        const w = inits.get(n.inputs[1]), b = inits.get(n.inputs[2]);
        const per = w.data.length / C;
        for (let i = 0; i < per; i++) w.data[c * per + i] = Math.fround(w.data[c * per + i] / k);
        b.data[c] = Math.fround(b.data[c] / k);
      }
      for (const n of consumers) {
        const w = inits.get(n.inputs[1]);
        const cout = w.dims[0], per = w.data.length / cout / C;
        for (let o = 0; o < cout; o++) for (let i = 0; i < per; i++) w.data[(o * C + c) * per + i] = Math.fround(w.data[(o * C + c) * per + i] * k);
      }
    }
  }
  return model;
}

/**
 * fr_feature.onnx bytes → { fp32, int8 } model bytes. `calibration`: calibration/fr_feature-int8.json
 * ({ channels, ranges, method }): per-channel ranges of the fp32 model for equalise(), then per-tensor
 * statistics of the equalised model for quantise().
 */
export function buildFeatureModels(featureBytes, calibration, options) {
  const fp32 = writeModel(rewritePRelu(makeBatch(readModel(featureBytes))));
  let m = makeBatch(readModel(featureBytes));
  if (calibration.channels) m = equalise(m, calibration.channels);
  // the PRelus, float between a DequantizeLinear and a QuantizeLinear, rewritten as in fp32 (same function)
  const int8 = writeModel(rewritePRelu(quantise(m, calibration.ranges, calibration.method, options)));
  return { fp32, int8 };
}

export { readModel, writeModel };
