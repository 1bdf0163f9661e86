/** The .tflite writer on what the fixtures do not exercise: metadata_buffer, strings, dynamic dims, refusals. */
import { describe, expect, test } from 'vitest';
import { writeTflite } from '../../src/export/tflite.js';
import { readTflite } from '../../src/import/tflite.js';
import { GraphError } from '../../src/util/errors.js';
import { readModel } from '../helpers/fixtures.js';

describe('writer', () => {
  test('the deprecated metadata_buffer list survives a round trip', () => {
    const model = readTflite(readModel('tflite_micro/hello_world/hello_world_float.tflite'));
    model.metadataBuffers = [Uint8Array.from([1, 2, 3]), Uint8Array.from([9])];
    const again = readTflite(writeTflite(model));
    expect(again.metadataBuffers.map((b) => Array.from(b))).toEqual([[1, 2, 3], [9]]);
  });

  test('string constants round-trip through TFLite packed string buffers', () => {
    const model = readTflite(readModel('tflite_micro/hello_world/hello_world_float.tflite'));
    const t = model.main.tensors.find((x) => x.data !== null)!;
    const values = [new TextEncoder().encode('hello'), new Uint8Array(0), Uint8Array.from([0xff, 0])];
    t.dtype = 'string';
    t.shape = [3];
    t.data = { kind: 'strings', values };
    const again = readTflite(writeTflite(model)).main.tensors.find((x) => x.name === t.name)!;
    expect(again.dtype).toBe('string');
    expect(again.data?.kind === 'strings' && again.data.values.map((v) => Array.from(v))).toEqual(values.map((v) => Array.from(v)));
  });

  test('run-time dimensions are written as 1 in shape and -1 in shape_signature', () => {
    const model = readTflite(readModel('tflite_micro/hello_world/hello_world_float.tflite'));
    const input = model.main.inputs[0]!;
    input.shape = [-1, 1];
    input.shapeSignature = null;
    const again = readTflite(writeTflite(model)).main.inputs[0]!;
    expect(again.shape).toEqual([1, 1]);
    expect(again.shapeSignature).toEqual([-1, 1]);
  });

  test('a constant of the wrong byte size or an out-of-range quantized axis is refused before writing', () => {
    const model = readTflite(readModel('tflite_micro/hello_world/hello_world_int8.tflite'));
    const weights = model.main.tensors.find((x) => x.data !== null && x.quant !== null)!;
    const saved = weights.data;
    weights.data = { kind: 'bytes', bytes: new Uint8Array(3) };
    expect(() => writeTflite(model)).toThrow(GraphError);
    expect(() => writeTflite(model)).toThrow(/holds 3 bytes, expected/);
    weights.data = saved;
    weights.quant = { ...weights.quant!, axis: 7 };
    expect(() => writeTflite(model)).toThrow(/quantized_dimension 7 but rank/);
  });
});
