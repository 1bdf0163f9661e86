/**
 * The WebAssembly SIMD DEPTHWISE_CONV_2D (src/kernels/depthwise-wasm.ts) and the plain JS one
 * against the reference kernel (src/kernels/conv.ts depthwiseConv2d): randomized odd shapes,
 * channel counts that exercise the kernel's 16-wide, 4-wide and single-float channel loops,
 * strides 1-2, dilations 1-2, both paddings, multipliers 1-3, windows larger than the input. The
 * WASM kernel sums in float32, so each element may differ by the rounding of its sum: at most
 * (K+2)·2⁻²³ times the sum of the magnitudes of its products and bias (K = KH·KW taps; the
 * reference run on |x|, |w|, |b| gives that sum).
 */
import { afterAll, describe, expect, test } from 'vitest';
import { ActivationFunctionType } from '../../generated/tflite/activation-function-type.js';
import { Padding } from '../../generated/tflite/padding.js';
import { depthwiseConv2d, type ConvParams } from '../../src/kernels/conv.js';
import { currentDepthwise, depthwiseConv2dFast, depthwiseF32Js, useDepthwise } from '../../src/kernels/conv-fast.js';
import { createWasmDepthwise, type DepthwiseF32 } from '../../src/kernels/depthwise-wasm.js';
import type { Value } from '../../src/kernels/value.js';
import { abs, int, rng, value } from '../helpers/kernel-cases.js';


type DepthwiseParams = ConvParams & { multiplier: number };

// RELU-like clamps are fused into the kernel; TANH is applied after it.
const ACTIVATIONS = [ActivationFunctionType.NONE, ActivationFunctionType.RELU, ActivationFunctionType.RELU6, ActivationFunctionType.RELU_N1_TO_1, ActivationFunctionType.TANH];

/** Runs the selected kernel on one case and checks it against the reference. */
function check(x: Value, f: Value, b: Value | null, p: DepthwiseParams, where: string): void {
  const ref = depthwiseConv2d(x, f, b, p);
  const bound = depthwiseConv2d(abs(x)!, abs(f)!, abs(b), { ...p, activation: ActivationFunctionType.NONE });
  const got = depthwiseConv2dFast(x, f, b, p);
  expect(got.shape, where).toEqual(ref.shape);
  const k = f.shape[1]! * f.shape[2]!;
  const g = got.data as Float32Array;
  const e = ref.data as Float32Array;
  const m = bound.data as Float32Array;
  for (let i = 0; i < e.length; i++) {
    const tolerance = (k + 2) * 2 ** -23 * Math.abs(m[i]!) + 1e-30;
    if (!(Math.abs(g[i]! - e[i]!) <= tolerance)) throw new Error(`${where}: element ${i} is ${g[i]}, reference ${e[i]} (tolerance ${tolerance})`);
  }
}

function randomCase(seed: number): [Value, Value, Value | null, DepthwiseParams] {
  const r = rng(seed + 5000);
  // 1-9 channels hit the scalar and 4-wide loops; 16-41 add the 16-wide one and every tail.
  const c = r() < 0.5 ? int(r, 1, 9) : int(r, 16, 41);
  const mult = int(r, 1, 3);
  const x = value(r, [int(r, 1, 2), int(r, 1, 13), int(r, 1, 13), c]);
  const f = value(r, [1, int(r, 1, 5), int(r, 1, 5), c * mult]);
  const b = r() < 0.7 ? value(r, [c * mult]) : null;
  const p: DepthwiseParams = {
    padding: r() < 0.5 ? Padding.SAME : Padding.VALID,
    h: { stride: int(r, 1, 2), dilation: int(r, 1, 2) },
    w: { stride: int(r, 1, 2), dilation: int(r, 1, 2) },
    activation: ACTIVATIONS[int(r, 0, ACTIVATIONS.length - 1)]!,
    multiplier: r() < 0.5 ? mult : 0,
  };
  return [x, f, b, p];
}

const defaultDepthwise = currentDepthwise();
const wasmDepthwise = createWasmDepthwise();

test('Node has WebAssembly SIMD, so the WebAssembly depthwise kernel is built and selected by default', () => {
  expect(wasmDepthwise).not.toBeNull();
  if (process.env.TFLITE_CONVERT_KERNELS === 'js') expect(defaultDepthwise).toBe(depthwiseF32Js);
  else expect(defaultDepthwise).not.toBe(depthwiseF32Js);
});

function describeDepthwise(name: string, kernel: DepthwiseF32): void {
  describe(`DEPTHWISE_CONV_2D ${name} vs reference`, () => {
    afterAll(() => useDepthwise(defaultDepthwise));

    test.each(Array.from({ length: 160 }, (_, i) => i))('random case %i', (seed) => {
      useDepthwise(kernel);
      const [x, f, b, p] = randomCase(seed);
      check(x, f, b, p, `case ${seed} x [${x.shape}] f [${f.shape}] ${JSON.stringify(p)}`);
    });

    test('MobileNet-like layers: 3×3, multiplier 1, stride 1 and 2, SAME, wide channels', () => {
      useDepthwise(kernel);
      const r = rng(7);
      for (const [hw, c, stride] of [[15, 48, 1], [15, 67, 2], [8, 134, 1], [9, 19, 2]] as const) {
        const x = value(r, [1, hw, hw, c]);
        const f = value(r, [1, 3, 3, c]);
        const b = value(r, [c]);
        const axis = { stride, dilation: 1 };
        check(x, f, b, { padding: Padding.SAME, h: axis, w: axis, activation: ActivationFunctionType.RELU6, multiplier: 1 }, `hw ${hw} c ${c} stride ${stride}`);
      }
    });

    test('windows larger than the input: SAME pads all around, VALID gives an empty output', () => {
      useDepthwise(kernel);
      const r = rng(11);
      const x = value(r, [1, 2, 3, 21]);
      const f = value(r, [1, 5, 5, 21]);
      const b = value(r, [21]);
      const axis = { stride: 1, dilation: 2 };
      check(x, f, b, { padding: Padding.SAME, h: axis, w: axis, activation: ActivationFunctionType.NONE, multiplier: 1 }, 'SAME');
      check(x, f, b, { padding: Padding.VALID, h: axis, w: axis, activation: ActivationFunctionType.NONE, multiplier: 1 }, 'VALID');
    });
  });
}

if (wasmDepthwise !== null) describeDepthwise('WebAssembly SIMD', wasmDepthwise);
describeDepthwise('plain JS', depthwiseF32Js);
