/** Every form of representative dataset users hand over, and every way one can be wrong. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { calibrateModel } from '../../src/api/calibrate.js';
import { convertGraphDef } from '../../src/api/convert.js';
import { writeNpy } from '../../src/calibrate/npy.js';
import { readNpy } from '../../src/calibrate/npy.js';
import { DatasetError, UsageError } from '../../src/util/errors.js';
import { attr, GraphDefBuilder } from '../helpers/graphdef-builder.js';

const dir = mkdtempSync(path.join(tmpdir(), 'tflite-dataset-'));
const F = { T: attr.type('float32') };

/** y = relu(a) + b, with a: [1,3] and b: [1,3]; ranges are easy to predict. */
function twoInputModel() {
  const pb = new GraphDefBuilder().placeholder('in/a', [1, 3]).placeholder('b', [1, 3]).node('r', 'Relu', ['in/a'], F).node('y', 'AddV2', ['r', 'b'], F).encode();
  return convertGraphDef(pb, 'two.pb').model;
}

function oneInputModel() {
  const pb = new GraphDefBuilder().placeholder('x', [1, 2, 2]).node('y', 'Neg', ['x'], F).encode();
  return convertGraphDef(pb, 'one.pb').model;
}

function file(name: string, text: string): string {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
}

describe('dataset forms', () => {
  test('a TypeScript module exporting a generator, samples as nested arrays without the batch dim', async () => {
    const ds = file('gen.ts', 'const rows: number[][][] = [[[1, -2], [3, 4]], [[-5, 6], [7, 0.5]]];\nexport default function* () { yield* rows; }\n');
    const { ranges, samples } = await calibrateModel(oneInputModel(), { dataset: ds });
    expect(samples).toBe(2);
    expect(ranges.x).toEqual({ min: -5, max: 7 });
    expect(ranges.y).toEqual({ min: -7, max: 5 });
  });

  test('an async generator in .mjs yielding objects keyed by input name', async () => {
    const ds = file('async.mjs', "export default async function* () {\n  yield { 'in/a': [[1, -1, 2]], b: new Float32Array([10, 0, 0]) };\n  yield { b: [0, 0, -3], 'in/a': [-9, 4, 0] };\n}\n");
    const { ranges } = await calibrateModel(twoInputModel(), { dataset: ds });
    expect(ranges['in/a']).toEqual({ min: -9, max: 4 });
    expect(ranges.r).toEqual({ min: 0, max: 4 });
    expect(ranges.y).toEqual({ min: -3, max: 11 });
  });

  test('a CommonJS module exporting an array of per-input lists; ndarray-style samples', async () => {
    const ds = file('list.cjs', 'module.exports = [[{ data: [1, 2, 3], shape: [1, 3] }, [[0, 0, 1]]], [[[-1, -2, -3]], { data: [5, 5, 5], shape: [3] }]];\n');
    const { ranges, samples } = await calibrateModel(twoInputModel(), { dataset: ds });
    expect(samples).toBe(2);
    expect(ranges.b).toEqual({ min: 0, max: 5 });
  });

  test('a .npy file (first axis = samples) and a folder of .npy files named by input', async () => {
    const x = { dtype: 'float32' as const, shape: [3, 1, 2, 2], data: Float32Array.from({ length: 12 }, (_, i) => i - 6) };
    const npy = path.join(dir, 'x.npy');
    writeFileSync(npy, writeNpy(x));
    expect(readNpy(writeNpy(x))).toEqual(x);
    const one = await calibrateModel(oneInputModel(), { dataset: npy, maxSamples: 2 });
    expect(one.samples).toBe(2);
    expect(one.ranges.x).toEqual({ min: -6, max: 1 });

    const folder = path.join(dir, 'npys');
    mkdirSync(folder);
    writeFileSync(path.join(folder, 'in_a.npy'), writeNpy({ dtype: 'float32', shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) }));
    writeFileSync(path.join(folder, 'b.npy'), writeNpy({ dtype: 'float32', shape: [2, 1, 3], data: Float32Array.from([0, 0, 0, -1, -1, -1]) }));
    const two = await calibrateModel(twoInputModel(), { dataset: folder });
    expect(two.samples).toBe(2);
    expect(two.ranges.y).toEqual({ min: 1, max: 5 });
  });

  test('random data warns that the ranges will be wrong; an endless generator stops at 100 with a notice', async () => {
    const notices: string[] = [];
    const random = await calibrateModel(oneInputModel(), { dataset: 'random', maxSamples: 5, inputRange: [-1, 1], notice: (m) => notices.push(m) });
    expect(random.samples).toBe(5);
    expect(random.ranges.x!.min).toBeGreaterThanOrEqual(-1);
    expect(notices[0]).toMatch(/RANDOM data in \[-1, 1\]/);
    const endless = file('endless.mjs', 'export default function* () { for (;;) yield [[1, 2], [3, 4]]; }\n');
    const result = await calibrateModel(oneInputModel(), { dataset: endless, notice: (m) => notices.push(m) });
    expect(result.samples).toBe(100);
    expect(notices[1]).toMatch(/stopped after 100 samples/);
  });
});

describe('samples given as TypedArrays', () => {
  test('a Float32Array (the input\'s own type, taken directly) and a Float64Array (converted) give the same ranges, also when refilled per sample', async () => {
    for (const array of ['Float32Array', 'Float64Array']) {
      const ds = file(`refill-${array}.mjs`, `export default function* () { const x = new ${array}(4); for (const v of [1, -5, 3]) { x.fill(v); x[0] = v * 2; yield x; } }\n`);
      const { ranges } = await calibrateModel(oneInputModel(), { dataset: ds });
      // Neg's output over the samples [2,1,1,1], [-10,-5,-5,-5], [6,3,3,3].
      expect(ranges['y'], array).toEqual({ min: -6, max: 10 });
    }
  });
});

describe('dataset errors name the sample, the input and the problem', () => {
  const cases: [string, string, RegExp][] = [
    ['empty.mjs', 'export default [];\n', /yielded no samples/],
    ['shape.mjs', 'export default [[[1, 2, 3]]];\n', /sample 0, input "x": shape \[1,3\] does not match the input's \[1,2,2\]/],
    ['nan.mjs', 'export default [[[1, 2], [3, 4]], [[1, NaN], [3, 4]]];\n', /sample 1, input "x": element 1 is NaN/],
    ['throws.mjs', "throw new Error('no data here');\n", /failed to load: no data here/],
    ['late.mjs', "export default function* () { yield [[1, 2], [3, 4]]; throw new Error('disk gone'); }\n", /threw at sample 1: disk gone/],
    ['noexport.mjs', 'export const x = 1;\n', /no default export/],
    ['strided.mjs', 'export default [{ data: new Float32Array(8), shape: [1, 2, 2] }];\n', /sample 0, input "x": ndarray data holds 8 values for shape \[1,2,2\]/],
  ];
  test.each(cases)('%s', async (name, text, message) => {
    const promise = calibrateModel(oneInputModel(), { dataset: file(name, text) });
    await expect(promise).rejects.toThrow(DatasetError);
    await expect(calibrateModel(oneInputModel(), { dataset: file(name, text) })).rejects.toThrow(message);
  });

  test('TypedArray samples of the input\'s own type (taken by a copy): Infinity and NaN are still named', async () => {
    for (const [name, bad] of [['inf-f32.mjs', 'Infinity'], ['nan-f64.mjs', 'NaN']] as const) {
      const array = name.includes('f32') ? 'Float32Array' : 'Float64Array';
      const ds = file(name, `export default [new ${array}([1, 2, 3, 4]), new ${array}([1, 2, 3, ${bad}])];\n`);
      await expect(calibrateModel(oneInputModel(), { dataset: ds })).rejects.toThrow(new RegExp(`sample 1, input "x": element 3 is ${bad}`));
    }
  });

  test('an unknown input name and a missing one', async () => {
    const ds = file('names.mjs', "export default [{ 'in/a': [1, 2, 3], c: [1, 2, 3] }];\n");
    await expect(calibrateModel(twoInputModel(), { dataset: ds })).rejects.toThrow(/sample 0: no input named "c"/);
    const ds2 = file('missing.mjs', "export default [{ 'in/a': [1, 2, 3] }];\n");
    await expect(calibrateModel(twoInputModel(), { dataset: ds2 })).rejects.toThrow(/sample 0: input "b" is missing/);
  });

  test('a NaN inside the network stops calibration naming the tensor and sample', async () => {
    const pb = new GraphDefBuilder().placeholder('x', [1, 2]).node('l', 'Log', ['x'], F).encode();
    const { model } = convertGraphDef(pb, 'log.pb');
    const ds = file('log.mjs', 'export default [[1, 2], [3, -1]];\n');
    await expect(calibrateModel(model, { dataset: ds })).rejects.toThrow(/sample 1: tensor "l" has a NaN value/);
  });

  test('ranges files: unknown tensors and malformed ranges are usage errors', async () => {
    const bad = file('bad.json', JSON.stringify({ nope: { min: 0, max: 1 } }));
    await expect(calibrateModel(oneInputModel(), { rangesFile: bad })).rejects.toThrow(UsageError);
    const inverted = file('inv.json', JSON.stringify({ x: { min: 2, max: 1 } }));
    await expect(calibrateModel(oneInputModel(), { rangesFile: inverted })).rejects.toThrow(/"min" <= "max"/);
    const ok = file('ok.json', JSON.stringify({ x: { min: -1, max: 1 } }));
    expect((await calibrateModel(oneInputModel(), { rangesFile: ok })).ranges).toEqual({ x: { min: -1, max: 1 } });
  });
});
