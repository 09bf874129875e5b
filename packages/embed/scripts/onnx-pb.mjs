// A minimal ONNX protobuf reader and writer, enough to edit a model graph at install time without a
// dependency: the protobuf wire format (varint, 64-bit, length-delimited, 32-bit) decoded into ordered
// field lists, and the few ONNX messages we edit (ModelProto, GraphProto, NodeProto, AttributeProto,
// TensorProto, ValueInfoProto) read into plain objects. Every field we do not interpret is kept as raw
// bytes and written back in its place, so reading and writing an untouched model gives the same bytes, and
// the same edits give the same bytes on every run (no maps, no clocks).
//
// Field numbers are those of onnx/onnx.proto (IR version 3 and later).

const te = new TextEncoder();
const td = new TextDecoder();

// ---- wire format ----

/** Decodes one message into [{ no, wt, v }]: v is a bigint (varint), or a Uint8Array view (other types). */
export function decodeFields(buf) {
  const out = [];
  let p = 0;
  const varint = () => {
    let r = 0n, shift = 0n;
    for (;;) {
      if (p >= buf.length) throw new Error('onnx-pb: truncated varint');
      const b = buf[p++];
      r |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return r;
      shift += 7n;
    }
  };
  while (p < buf.length) {
    const key = Number(varint());
    const no = key >>> 3, wt = key & 7;
    let v;
    if (wt === 0) v = varint();
    else if (wt === 1) { v = buf.subarray(p, p + 8); p += 8; }
    else if (wt === 2) { const n = Number(varint()); v = buf.subarray(p, p + n); p += n; }
    else if (wt === 5) { v = buf.subarray(p, p + 4); p += 4; }
    else throw new Error(`onnx-pb: unsupported wire type ${wt} (field ${no})`);
    if (p > buf.length) throw new Error('onnx-pb: truncated message');
    out.push({ no, wt, v });
  }
  return out;
}

function varintBytes(value) {
  let x = BigInt.asUintN(64, BigInt(value));
  const bytes = [];
  do {
    let b = Number(x & 0x7fn);
    x >>= 7n;
    if (x > 0n) b |= 0x80;
    bytes.push(b);
  } while (x > 0n);
  return Uint8Array.from(bytes);
}

/** Encodes [{ no, wt, v }] (v: bigint | number for varints, Uint8Array otherwise). */
export function encodeFields(fields) {
  const parts = [];
  let n = 0;
  const push = (b) => { parts.push(b); n += b.length; };
  for (const { no, wt, v } of fields) {
    push(varintBytes((no << 3) | wt));
    if (wt === 0) push(varintBytes(v));
    else if (wt === 2) { push(varintBytes(v.length)); push(v); }
    else push(v); // fixed 32/64 bits, as read
  }
  const out = new Uint8Array(n);
  let p = 0;
  for (const b of parts) { out.set(b, p); p += b.length; }
  return out;
}

const str = (s) => ({ wt: 2, v: te.encode(s) });
const msg = (fields) => ({ wt: 2, v: encodeFields(fields) });
const int = (x) => ({ wt: 0, v: BigInt(x) });
/** Signed int64 from a varint (two's complement). */
const i64 = (v) => Number(BigInt.asIntN(64, v));
/** Repeated int64: packed (wire type 2) or not. */
function readInts(f) {
  if (f.wt === 0) return [i64(f.v)];
  return decodeFields(packedAsFields(f.v)).map((x) => i64(x.v));
}
// a packed run of varints re-read as varint fields numbered 1 (cheap reuse of the decoder)
function packedAsFields(bytes) {
  const out = [];
  let start = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] < 0x80) {
      out.push(0x08, ...bytes.subarray(start, i + 1));
      start = i + 1;
    }
  }
  return Uint8Array.from(out);
}
function packInts(values) {
  const parts = values.map(varintBytes);
  const out = new Uint8Array(parts.reduce((s, b) => s + b.length, 0));
  let p = 0;
  for (const b of parts) { out.set(b, p); p += b.length; }
  return out;
}

// ---- ONNX ----

export const DataType = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7 };
const TYPED = {
  1: Float32Array, 2: Uint8Array, 3: Int8Array, 6: Int32Array, 7: BigInt64Array,
};
export const AttrType = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7 };

/**
 * TensorProto → { name, dims, dataType, data (typed array, a copy), rest (fields kept as they were) }.
 * Reads raw_data and the typed repeated fields (float_data, int32_data, int64_data).
 */
export function readTensor(bytes) {
  const t = { name: '', dims: [], dataType: 0, data: undefined, rest: [] };
  const floats = [], int32s = [], int64s = [];
  let raw;
  for (const f of decodeFields(bytes)) {
    if (f.no === 1) t.dims.push(...readInts(f));
    else if (f.no === 2) t.dataType = Number(f.v);
    else if (f.no === 8) t.name = td.decode(f.v);
    else if (f.no === 9) raw = f.v;
    else if (f.no === 4) {
      if (f.wt === 5) floats.push(new DataView(f.v.buffer, f.v.byteOffset, 4).getFloat32(0, true));
      else for (let i = 0; i < f.v.length; i += 4) floats.push(new DataView(f.v.buffer, f.v.byteOffset + i, 4).getFloat32(0, true));
    } else if (f.no === 5) int32s.push(...readInts(f));
    else if (f.no === 7) int64s.push(...readInts(f));
    else t.rest.push(f);
  }
  const Typed = TYPED[t.dataType];
  if (!Typed) throw new Error(`onnx-pb: tensor ${t.name} has data type ${t.dataType}, not supported here`);
  const count = t.dims.reduce((a, b) => a * b, 1);
  if (raw) {
    const copy = new Uint8Array(raw); // aligned copy
    t.data = new Typed(copy.buffer, 0, copy.length / Typed.BYTES_PER_ELEMENT);
  } else if (t.dataType === DataType.FLOAT) t.data = Float32Array.from(floats);
  else if (t.dataType === DataType.INT64) t.data = BigInt64Array.from(int64s.map(BigInt));
  else t.data = Typed.from(int32s);
  if (t.data.length !== count) throw new Error(`onnx-pb: tensor ${t.name} has ${t.data.length} values for dims [${t.dims}]`);
  return t;
}

/** A tensor written with raw_data (little-endian, as ONNX requires). */
export function writeTensor({ name, dims, dataType, data }) {
  const raw = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return encodeFields([
    { no: 1, ...msgPacked(dims) },
    { no: 2, ...int(dataType) },
    { no: 8, ...str(name) },
    { no: 9, wt: 2, v: new Uint8Array(raw) },
  ]);
}
const msgPacked = (values) => ({ wt: 2, v: packInts(values) });

/** AttributeProto → { name, type, value, rest }. value: number, number[], string, or a tensor. */
function readAttribute(bytes) {
  const a = { name: '', type: 0, value: undefined, rest: [] };
  const ints = [], floats = [];
  for (const f of decodeFields(bytes)) {
    if (f.no === 1) a.name = td.decode(f.v);
    else if (f.no === 20) a.type = Number(f.v);
    else if (f.no === 2) a.value = new DataView(f.v.buffer, f.v.byteOffset, 4).getFloat32(0, true);
    else if (f.no === 3) a.value = i64(f.v);
    else if (f.no === 4) a.value = td.decode(f.v);
    else if (f.no === 5) a.value = readTensor(f.v);
    else if (f.no === 8) ints.push(...readInts(f));
    else if (f.no === 7) {
      if (f.wt === 5) floats.push(new DataView(f.v.buffer, f.v.byteOffset, 4).getFloat32(0, true));
      else for (let i = 0; i < f.v.length; i += 4) floats.push(new DataView(f.v.buffer, f.v.byteOffset + i, 4).getFloat32(0, true));
    } else a.rest.push(f);
  }
  if (a.type === AttrType.INTS) a.value = ints;
  if (a.type === AttrType.FLOATS) a.value = floats;
  return a;
}

function writeAttribute(a) {
  const fields = [{ no: 1, ...str(a.name) }];
  if (a.type === AttrType.FLOAT) {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, a.value, true);
    fields.push({ no: 2, wt: 5, v: b });
  } else if (a.type === AttrType.INT) fields.push({ no: 3, ...int(a.value) });
  else if (a.type === AttrType.STRING) fields.push({ no: 4, ...str(a.value) });
  else if (a.type === AttrType.TENSOR) fields.push({ no: 5, wt: 2, v: writeTensor(a.value) });
  else if (a.type === AttrType.INTS) fields.push({ no: 8, ...msgPacked(a.value) });
  else if (a.type === AttrType.FLOATS) {
    const b = new Uint8Array(4 * a.value.length);
    const dv = new DataView(b.buffer);
    a.value.forEach((x, i) => dv.setFloat32(4 * i, x, true));
    fields.push({ no: 7, wt: 2, v: b });
  }
  fields.push(...a.rest);
  fields.push({ no: 20, ...int(a.type) });
  return encodeFields(fields);
}

/** NodeProto → { inputs, outputs, name, opType, domain, attributes: Attribute[], rest }. */
function readNode(bytes) {
  const n = { inputs: [], outputs: [], name: '', opType: '', domain: '', attributes: [], rest: [] };
  for (const f of decodeFields(bytes)) {
    if (f.no === 1) n.inputs.push(td.decode(f.v));
    else if (f.no === 2) n.outputs.push(td.decode(f.v));
    else if (f.no === 3) n.name = td.decode(f.v);
    else if (f.no === 4) n.opType = td.decode(f.v);
    else if (f.no === 7) n.domain = td.decode(f.v);
    else if (f.no === 5) n.attributes.push(readAttribute(f.v));
    else n.rest.push(f);
  }
  return n;
}

function writeNode(n) {
  const fields = [];
  for (const s of n.inputs) fields.push({ no: 1, ...str(s) });
  for (const s of n.outputs) fields.push({ no: 2, ...str(s) });
  if (n.name) fields.push({ no: 3, ...str(n.name) });
  fields.push({ no: 4, ...str(n.opType) });
  for (const a of n.attributes) fields.push({ no: 5, wt: 2, v: writeAttribute(a) });
  fields.push(...n.rest);
  if (n.domain) fields.push({ no: 7, ...str(n.domain) });
  return encodeFields(fields);
}

/** ValueInfoProto → { name, elemType, shape: (number | string | undefined)[] | undefined, rest }. */
function readValueInfo(bytes) {
  const v = { name: '', elemType: 0, shape: undefined, rest: [] };
  for (const f of decodeFields(bytes)) {
    if (f.no === 1) v.name = td.decode(f.v);
    else if (f.no === 2) {
      for (const t of decodeFields(f.v)) {
        if (t.no !== 1) throw new Error(`onnx-pb: value ${v.name} is not a tensor`);
        for (const tt of decodeFields(t.v)) {
          if (tt.no === 1) v.elemType = Number(tt.v);
          else if (tt.no === 2) {
            v.shape = decodeFields(tt.v).filter((d) => d.no === 1).map((d) => {
              const dim = decodeFields(d.v);
              const value = dim.find((x) => x.no === 1);
              const param = dim.find((x) => x.no === 2);
              return value ? i64(value.v) : param ? td.decode(param.v) : undefined;
            });
          }
        }
      }
    } else v.rest.push(f);
  }
  return v;
}

export function writeValueInfo(v) {
  const tensor = [{ no: 1, ...int(v.elemType) }];
  if (v.shape) {
    const dims = v.shape.map((d) => ({
      no: 1,
      ...msg(d === undefined ? [] : typeof d === 'number' ? [{ no: 1, ...int(d) }] : [{ no: 2, ...str(d) }]),
    }));
    tensor.push({ no: 2, ...msg(dims) });
  }
  return encodeFields([{ no: 1, ...str(v.name) }, { no: 2, ...msg([{ no: 1, ...msg(tensor) }]) }, ...v.rest]);
}

/**
 * ModelProto → { graph: { nodes, initializers: Tensor[], inputs, outputs, valueInfo, rest }, opsets:
 * [{ domain, version }], rest }. Fields of either message we do not interpret stay in `rest`, in order.
 */
export function readModel(bytes) {
  const model = { graph: undefined, opsets: [], rest: [] };
  for (const f of decodeFields(bytes)) {
    if (f.no === 7) model.graph = readGraph(f.v);
    else if (f.no === 8) {
      const o = { domain: '', version: 0 };
      for (const x of decodeFields(f.v)) {
        if (x.no === 1) o.domain = td.decode(x.v);
        else if (x.no === 2) o.version = i64(x.v);
      }
      model.opsets.push(o);
    } else model.rest.push(f);
  }
  if (!model.graph) throw new Error('onnx-pb: no graph in model');
  return model;
}

function readGraph(bytes) {
  const g = { nodes: [], initializers: [], inputs: [], outputs: [], valueInfo: [], rest: [] };
  for (const f of decodeFields(bytes)) {
    if (f.no === 1) g.nodes.push(readNode(f.v));
    else if (f.no === 5) g.initializers.push(readTensor(f.v));
    else if (f.no === 11) g.inputs.push(readValueInfo(f.v));
    else if (f.no === 12) g.outputs.push(readValueInfo(f.v));
    else if (f.no === 13) g.valueInfo.push(readValueInfo(f.v));
    else g.rest.push(f);
  }
  return g;
}

function writeGraph(g) {
  return encodeFields([
    ...g.nodes.map((n) => ({ no: 1, wt: 2, v: writeNode(n) })),
    ...g.rest,
    ...g.initializers.map((t) => ({ no: 5, wt: 2, v: writeTensor(t) })),
    ...g.inputs.map((v) => ({ no: 11, wt: 2, v: writeValueInfo(v) })),
    ...g.outputs.map((v) => ({ no: 12, wt: 2, v: writeValueInfo(v) })),
    ...g.valueInfo.map((v) => ({ no: 13, wt: 2, v: writeValueInfo(v) })),
  ]);
}

export function writeModel(m) {
  const head = m.rest.filter((f) => f.no < 7);
  const tail = m.rest.filter((f) => f.no > 8);
  return encodeFields([
    ...head,
    { no: 7, wt: 2, v: writeGraph(m.graph) },
    ...m.opsets.map((o) => ({ no: 8, ...msg([...(o.domain ? [{ no: 1, ...str(o.domain) }] : []), { no: 2, ...int(o.version) }]) })),
    ...tail,
  ]);
}
