/**
 * The output ranges the fast convolution kernels measure while storing (Value.range), which
 * calibration trusts instead of scanning the activation: for every GEMM and depthwise
 * implementation (WebAssembly and plain JS), on random shapes whose column counts are and are not
 * multiples of the WebAssembly GEMM's 8-column blocks (its padding columns must not count),
 * grouped convolutions, every clamp activation, and outputs holding a NaN. A range must equal a
 * scan of the output exactly; TANH (applied after the kernel) leaves no range.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { ActivationFunctionType } from '../../generated/tflite/activation-function-type.js';
import { Padding } from '../../generated/tflite/padding.js';
import type { ConvParams } from '../../src/kernels/conv.js';
import { conv2dFast, currentDepthwise, depthwiseConv2dFast, depthwiseF32Js, useDepthwise } from '../../src/kernels/conv-fast.js';
import { createWasmDepthwise } from '../../src/kernels/depthwise-wasm.js';
import { currentGemm, gemmNTScalar, useGemm } from '../../src/kernels/gemm.js';
import { createWasmGemm } from '../../src/kernels/gemm-wasm.js';
import { pool2d } from '../../src/kernels/pool.js';
import type { Value } from '../../src/kernels/value.js';
import { int, rng, value } from '../helpers/kernel-cases.js';

const CLAMPS = [ActivationFunctionType.NONE, ActivationFunctionType.RELU, ActivationFunctionType.RELU6, ActivationFunctionType.RELU_N1_TO_1];

/** min and max by a plain scan, NaN in both if any element is NaN; none for an empty output. */
function scan(v: Value): { min: number; max: number } | undefined {
  const d = v.data as Float32Array;
  if (d.length === 0) return undefined;
  if (d.some((x) => Number.isNaN(x))) return { min: NaN, max: NaN };
  let min = Infinity;
  let max = -Infinity;
  for (const x of d) {
    min = Math.min(min, x);
    max = Math.max(max, x);
  }
  return { min, max };
}

function params(r: () => number, activation: ActivationFunctionType): ConvParams {
  return {
    padding: r() < 0.5 ? Padding.SAME : Padding.VALID,
    h: { stride: int(r, 1, 2), dilation: int(r, 1, 2) },
    w: { stride: int(r, 1, 2), dilation: int(r, 1, 2) },
    activation,
  };
}

/**
 * A bias, often shifted far above zero so the whole output is positive: then a zero the kernel
 * counted by mistake (the GEMM's padding columns) would show as the minimum.
 */
function bias(r: () => number, n: number): Value | null {
  if (r() < 0.3) return null;
  const b = value(r, [n]);
  if (r() < 0.5) return b;
  return { ...b, data: (b.data as Float32Array).map((v) => v + 1000) };
}

/** Scales x (e.g. by a large value, to make the output leave the clamps) or plants a NaN. */
function perturb(r: () => number, x: Value): Value {
  const data = (x.data as Float32Array).map((v) => v * 8);
  if (r() < 0.2 && data.length > 0) data[int(r, 0, data.length - 1)] = NaN;
  return { ...x, data };
}

const wasmGemm = createWasmGemm();
const wasmDepthwise = createWasmDepthwise();
const defaultGemm = currentGemm();
const defaultDepthwise = currentDepthwise();
afterAll(() => {
  useGemm(defaultGemm);
  useDepthwise(defaultDepthwise);
});

const IMPLEMENTATIONS = [
  ['WebAssembly', wasmGemm, wasmDepthwise],
  ['plain JS', gemmNTScalar, depthwiseF32Js],
] as const;

for (const [name, gemm, depthwise] of IMPLEMENTATIONS) {
  describe(`measured output ranges (${name})`, () => {
    test('the WebAssembly kernels exist here', () => {
      expect(gemm).not.toBeNull();
      expect(depthwise).not.toBeNull();
    });

    test.each(Array.from({ length: 60 }, (_, i) => i))('CONV_2D case %i', (seed) => {
      useGemm(gemm!);
      const r = rng(seed + 500);
      const groups = r() < 0.25 ? 2 : 1;
      const ci = int(r, 1, 6);
      // 1×1 stride-1 filters half the time: the GEMM runs on the input itself, without im2col.
      const pointwise = r() < 0.5;
      const x = perturb(r, value(r, [1, int(r, 1, 9), int(r, 1, 9), ci * groups]));
      const f = value(r, [groups * int(r, 1, 19), pointwise ? 1 : int(r, 1, 3), pointwise ? 1 : int(r, 1, 3), ci]);
      const b = bias(r, f.shape[0]!);
      const p = pointwise ? { ...params(r, CLAMPS[int(r, 0, 3)]!), h: { stride: 1, dilation: 1 }, w: { stride: 1, dilation: 1 } } : params(r, CLAMPS[int(r, 0, 3)]!);
      const out = conv2dFast(x, f, b, p);
      expect(out.range, `x [${x.shape}] f [${f.shape}]`).toEqual(scan(out));
    });

    test.each(Array.from({ length: 60 }, (_, i) => i))('DEPTHWISE_CONV_2D case %i', (seed) => {
      useDepthwise(depthwise!);
      const r = rng(seed + 900);
      const c = int(r, 1, 37);
      const m = r() < 0.2 ? 2 : 1;
      const x = perturb(r, value(r, [1, int(r, 1, 9), int(r, 1, 9), c]));
      const f = value(r, [1, int(r, 1, 3), int(r, 1, 3), c * m]);
      const b = bias(r, c * m);
      const out = depthwiseConv2dFast(x, f, b, { ...params(r, CLAMPS[int(r, 0, 3)]!), multiplier: m });
      expect(out.range, `x [${x.shape}] f [${f.shape}]`).toEqual(scan(out));
    });

    test('TANH runs after the kernel: no range is recorded', () => {
      useGemm(gemm!);
      useDepthwise(depthwise!);
      const r = rng(1);
      const x = value(r, [1, 4, 4, 3]);
      const p = { ...params(r, ActivationFunctionType.TANH), multiplier: 1 };
      expect(conv2dFast(x, value(r, [5, 3, 3, 3]), null, p).range).toBeUndefined();
      expect(depthwiseConv2dFast(x, value(r, [1, 3, 3, 3]), null, p).range).toBeUndefined();
    });
  });
}

describe('MAX_POOL_2D on float32 (its own loop) measures its range and equals the generic window walk', () => {
  test.each(Array.from({ length: 40 }, (_, i) => i))('case %i', (seed) => {
    const r = rng(seed + 1300);
    const x = perturb(r, value(r, [int(r, 1, 2), int(r, 1, 9), int(r, 1, 9), int(r, 1, 9)]));
    const p = {
      padding: r() < 0.5 ? Padding.SAME : Padding.VALID,
      filterH: int(r, 1, 3),
      filterW: int(r, 1, 3),
      strideH: int(r, 1, 3),
      strideW: int(r, 1, 3),
      activation: CLAMPS[int(r, 0, 3)]!,
    };
    const out = pool2d('max', x, p);
    // The same values held in a Float64Array take the generic walk (poolWindows).
    const generic = pool2d('max', { ...x, dtype: 'float64', data: Float64Array.from(x.data as Float32Array) }, p);
    expect(Array.from(out.data as Float32Array), `x [${x.shape}] ${JSON.stringify(p)}`).toEqual(Array.from(generic.data as Float64Array));
    expect(out.range).toEqual(scan(out));
  });
});

describe('WebAssembly GEMM with a long reduction (columns in several L2-sized blocks)', () => {
  // The kernel splits columns into blocks of max(8, 32768 / k rounded down to 8) for cache reuse:
  // k = 2000 gives 16-column blocks, so n = 37 spans three blocks, the last one partial.
  test.each([
    [5, 37, 2000],
    [9, 16, 4100],
    [4, 61, 700],
  ])('m %i, n %i, k %i: the plain JS GEMM within float32 rounding of each sum, and the exact range', (m, n, k) => {
    const r = rng(m * n + k);
    const a = value(r, [m, k]).data as Float32Array;
    const b = value(r, [n, k]).data as Float32Array;
    const biasValues = value(r, [n]).data as Float32Array;
    const got = new Float32Array(m * n);
    const want = new Float64Array(m * n);
    const magnitude = new Float64Array(m * n);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let sum = biasValues[j]!;
        let mag = Math.abs(biasValues[j]!);
        for (let p = 0; p < k; p++) {
          sum += a[i * k + p]! * b[j * k + p]!;
          mag += Math.abs(a[i * k + p]! * b[j * k + p]!);
        }
        want[i * n + j] = sum;
        magnitude[i * n + j] = mag;
      }
    }
    const range = { min: Infinity, max: -Infinity };
    wasmGemm!(m, n, k, { data: a, offset: 0, stride: k }, { data: b, offset: 0, stride: k }, { data: got, offset: 0, stride: n }, biasValues, null, range);
    for (let i = 0; i < m * n; i++) {
      const tolerance = (k + 2) * 2 ** -23 * magnitude[i]!;
      if (!(Math.abs(got[i]! - want[i]!) <= tolerance)) throw new Error(`element ${i}: ${got[i]} vs ${want[i]} (tolerance ${tolerance})`);
    }
    expect(range).toEqual(scan({ dtype: 'float32', shape: [m, n], data: got }));
  });
});
