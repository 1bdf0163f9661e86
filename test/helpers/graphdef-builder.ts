/**
 * Builds small TF GraphDefs for tests: placeholders, constants (as tensor_content) and nodes with
 * typed attributes, encoded with protobufjs from the official protos.
 *
 *   const g = new GraphDefBuilder();
 *   g.placeholder('x', [1, 8]);
 *   g.constant('w', new Float32Array(8 * 4), [8, 4]);
 *   g.node('y', 'MatMul', ['x', 'w'], { T: attr.type('float32') });
 *   const pb = g.encode();
 */
import { tfMessageType } from '../../src/import/tf-protos.js';

const DT: Record<string, number> = {
  float32: 1, float64: 2, int32: 3, uint8: 4, int16: 5, int8: 6, string: 7, int64: 9, bool: 10, float16: 19,
};

type AttrValue = Record<string, unknown>;

function shapeProto(shape: readonly number[] | null) {
  return shape === null ? { unknown_rank: true } : { dim: shape.map((size) => ({ size })) };
}

export const attr = {
  i: (value: number): AttrValue => ({ i: value }),
  f: (value: number): AttrValue => ({ f: value }),
  b: (value: boolean): AttrValue => ({ b: value }),
  s: (value: string): AttrValue => ({ s: new TextEncoder().encode(value) }),
  type: (dtype: keyof typeof DT | string): AttrValue => ({ type: DT[dtype] }),
  ints: (values: number[]): AttrValue => ({ list: { i: values } }),
  floats: (values: number[]): AttrValue => ({ list: { f: values } }),
  strings: (values: string[]): AttrValue => ({ list: { s: values.map((v) => new TextEncoder().encode(v)) } }),
  shape: (shape: readonly number[] | null): AttrValue => ({ shape: shapeProto(shape) }),
};

type Numeric = Float32Array | Int32Array | Float64Array | Int8Array | Uint8Array | BigInt64Array;

export class GraphDefBuilder {
  private readonly nodes: Record<string, unknown>[] = [];

  placeholder(name: string, shape: readonly number[] | null, dtype = 'float32'): this {
    const attrs: Record<string, AttrValue> = { dtype: attr.type(dtype) };
    if (shape !== null) attrs.shape = attr.shape(shape);
    this.nodes.push({ name, op: 'Placeholder', attr: attrs });
    return this;
  }

  constant(name: string, values: Numeric, shape: readonly number[], dtype = dtypeOf(values)): this {
    const content = new Uint8Array(values.buffer, values.byteOffset, values.byteLength).slice();
    this.nodes.push({
      name,
      op: 'Const',
      attr: {
        dtype: attr.type(dtype),
        value: { tensor: { dtype: DT[dtype], tensor_shape: shapeProto(shape), tensor_content: content } },
      },
    });
    return this;
  }

  node(name: string, op: string, inputs: string[], attrs: Record<string, AttrValue> = {}): this {
    this.nodes.push({ name, op, input: inputs, attr: attrs });
    return this;
  }

  encode(): Uint8Array {
    const type = tfMessageType('tensorflow.GraphDef');
    return type.encode(type.fromObject({ node: this.nodes, versions: { producer: 1087 } })).finish();
  }
}

function dtypeOf(values: Numeric): string {
  if (values instanceof Float32Array) return 'float32';
  if (values instanceof Float64Array) return 'float64';
  if (values instanceof Int32Array) return 'int32';
  if (values instanceof Int8Array) return 'int8';
  if (values instanceof Uint8Array) return 'uint8';
  return 'int64';
}
