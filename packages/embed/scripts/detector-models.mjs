// Builds fr_detect_any.onnx from the npm detector fr_detect.onnx (an Ultra-Light-Fast RFB-320 export):
// the same network with a symbolic input height and width, for detection passes over a whole reduced photo
// in one run instead of 320×240 tiles (README, "Pipeline"). It takes the decoded pixels as they are, RGB
// bytes [1, H, W, 3] (`rgb`), and does the detector's normalisation, (p − 127) / 128, and the move to
// planes itself: in JavaScript those took ~15 ms of a 12 MP photo's pass.
//
// The npm graph decodes its boxes with priors baked in as constants for 320×240, so its `boxes` output
// exists only at that size. The built graph stops before that decoding: it outputs `scores` (softmax, as
// before) and each head's raw box offsets in NHWC layout (`loc8`, `loc16`, `loc32`, `loc64`: [1, h, w,
// 4·anchors]), whose h and w give the priors for any input size (src/detect.ts decodeAnySize).
import { AttrType, DataType, readModel, writeModel } from './onnx-pb.mjs';

export const INPUT = { name: 'rgb', elemType: DataType.UINT8, shape: [1, 'H', 'W', 3], rest: [] };

/** The npm graph's NHWC box-offset tensors (after each head's Transpose), by head stride. */
export const LOCATION_HEADS = { loc8: '334', loc16: '380', loc32: '420', loc64: '450' };

/** fr_detect.onnx bytes → fr_detect_any.onnx bytes (deterministic: same input, same bytes). */
export function buildAnySizeDetector(detectBytes) {
  const model = readModel(detectBytes);
  const g = model.graph;
  if (g.inputs.length !== 1 || String(g.inputs[0].shape) !== '1,3,240,320') {
    throw new Error(`detector-models: expected one input [1,3,240,320], got [${g.inputs[0]?.shape}]`);
  }
  const x = g.inputs[0].name;
  const step = (opType, inputs, output, attributes = []) => ({ inputs, outputs: [output], name: `rgb_${opType}`, opType, domain: '', attributes, rest: [] });
  const scalar = (name, value) => ({ name, dims: [], dataType: DataType.FLOAT, data: Float32Array.of(value) });
  g.initializers.push(scalar('rgb_offset', 127), scalar('rgb_scale', 1 / 128));
  g.nodes.unshift(
    step('Cast', [INPUT.name], 'rgb_float', [{ name: 'to', type: AttrType.INT, value: DataType.FLOAT, rest: [] }]),
    step('Sub', ['rgb_float', 'rgb_offset'], 'rgb_centred'),
    step('Mul', ['rgb_centred', 'rgb_scale'], 'rgb_normalised'),
    step('Transpose', ['rgb_normalised'], x, [{ name: 'perm', type: AttrType.INTS, value: [0, 3, 1, 2], rest: [] }]),
  );
  g.inputs = [INPUT];
  const producers = new Map();
  g.nodes.forEach((n, i) => n.outputs.forEach((o) => producers.set(o, i)));
  for (const [head, tensor] of Object.entries(LOCATION_HEADS)) {
    const node = g.nodes[producers.get(tensor)];
    if (node?.opType !== 'Transpose') throw new Error(`detector-models: ${head} (${tensor}) is not a Transpose in this graph`);
    node.outputs = node.outputs.map((o) => (o === tensor ? head : o));
    for (const n of g.nodes) n.inputs = n.inputs.map((i) => (i === tensor ? head : i));
    producers.set(head, producers.get(tensor));
  }
  // keep only what the outputs need: the prior decoding (and its 320×240 constants) goes
  const outputs = ['scores', ...Object.keys(LOCATION_HEADS)];
  const needed = new Set();
  const stack = [...outputs];
  while (stack.length) {
    const i = producers.get(stack.pop());
    if (i === undefined || needed.has(i)) continue;
    needed.add(i);
    stack.push(...g.nodes[i].inputs);
  }
  g.nodes = g.nodes.filter((_, i) => needed.has(i));
  const used = new Set(g.nodes.flatMap((n) => n.inputs));
  g.initializers = g.initializers.filter((t) => used.has(t.name));
  g.outputs = outputs.map((name) => ({ name, elemType: 1, shape: undefined, rest: [] }));
  g.valueInfo = []; // shapes recorded for 320×240 only
  return writeModel(model);
}
