/**
 * The fast float32 kernels (im2col + GEMM convolutions, direct depthwise, GEMM matmuls) against
 * the reference kernels, which stay the readable definition: odd sizes on every dimension,
 * strides, dilations, both paddings, groups, depth multipliers, fused activations, broadcast
 * batches and adjoints. Sums may be added in another order (and, for a SIMD GEMM, in float32),
 * so each element may differ by the rounding of its own sum: at most (K+2)·2⁻²³ times the sum of the
 * magnitudes of its products (the reference kernel run on |x|, |w|, |b| gives that sum).
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ActivationFunctionType } from '../../generated/tflite/activation-function-type.js';
import { Padding } from '../../generated/tflite/padding.js';
import { conv2d, depthwiseConv2d, type ConvParams } from '../../src/kernels/conv.js';
import { conv2dFast, depthwiseConv2dFast } from '../../src/kernels/conv-fast.js';
import { currentGemm, gemmNTScalar, useGemm, type GemmNT } from '../../src/kernels/gemm.js';
import { createWasmGemm } from '../../src/kernels/gemm-wasm.js';
import { batchMatMul, batchMatMulFast, fullyConnected, fullyConnectedFast } from '../../src/kernels/matmul.js';
import type { Value } from '../../src/kernels/value.js';
import { abs, int, rng, value } from '../helpers/kernel-cases.js';


/** Every element of `fast` within (k+2)·2⁻²³·bound of `ref` (see the file comment). */
function expectClose(fast: Value, ref: Value, bound: Value, k: number, where: string): void {
  expect(fast.shape, where).toEqual(ref.shape);
  const f = fast.data as Float32Array;
  const e = ref.data as Float32Array;
  const m = bound.data as Float32Array;
  for (let i = 0; i < e.length; i++) {
    const tolerance = (k + 2) * 2 ** -23 * Math.abs(m[i]!) + 1e-30;
    if (!(Math.abs(f[i]! - e[i]!) <= tolerance)) throw new Error(`${where}: element ${i} is ${f[i]}, reference ${e[i]} (tolerance ${tolerance})`);
  }
}

// The clamps are fused into the WebAssembly kernels; TANH takes the separate pass after them.
const ACTIVATIONS = [ActivationFunctionType.NONE, ActivationFunctionType.RELU, ActivationFunctionType.RELU6, ActivationFunctionType.RELU_N1_TO_1, ActivationFunctionType.TANH];

function convParams(r: () => number): ConvParams {
  return {
    padding: r() < 0.5 ? Padding.SAME : Padding.VALID,
    h: { stride: int(r, 1, 3), dilation: int(r, 1, 2) },
    w: { stride: int(r, 1, 3), dilation: int(r, 1, 2) },
    activation: ACTIVATIONS[int(r, 0, ACTIVATIONS.length - 1)]!,
  };
}

/** The bound is the un-activated sum of magnitudes, so the activation must not change it. */
const noActivation = <P extends ConvParams>(p: P): P => ({ ...p, activation: ActivationFunctionType.NONE });

/** Runs the suite once per GEMM implementation given (the WASM one joins when it is built). */
function describeFastKernels(name: string, gemm: GemmNT): void {
  describe(`fast kernels vs reference (${name})`, () => {
    beforeAll(() => useGemm(gemm));
    afterAll(() => useGemm(defaultGemm));
    test.each(Array.from({ length: 120 }, (_, i) => i))('CONV_2D case %i', (seed) => {
      const r = rng(seed + 1);
      const groups = r() < 0.25 ? int(r, 2, 3) : 1;
      const ci = int(r, 1, 7);
      const x = value(r, [int(r, 1, 2), int(r, 1, 11), int(r, 1, 11), ci * groups]);
      const f = value(r, [groups * int(r, 1, 9), int(r, 1, 4), int(r, 1, 4), ci]);
      const b = r() < 0.7 ? value(r, [f.shape[0]!]) : null;
      const p = convParams(r);
      const ref = conv2d(x, f, b, p);
      const bound = conv2d(abs(x)!, abs(f)!, abs(b), noActivation(p));
      expectClose(conv2dFast(x, f, b, p), ref, bound, f.shape[1]! * f.shape[2]! * ci, `case ${seed} x [${x.shape}] f [${f.shape}] ${JSON.stringify(p)}`);
    });

    test('CONV_2D 1×1 stride 1 (the GEMM over the input itself), grouped and not', () => {
      const r = rng(99);
      for (const [c, ci, o] of [[13, 13, 9], [12, 4, 6], [3, 3, 17]] as const) {
        const x = value(r, [2, 5, 7, c]);
        const f = value(r, [o, 1, 1, ci]);
        const b = value(r, [o]);
        const p: ConvParams = { padding: Padding.SAME, h: { stride: 1, dilation: 1 }, w: { stride: 1, dilation: 1 }, activation: ActivationFunctionType.NONE };
        expectClose(conv2dFast(x, f, b, p), conv2d(x, f, b, p), conv2d(abs(x)!, abs(f)!, abs(b), p), ci, `c ${c} ci ${ci} o ${o}`);
      }
    });

    // The WebAssembly GEMM gathers patches in blocks of about 32 Ki floats (32768 / k rows): these
    // inputs span several blocks, whose edges fall mid-row, mid-image and across the batch.
    test.each([
      [[2, 23, 31, 5], [7, 3, 3, 5], 1, 1, 1, Padding.SAME],
      [[2, 80, 33, 6], [8, 3, 2, 3], 2, 1, 1, Padding.VALID],
      [[1, 57, 45, 2], [4, 5, 5, 2], 1, 2, 2, Padding.SAME],
    ] as const)('CONV_2D over several patch blocks: x %j f %j stride %i dilation %i/%i %i', (xShape, fShape, stride, dh, dw, padding) => {
      const r = rng(xShape[1] * 7 + fShape[0]);
      const x = value(r, [...xShape]);
      const f = value(r, [...fShape]);
      const b = value(r, [fShape[0]]);
      const p: ConvParams = { padding, h: { stride, dilation: dh }, w: { stride: 1, dilation: dw }, activation: ActivationFunctionType.RELU6 };
      const bound = conv2d(abs(x)!, abs(f)!, abs(b), noActivation(p));
      expectClose(conv2dFast(x, f, b, p), conv2d(x, f, b, p), bound, fShape[1] * fShape[2] * fShape[3], `x [${xShape}] f [${fShape}]`);
    });

    test.each(Array.from({ length: 80 }, (_, i) => i))('DEPTHWISE_CONV_2D case %i', (seed) => {
      const r = rng(seed + 1000);
      const c = int(r, 1, 9);
      const mult = r() < 0.3 ? int(r, 2, 3) : 1;
      const x = value(r, [int(r, 1, 2), int(r, 1, 11), int(r, 1, 11), c]);
      const f = value(r, [1, int(r, 1, 5), int(r, 1, 5), c * mult]);
      const b = r() < 0.7 ? value(r, [c * mult]) : null;
      const p = { ...convParams(r), multiplier: r() < 0.5 ? mult : 0 };
      const ref = depthwiseConv2d(x, f, b, p);
      const bound = depthwiseConv2d(abs(x)!, abs(f)!, abs(b), noActivation(p));
      expectClose(depthwiseConv2dFast(x, f, b, p), ref, bound, f.shape[1]! * f.shape[2]!, `case ${seed} x [${x.shape}] f [${f.shape}]`);
    });

    test.each(Array.from({ length: 40 }, (_, i) => i))('FULLY_CONNECTED case %i', (seed) => {
      const r = rng(seed + 2000);
      const inner = int(r, 1, 37);
      const lead = r() < 0.5 ? [int(r, 1, 9)] : [int(r, 1, 3), int(r, 1, 5)];
      const x = value(r, [...lead, inner]);
      const w = value(r, [int(r, 1, 13), inner]);
      const b = r() < 0.6 ? value(r, [w.shape[0]!]) : null;
      const p = { keepNumDims: r() < 0.5, activation: ACTIVATIONS[int(r, 0, ACTIVATIONS.length - 1)]! };
      const bound = fullyConnected(abs(x)!, abs(w)!, abs(b), { ...p, activation: ActivationFunctionType.NONE });
      expectClose(fullyConnectedFast(x, w, b, p), fullyConnected(x, w, b, p), bound, inner, `case ${seed} x [${x.shape}] w [${w.shape}]`);
    });

    test.each(Array.from({ length: 40 }, (_, i) => i))('BATCH_MATMUL case %i', (seed) => {
      const r = rng(seed + 3000);
      const [m, k, n] = [int(r, 1, 9), int(r, 1, 17), int(r, 1, 11)];
      const [adjX, adjY] = [r() < 0.5, r() < 0.5];
      const batchX = r() < 0.5 ? [int(r, 1, 3)] : [int(r, 1, 2), 1];
      const batchY = r() < 0.5 ? batchX.map((d) => (r() < 0.5 ? 1 : d)) : [];
      const x = value(r, [...batchX, ...(adjX ? [k, m] : [m, k])]);
      const y = value(r, [...batchY, ...(adjY ? [n, k] : [k, n])]);
      const bound = batchMatMul(abs(x)!, abs(y)!, adjX, adjY);
      expectClose(batchMatMulFast(x, y, adjX, adjY), batchMatMul(x, y, adjX, adjY), bound, k, `case ${seed} x [${x.shape}] y [${y.shape}] ${adjX} ${adjY}`);
    });
  });
}

// Whatever gemm.ts selected at load (WebAssembly where available), restored after each suite.
const defaultGemm = currentGemm();

describeFastKernels('plain JS GEMM', gemmNTScalar);
const wasmGemm = createWasmGemm();
test('Node has WebAssembly SIMD, so the WebAssembly GEMM is built and selected by default', () => {
  expect(wasmGemm).not.toBeNull();
  if (process.env.TFLITE_CONVERT_KERNELS !== 'js') expect(defaultGemm).not.toBe(gemmNTScalar);
});
if (wasmGemm !== null) describeFastKernels('WebAssembly SIMD GEMM', wasmGemm);
// A packed-B store of 600 floats holds a few of these filters at a time: the random cases keep
// refilling it, and each call must still read its own weights.
const smallStoreGemm = createWasmGemm(600);
if (smallStoreGemm !== null) describeFastKernels('WebAssembly SIMD GEMM, small resident store', smallStoreGemm);

test('the WebAssembly GEMM reads the right weights after its resident store is refilled', () => {
  const gemm = createWasmGemm(600);
  expect(gemm).not.toBeNull();
  const r = rng(4242);
  const [m, n, k] = [5, 16, 30]; // 30 × 16 = 480 floats packed: two never fit in 600
  const a = value(r, [m, k]).data as Float32Array;
  const weights = [value(r, [n, k]).data as Float32Array, value(r, [n, k]).data as Float32Array];
  const run = (impl: GemmNT, b: Float32Array) => {
    const c = new Float32Array(m * n);
    impl(m, n, k, { data: a, offset: 0, stride: k }, { data: b, offset: 0, stride: k }, { data: c, offset: 0, stride: n }, null);
    return c;
  };
  for (const b of [weights[0]!, weights[1]!, weights[0]!, weights[1]!]) {
    const got = run(gemm!, b);
    const want = run(gemmNTScalar, b);
    for (let i = 0; i < want.length; i++) expect(Math.abs(got[i]! - want[i]!)).toBeLessThanOrEqual(1e-5);
  }
});

test('non-float32 values fall back to the reference kernels', () => {
  const x: Value = { dtype: 'float64', shape: [1, 3, 3, 2], data: Float64Array.from({ length: 18 }, (_, i) => i / 7) };
  const f: Value = { dtype: 'float64', shape: [2, 2, 2, 2], data: Float64Array.from({ length: 16 }, (_, i) => (i - 8) / 5) };
  const p: ConvParams = { padding: Padding.VALID, h: { stride: 1, dilation: 1 }, w: { stride: 1, dilation: 1 }, activation: ActivationFunctionType.NONE };
  expect(conv2dFast(x, f, null, p)).toEqual(conv2d(x, f, null, p));
});
