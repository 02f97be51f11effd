// A minimal protocol-buffers encoder for the few ONNX messages an exported inference graph needs
// (ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto, ValueInfoProto and their small helpers).
// Field numbers are those of onnx/onnx.proto (https://github.com/onnx/onnx/blob/main/onnx/onnx.proto).
// Encoding only: nothing here reads ONNX. Platform-free: takes objects, returns bytes.
//
// A message is kept as a list of byte chunks plus its total length, so that nesting a 60 MB GraphProto in a
// ModelProto costs no copy: the chunks are joined once, at the end.

export class OnnxProtoError extends Error {
  override name = 'OnnxProtoError';
}

/** The TensorProto.DataType values this encoder writes. */
export const ONNX_DTYPE = { float32: 1, int64: 7, bool: 9 } as const;
export type OnnxElementType = keyof typeof ONNX_DTYPE;

export interface OnnxTensor {
  readonly name: string;
  readonly dims: readonly number[];
  /** row-major; float32 or int64 data (stored as raw little-endian bytes) */
  readonly data: Float32Array | BigInt64Array;
}

export type OnnxAttribute =
  | { readonly name: string; readonly kind: 'int'; readonly value: number }
  | { readonly name: string; readonly kind: 'ints'; readonly value: readonly number[] }
  | { readonly name: string; readonly kind: 'float'; readonly value: number };

export interface OnnxNode {
  readonly opType: string;
  readonly name: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes: readonly OnnxAttribute[];
}

/** A graph input or output: element type and dims, each a size or a symbolic name ("batch"). */
export interface OnnxValueInfo {
  readonly name: string;
  readonly elementType: OnnxElementType;
  readonly dims: readonly (number | string)[];
}

export interface OnnxGraph {
  readonly name: string;
  readonly nodes: readonly OnnxNode[];
  readonly initializers: readonly OnnxTensor[];
  readonly inputs: readonly OnnxValueInfo[];
  readonly outputs: readonly OnnxValueInfo[];
}

export interface OnnxModel {
  /** IR version 8 goes with opset 17 (onnx/docs/Versioning.md) */
  readonly irVersion: number;
  readonly opsetVersion: number;
  readonly producerName: string;
  readonly producerVersion: string;
  readonly docString: string;
  readonly metadata: Readonly<Record<string, string>>;
  readonly graph: OnnxGraph;
}

// protobuf wire types
const VARINT = 0;
const FIXED32 = 5;
const LENGTH_DELIMITED = 2;

// AttributeProto.AttributeType
const ATTR_FLOAT = 1;
const ATTR_INT = 2;
const ATTR_INTS = 7;

const utf8 = new TextEncoder();

function littleEndian(): boolean {
  return new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
}

/** One message being written: byte chunks and their total length. */
class ProtoWriter {
  readonly chunks: Uint8Array[] = [];
  length = 0;
  private scratch: number[] = [];

  private flush(): void {
    if (this.scratch.length === 0) return;
    this.chunks.push(Uint8Array.from(this.scratch));
    this.scratch = [];
  }

  private byte(b: number): void {
    this.scratch.push(b);
    this.length++;
  }

  private rawVarint(value: bigint): void {
    // Negative int64s are written as their 64-bit two's complement (10 bytes), as protobuf does.
    let v = BigInt.asUintN(64, value);
    while (v >= 0x80n) {
      this.byte(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.byte(Number(v));
  }

  private tag(field: number, wireType: number): void {
    this.rawVarint(BigInt((field << 3) | wireType));
  }

  varint(field: number, value: number): void {
    if (!Number.isSafeInteger(value)) throw new OnnxProtoError(`field ${field}: ${value} is not an integer`);
    this.tag(field, VARINT);
    this.rawVarint(BigInt(value));
  }

  float(field: number, value: number): void {
    this.tag(field, FIXED32);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    for (const x of b) this.byte(x);
  }

  bytes(field: number, data: Uint8Array): void {
    this.tag(field, LENGTH_DELIMITED);
    this.rawVarint(BigInt(data.length));
    this.flush();
    this.chunks.push(data);
    this.length += data.length;
  }

  string(field: number, text: string): void {
    this.bytes(field, utf8.encode(text));
  }

  message(field: number, child: ProtoWriter): void {
    child.flush();
    this.tag(field, LENGTH_DELIMITED);
    this.rawVarint(BigInt(child.length));
    this.flush();
    this.chunks.push(...child.chunks);
    this.length += child.length;
  }

  /** A packed repeated int64 field. */
  packedInt64(field: number, values: readonly number[]): void {
    const inner = new ProtoWriter();
    for (const v of values) {
      if (!Number.isSafeInteger(v)) throw new OnnxProtoError(`field ${field}: ${v} is not an integer`);
      inner.rawVarint(BigInt(v));
    }
    this.message(field, inner);
  }

  finish(): Uint8Array {
    this.flush();
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}

function tensorProto(t: OnnxTensor): ProtoWriter {
  const expected = t.dims.reduce((a, b) => a * b, 1);
  if (t.data.length !== expected) {
    throw new OnnxProtoError(
      `initializer '${t.name}': ${t.data.length} elements, dims [${t.dims.join(', ')}] need ${expected}`,
    );
  }
  const w = new ProtoWriter();
  w.packedInt64(1, t.dims); // dims
  w.varint(2, t.data instanceof Float32Array ? ONNX_DTYPE.float32 : ONNX_DTYPE.int64); // data_type
  w.string(8, t.name); // name
  w.bytes(9, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength)); // raw_data (little-endian)
  return w;
}

function attributeProto(a: OnnxAttribute): ProtoWriter {
  const w = new ProtoWriter();
  w.string(1, a.name); // name
  switch (a.kind) {
    case 'int':
      w.varint(3, a.value); // i
      w.varint(20, ATTR_INT); // type
      break;
    case 'float':
      w.float(2, a.value); // f
      w.varint(20, ATTR_FLOAT);
      break;
    case 'ints':
      w.packedInt64(8, a.value); // ints
      w.varint(20, ATTR_INTS);
      break;
  }
  return w;
}

function nodeProto(n: OnnxNode): ProtoWriter {
  const w = new ProtoWriter();
  for (const i of n.inputs) w.string(1, i); // input
  for (const o of n.outputs) w.string(2, o); // output
  w.string(3, n.name); // name
  w.string(4, n.opType); // op_type
  for (const a of n.attributes) w.message(5, attributeProto(a)); // attribute
  return w;
}

function valueInfoProto(v: OnnxValueInfo): ProtoWriter {
  const shape = new ProtoWriter(); // TensorShapeProto
  for (const d of v.dims) {
    const dim = new ProtoWriter(); // TensorShapeProto.Dimension
    if (typeof d === 'number')
      dim.varint(1, d); // dim_value
    else dim.string(2, d); // dim_param
    shape.message(1, dim);
  }
  const tensorType = new ProtoWriter(); // TypeProto.Tensor
  tensorType.varint(1, ONNX_DTYPE[v.elementType]); // elem_type
  tensorType.message(2, shape); // shape
  const type = new ProtoWriter(); // TypeProto
  type.message(1, tensorType); // tensor_type
  const w = new ProtoWriter();
  w.string(1, v.name); // name
  w.message(2, type); // type
  return w;
}

function graphProto(g: OnnxGraph): ProtoWriter {
  const w = new ProtoWriter();
  for (const n of g.nodes) w.message(1, nodeProto(n)); // node
  w.string(2, g.name); // name
  for (const t of g.initializers) w.message(5, tensorProto(t)); // initializer
  for (const i of g.inputs) w.message(11, valueInfoProto(i)); // input
  for (const o of g.outputs) w.message(12, valueInfoProto(o)); // output
  return w;
}

/** Serialises a model to the bytes of a .onnx file. */
export function encodeOnnxModel(m: OnnxModel): Uint8Array {
  if (!littleEndian()) {
    throw new OnnxProtoError('this platform is big-endian: ONNX raw_data must be little-endian');
  }
  const w = new ProtoWriter();
  w.varint(1, m.irVersion); // ir_version
  w.string(2, m.producerName); // producer_name
  w.string(3, m.producerVersion); // producer_version
  w.string(6, m.docString); // doc_string
  w.message(7, graphProto(m.graph)); // graph
  const opset = new ProtoWriter(); // OperatorSetIdProto, default domain ""
  opset.string(1, '');
  opset.varint(2, m.opsetVersion);
  w.message(8, opset); // opset_import
  for (const [key, value] of Object.entries(m.metadata)) {
    const entry = new ProtoWriter(); // StringStringEntryProto
    entry.string(1, key);
    entry.string(2, value);
    w.message(14, entry); // metadata_props
  }
  return w.finish();
}
