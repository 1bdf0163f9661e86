/**
 * FULLY_CONNECTED and BATCH_MATMUL: the reference kernels (a plain triple loop, sums in doubles,
 * written after tensorflow/lite/kernels/internal/reference/{fully_connected,batch_matmul}.h) and
 * the fast float32 ones that run the same products through gemm.ts. The reference stays the
 * readable definition and the path of every other dtype; test/unit/kernels-fast.test.ts compares
 * the two.
 */
import type { ActivationFunctionType } from '../../generated/tflite/activation-function-type.js';
import { activationClamp, applyActivation, applyActivationF32 } from './activation.js';
import { broadcastIndex, broadcastShapes } from './broadcast.js';
import { gemmNT } from './gemm.js';
import { makeValue, type NumericArray, type Value } from './value.js';

/** x [..., inner] (or any shape holding rows × inner values), weights [units, inner], bias [units] or null. */
export interface FullyConnectedParams {
  keepNumDims: boolean;
  activation: ActivationFunctionType;
}

function fullyConnectedShape(x: Value, w: Value, keepNumDims: boolean): { rows: number; units: number; inner: number; shape: number[] } {
  const [units, inner] = w.shape as [number, number];
  const rows = x.data.length / inner;
  return { rows, units, inner, shape: keepNumDims ? [...x.shape.slice(0, -1), units] : [rows, units] };
}

export function fullyConnected(x: Value, w: Value, b: Value | null, p: FullyConnectedParams): Value {
  const { rows, units, inner, shape } = fullyConnectedShape(x, w, p.keepNumDims);
  const out = makeValue(x.dtype, shape);
  const xd = x.data as NumericArray;
  const wd = w.data as NumericArray;
  const bd = b?.data as NumericArray | undefined;
  const od = out.data as NumericArray;
  for (let m = 0; m < rows; m++) {
    for (let n = 0; n < units; n++) {
      let sum = bd ? bd[n]! : 0;
      for (let k = 0; k < inner; k++) sum += xd[m * inner + k]! * wd[n * inner + k]!;
      od[m * units + n] = sum;
    }
  }
  applyActivation(od, p.activation);
  return out;
}

export function fullyConnectedFast(x: Value, w: Value, b: Value | null, p: FullyConnectedParams): Value {
  const f32 = x.dtype === 'float32' && x.data instanceof Float32Array && w.data instanceof Float32Array && (b === null || b.data instanceof Float32Array);
  if (!f32) return fullyConnected(x, w, b, p);
  const { rows, units, inner, shape } = fullyConnectedShape(x, w, p.keepNumDims);
  const out = makeValue('float32', shape);
  const od = out.data as Float32Array;
  const a = { data: x.data as Float32Array, offset: 0, stride: inner };
  const clamp = activationClamp(p.activation);
  gemmNT(rows, units, inner, a, { data: w.data as Float32Array, offset: 0, stride: inner }, { data: od, offset: 0, stride: units }, (b?.data as Float32Array | undefined) ?? null, clamp);
  if (clamp === null) applyActivationF32(od, p.activation); // TANH, SIGN_BIT (NONE does nothing)
  return out;
}

/** (rows, cols) of the matrix in the last two dims, after an optional transpose. */
export function matrixDims(shape: readonly number[], adjoint: boolean): [number, number] {
  const r = shape[shape.length - 2] ?? 1;
  const c = shape[shape.length - 1] ?? 1;
  return adjoint ? [c, r] : [r, c];
}

interface BatchLayout {
  m: number;
  k: number;
  n: number;
  batch: number[];
  xi: Int32Array;
  yi: Int32Array;
}

function batchLayout(x: Value, y: Value, adjX: boolean, adjY: boolean): BatchLayout {
  const [m, k] = matrixDims(x.shape, adjX);
  const [, n] = matrixDims(y.shape, adjY);
  const xBatch = x.shape.slice(0, -2);
  const yBatch = y.shape.slice(0, -2);
  const batch = broadcastShapes(xBatch, yBatch)!;
  return { m, k, n, batch, xi: broadcastIndex(xBatch, batch), yi: broadcastIndex(yBatch, batch) };
}

export function batchMatMul(x: Value, y: Value, adjX: boolean, adjY: boolean): Value {
  const { m, k, n, batch, xi, yi } = batchLayout(x, y, adjX, adjY);
  const out = makeValue(x.dtype, [...batch, m, n]);
  const xd = x.data as NumericArray;
  const yd = y.data as NumericArray;
  const od = out.data as NumericArray;
  const xAt = (base: number, r: number, c: number) => xd[base + (adjX ? c * m + r : r * k + c)]!;
  const yAt = (base: number, r: number, c: number) => yd[base + (adjY ? c * k + r : r * n + c)]!;
  for (let b = 0; b < xi.length; b++) {
    const xBase = xi[b]! * m * k;
    const yBase = yi[b]! * k * n;
    for (let r = 0; r < m; r++) {
      for (let c = 0; c < n; c++) {
        let sum = 0;
        for (let j = 0; j < k; j++) sum += xAt(xBase, r, j) * yAt(yBase, j, c);
        od[(b * m + r) * n + c] = sum;
      }
    }
  }
  return out;
}

/** rows × cols starting at `from`, transposed into `to` (cols × rows). */
function transposeInto(from: Float32Array, offset: number, rows: number, cols: number, to: Float32Array): void {
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) to[c * rows + r] = from[offset + r * cols + c]!;
}

export function batchMatMulFast(x: Value, y: Value, adjX: boolean, adjY: boolean): Value {
  if (x.dtype !== 'float32' || !(x.data instanceof Float32Array) || !(y.data instanceof Float32Array)) return batchMatMul(x, y, adjX, adjY);
  const { m, k, n, batch, xi, yi } = batchLayout(x, y, adjX, adjY);
  const out = makeValue('float32', [...batch, m, n]);
  const xd = x.data;
  const yd = y.data;
  // gemmNT wants x as [m, k] and y as [n, k]: an adjoint x and a plain y are transposed first
  // (once per distinct batch matrix; broadcasting reuses them). Each transposed y gets its own
  // array: gemmNT may cache B by array (see GemmNT), so a reused scratch would go stale.
  let xT: Float32Array | null = null;
  let yT: Float32Array | null = null;
  let lastX = -1;
  let lastY = -1;
  for (let b = 0; b < xi.length; b++) {
    const xOffset = xi[b]! * m * k;
    const yOffset = yi[b]! * k * n;
    if (adjX && xi[b] !== lastX) transposeInto(xd, xOffset, k, m, (xT = new Float32Array(m * k)));
    if (!adjY && yi[b] !== lastY) transposeInto(yd, yOffset, k, n, (yT = new Float32Array(k * n)));
    lastX = xi[b]!;
    lastY = yi[b]!;
    const a = xT === null ? { data: xd, offset: xOffset, stride: k } : { data: xT, offset: 0, stride: k };
    const bView = yT === null ? { data: yd, offset: yOffset, stride: k } : { data: yT, offset: 0, stride: k };
    gemmNT(m, n, k, a, bView, { data: out.data as Float32Array, offset: b * m * n, stride: n }, null);
  }
  return out;
}
