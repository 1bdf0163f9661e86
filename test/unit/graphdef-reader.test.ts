/**
 * The GraphDef reader on every TensorProto encoding TF writes. Each graph is built here with
 * protobufjs from values we choose, so the expected values are known independently of the
 * reader.
 */
import { describe, expect, test } from 'vitest';
import { importModel } from '../../src/import/index.js';
import { tfMessageType } from '../../src/import/tf-protos.js';
import { constValues, type Tensor } from '../../src/ir/tensor.js';
import { ModelFormatError } from '../../src/util/errors.js';

const DT = { FLOAT: 1, DOUBLE: 2, INT32: 3, UINT8: 4, INT16: 5, INT8: 6, STRING: 7, INT64: 9, BOOL: 10, BFLOAT16: 14, UINT16: 17, HALF: 19, UINT32: 22, UINT64: 23 };

function shapeProto(shape: number[]) {
  return { dim: shape.map((size) => ({ size })) };
}

/** A GraphDef holding one Const `c` with the given TensorProto fields, read by an Identity. */
function constGraph(dtype: number, shape: number[], fields: Record<string, unknown>): Uint8Array {
  const type = tfMessageType('tensorflow.GraphDef');
  const graph = {
    node: [
      {
        name: 'c',
        op: 'Const',
        attr: {
          dtype: { type: dtype },
          value: { tensor: { dtype, tensor_shape: shapeProto(shape), ...fields } },
        },
      },
      { name: 'out', op: 'Identity', input: ['c'], attr: { T: { type: dtype } } },
    ],
  };
  return type.encode(type.fromObject(graph)).finish();
}

function readConst(bytes: Uint8Array): Tensor {
  const { model } = importModel(bytes, 'graph.pb');
  const c = model.main.tensors.find((t) => t.name === 'c');
  if (!c) throw new Error('no const');
  return c;
}

function values(t: Tensor): number[] {
  return Array.from(constValues(t.data!, t.dtype!) as ArrayLike<number | bigint>, Number);
}

function le(array: Float32Array | Float64Array | Int32Array): Uint8Array {
  return new Uint8Array(array.buffer.slice(0));
}

describe('TensorProto encodings', () => {
  test('tensor_content float32 is kept as a view of the file bytes', () => {
    const data = new Float32Array([1.5, -2, 3.25, 0, 7, 8]);
    const pb = constGraph(DT.FLOAT, [2, 3], { tensor_content: le(data) });
    const c = readConst(pb);
    expect(c.dtype).toBe('float32');
    expect(c.shape).toEqual([2, 3]);
    expect(values(c)).toEqual([1.5, -2, 3.25, 0, 7, 8]);
    expect(c.data!.kind === 'bytes' && c.data!.bytes.buffer).toBe(pb.buffer);
  });

  test('tensor_content int32 and float64', () => {
    expect(values(readConst(constGraph(DT.INT32, [3], { tensor_content: le(new Int32Array([-1, 2, 2 ** 30])) })))).toEqual([
      -1, 2, 2 ** 30,
    ]);
    expect(values(readConst(constGraph(DT.DOUBLE, [2], { tensor_content: le(new Float64Array([0.1, -1e300])) })))).toEqual([
      0.1, -1e300,
    ]);
  });

  test('float_val: full, splat (fewer values repeat the last) and empty (zeros)', () => {
    expect(values(readConst(constGraph(DT.FLOAT, [3], { float_val: [1, 2, 3] })))).toEqual([1, 2, 3]);
    expect(values(readConst(constGraph(DT.FLOAT, [2, 3], { float_val: [0.5] })))).toEqual([0.5, 0.5, 0.5, 0.5, 0.5, 0.5]);
    expect(values(readConst(constGraph(DT.FLOAT, [4], { float_val: [1, 2] })))).toEqual([1, 2, 2, 2]);
    expect(values(readConst(constGraph(DT.FLOAT, [3], {})))).toEqual([0, 0, 0]);
  });

  test('scalar float_val', () => {
    const c = readConst(constGraph(DT.FLOAT, [], { float_val: [42] }));
    expect(c.shape).toEqual([]);
    expect(values(c)).toEqual([42]);
  });

  test('double_val', () => {
    expect(values(readConst(constGraph(DT.DOUBLE, [3], { double_val: [0.1, 0.2] })))).toEqual([0.1, 0.2, 0.2]);
  });

  test('int_val for int8, int16, int32, uint8, uint16', () => {
    expect(values(readConst(constGraph(DT.INT8, [3], { int_val: [-128, 127, 5] })))).toEqual([-128, 127, 5]);
    expect(values(readConst(constGraph(DT.INT16, [2], { int_val: [-30000] })))).toEqual([-30000, -30000]);
    expect(values(readConst(constGraph(DT.INT32, [2], { int_val: [7, -7] })))).toEqual([7, -7]);
    expect(values(readConst(constGraph(DT.UINT8, [2], { int_val: [255, 0] })))).toEqual([255, 0]);
    expect(values(readConst(constGraph(DT.UINT16, [2], { int_val: [65535] })))).toEqual([65535, 65535]);
  });

  test('int64_val, uint32_val and uint64_val keep exact values', () => {
    const big = readConst(constGraph(DT.INT64, [3], { int64_val: ['-9007199254740993', '5'] }));
    expect(big.dtype).toBe('int64');
    expect(Array.from(constValues(big.data!, 'int64') as BigInt64Array)).toEqual([-9007199254740993n, 5n, 5n]);
    expect(values(readConst(constGraph(DT.UINT32, [2], { uint32_val: [4294967295, 1] })))).toEqual([4294967295, 1]);
    const u64 = readConst(constGraph(DT.UINT64, [1], { uint64_val: ['18446744073709551615'] }));
    expect(Array.from(constValues(u64.data!, 'uint64') as BigUint64Array)).toEqual([18446744073709551615n]);
  });

  test('half_val holds float16 and bfloat16 bit patterns', () => {
    // float16 1.0 = 0x3C00, -2.0 = 0xC000; bfloat16 1.0 = 0x3F80.
    const half = readConst(constGraph(DT.HALF, [3], { half_val: [0x3c00, 0xc000] }));
    expect(half.dtype).toBe('float16');
    expect(values(half)).toEqual([0x3c00, 0xc000, 0xc000]);
    const bf = readConst(constGraph(DT.BFLOAT16, [2], { half_val: [0x3f80] }));
    expect(bf.dtype).toBe('bfloat16');
    expect(values(bf)).toEqual([0x3f80, 0x3f80]);
  });

  test('bool_val', () => {
    const c = readConst(constGraph(DT.BOOL, [3], { bool_val: [true, false] }));
    expect(c.dtype).toBe('bool');
    expect(values(c)).toEqual([1, 0, 0]);
  });

  test('string_val', () => {
    const c = readConst(constGraph(DT.STRING, [2], { string_val: [new TextEncoder().encode('hi'), new Uint8Array([0xff, 0])] }));
    expect(c.dtype).toBe('string');
    expect(c.data!.kind).toBe('strings');
    if (c.data!.kind === 'strings') {
      expect(c.data!.values.map((v) => Array.from(v))).toEqual([[104, 105], [0xff, 0]]);
    }
  });

  test('tensor_content of the wrong length names the node', () => {
    const pb = constGraph(DT.FLOAT, [4], { tensor_content: new Uint8Array(12) });
    expect(() => importModel(pb, 'g.pb')).toThrow(ModelFormatError);
    expect(() => importModel(pb, 'g.pb')).toThrow(/node "c" \(Const\).*12 bytes of tensor_content, expected 16/);
  });

  test('more values than elements is an error', () => {
    expect(() => importModel(constGraph(DT.FLOAT, [2], { float_val: [1, 2, 3] }), 'g.pb')).toThrow(/3 values for 2 elements/);
  });
});

describe('graph structure', () => {
  const type = tfMessageType('tensorflow.GraphDef');
  const encode = (graph: object) => type.encode(type.fromObject(graph)).finish();

  test('nodes out of order are sorted, control edges kept, multi-output refs resolved', () => {
    const pb = encode({
      node: [
        { name: 'sum', op: 'AddV2', input: ['split:1', 'split', '^init'], attr: { T: { type: DT.FLOAT } } },
        { name: 'split', op: 'Split', input: ['axis', 'x'], attr: { num_split: { i: 2 }, T: { type: DT.FLOAT } } },
        { name: 'init', op: 'NoOp' },
        { name: 'axis', op: 'Const', attr: { dtype: { type: DT.INT32 }, value: { tensor: { dtype: DT.INT32, int_val: [0] } } } },
        { name: 'x', op: 'Placeholder', attr: { dtype: { type: DT.FLOAT }, shape: { shape: shapeProto([4, -1]) } } },
      ],
    });
    const { model } = importModel(pb, 'g.pb');
    const g = model.main;
    expect(g.ops.map((op) => op.name)).toEqual(['split', 'init', 'sum']);
    expect(g.inputs.map((t) => [t.name, t.dtype, t.shape])).toEqual([['x', 'float32', [4, -1]]]);
    const [split, , sum] = g.ops;
    expect(split!.outputs.map((t) => t.name)).toEqual(['split', 'split:1']);
    expect(sum!.inputs).toEqual([split!.outputs[1], split!.outputs[0]]);
    expect(sum!.dialect === 'tf' && sum!.controlInputs).toEqual(['init']);
    expect(split!.dialect === 'tf' && split!.attrs.get('num_split')).toEqual({ kind: 'i', value: 2 });
  });

  test('typed attributes: strings, lists, shapes, types', () => {
    const pb = encode({
      node: [
        { name: 'x', op: 'Placeholder', attr: { dtype: { type: DT.FLOAT } } },
        {
          name: 'pool',
          op: 'MaxPool',
          input: ['x'],
          attr: {
            padding: { s: new TextEncoder().encode('SAME') },
            ksize: { list: { i: [1, 3, 3, 1] } },
            T: { type: DT.FLOAT },
            flag: { b: true },
            alpha: { f: 0.25 },
            empty: {},
          },
        },
      ],
    });
    const op = importModel(pb, 'g.pb').model.main.ops[0]!;
    if (op.dialect !== 'tf') throw new Error('expected a tf op');
    expect(op.attrs.get('padding')).toMatchObject({ kind: 's', text: 'SAME' });
    expect(op.attrs.get('ksize')).toMatchObject({ kind: 'list', value: { i: [1, 3, 3, 1] } });
    expect(op.attrs.get('T')).toEqual({ kind: 'type', value: 'float32' });
    expect(op.attrs.get('flag')).toEqual({ kind: 'b', value: true });
    expect(op.attrs.get('alpha')).toEqual({ kind: 'f', value: 0.25 });
    expect(op.attrs.get('empty')).toMatchObject({ kind: 'list', value: { i: [] } });
    expect(op.outputs[0]!.dtype).toBe('float32');
    // A Placeholder without a shape attribute has an unknown rank.
    expect(importModel(pb, 'g.pb').model.main.inputs[0]!.shape).toBeNull();
  });

  test('an input naming a missing node is reported with the node and op', () => {
    const pb = encode({ node: [{ name: 'y', op: 'Relu', input: ['ghost'] }] });
    expect(() => importModel(pb, 'g.pb')).toThrow(/node "y" \(Relu\) reads "ghost", but there is no node "ghost"/);
  });

  test('a cycle is reported by node', () => {
    const pb = encode({
      node: [
        { name: 'a', op: 'Merge', input: ['b'] },
        { name: 'b', op: 'NextIteration', input: ['a'] },
      ],
    });
    expect(() => importModel(pb, 'g.pb')).toThrow(/cycle.*"a" \(Merge\), "b" \(NextIteration\)/);
  });

  test('an empty protobuf is not taken for a graph', () => {
    // Field 4 (versions), an empty message: a valid protobuf with no nodes.
    expect(() => importModel(new Uint8Array([0x22, 0x00]), 'g.pb')).toThrow(/no nodes/);
  });
});
