/** The blocked transpose against a plain index-by-index definition, for every path it takes. */
import { describe, expect, test } from 'vitest';
import { transposeValue } from '../../src/kernels/transpose.js';
import { makeValue, stridesOf, type Value } from '../../src/kernels/value.js';
import type { DType } from '../../src/ir/dtype.js';
import { mulberry32 } from '../harness/random-inputs.js';

function naive(x: Value, perm: number[]): number[] {
  const shape = perm.map((p) => x.shape[p]!);
  const inStrides = stridesOf(x.shape);
  const count = shape.reduce((a, b) => a * b, 1);
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    let rest = i;
    let at = 0;
    for (let d = shape.length - 1; d >= 0; d--) {
      at += (rest % shape[d]!) * inStrides[perm[d]!]!;
      rest = Math.floor(rest / shape[d]!);
    }
    out.push(Number((x.data as ArrayLike<number | bigint>)[at]));
  }
  return out;
}

const CASES: [DType, number[], number[]][] = [
  ['float32', [37, 45], [1, 0]],
  ['float32', [3, 5, 7, 11], [3, 0, 1, 2]],
  ['int32', [4, 6, 9], [2, 0, 1]],
  ['float32', [4, 6, 9], [0, 2, 1]],
  ['int8', [33, 65], [1, 0]],
  ['float16', [17, 3], [1, 0]],
  ['int64', [5, 7], [1, 0]],
  ['float32', [2, 3, 4, 5], [0, 3, 1, 2]],
];

describe('transposeValue', () => {
  test.each(CASES)('%s %j by %j', (dtype, shape, perm) => {
    const random = mulberry32(shape.length * 31 + perm[0]!);
    const x = makeValue(dtype, shape);
    const data = x.data as unknown as { [i: number]: number | bigint; length: number };
    for (let i = 0; i < data.length; i++) data[i] = dtype === 'int64' ? BigInt(i - 7) : Math.floor(random() * 200) - 100;
    const out = transposeValue(x, perm);
    expect(out.shape).toEqual(perm.map((p) => shape[p]));
    expect(Array.from(out.data as ArrayLike<number | bigint>, Number)).toEqual(naive(x, perm));
  });
});
