/**
 * The weight quantization arithmetic on values whose results TensorFlow's own tests state
 * (tensorflow/compiler/mlir/lite/tests/prepare-quantize-dynamic-range.mlir: a constant 127.0
 * weight gets scale 1.0) or that follow from std::round and ExpandVerySmallRange by hand.
 */
import { describe, expect, test } from 'vitest';
import { quantizeSymmetricInt8, roundHalfAwayFromZero, symmetricScale } from '../../src/quantize/quant-math.js';

describe('symmetric int8 weights', () => {
  test('rounds halves away from zero, as std::round', () => {
    expect([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 2.4999, -2.5001].map(roundHalfAwayFromZero)).toEqual([-3, -2, -1, 1, 2, 3, 2, -3]);
  });

  test('a constant 127 weight: scale 1, every value 127 (TF’s QuantizeConv2D case)', () => {
    const { values, scale } = quantizeSymmetricInt8(new Float32Array(64 * 27).fill(127), [64, 3, 3, 3], 0);
    expect(scale).toEqual(new Array(64).fill(1));
    expect(values.every((q) => q === 127)).toBe(true);
  });

  test('per tensor: scale max|w|/127, halves away from zero', () => {
    // 1 / (1/127) = 127; -0.5·127 = -63.5 → -64; 0.25·127 = 31.75 → 32.
    const { values, scale } = quantizeSymmetricInt8(Float32Array.of(1, -0.5, 0.25, 0), [4], null);
    expect(scale).toEqual([Math.fround(1 / 127)]);
    expect(Array.from(values)).toEqual([127, -64, 32, 0]);
  });

  test('per channel along an inner axis', () => {
    // Shape [2, 2], axis 1: channel 0 holds w[0][0], w[1][0]; channel 1 holds w[0][1], w[1][1].
    const { values, scale } = quantizeSymmetricInt8(Float32Array.of(2, -0.1, -1, 0.1), [2, 2], 1);
    expect(scale).toEqual([Math.fround(2 / 127), Math.fround(0.1 / 127)]);
    expect(Array.from(values)).toEqual([127, -127, -64, 127]);
  });

  test('a range narrower than 1e-6 widens to ±5e-7 (all-zero channels get a tiny scale, not 0)', () => {
    expect(symmetricScale(0)).toBe(1e-6 / 254);
    expect(symmetricScale(4e-7)).toBe(1e-6 / 254);
    expect(symmetricScale(6e-7)).toBe(6e-7 / 127);
    const { values } = quantizeSymmetricInt8(Float32Array.of(0, 0, 1e-7, -5e-7), [2, 2], 0);
    expect(Array.from(values)).toEqual([0, 0, 25, -127]); // 1e-7 · 254e6 = 25.4
  });
});
