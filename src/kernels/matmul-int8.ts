/**
 * TFLite's integer matrix products, bit for bit: FULLY_CONNECTED (reference_integer_ops
 * FullyConnected / FullyConnectedPerChannel) and BATCH_MATMUL (reference_ops::BatchMatMul on
 * int8, as batch_matmul.cc runs it). Both accumulate (weight − weight zero point) ·
 * (input − input zero point) in int32, add the bias (FULLY_CONNECTED), then requantize like the
 * convolutions (conv-int8.ts requantize).
 *
 * FULLY_CONNECTED with int8 input and weights and an int32 bias (or none) accumulates and
 * requantizes on WebAssembly SIMD (conv-int8-wasm.ts), bit for bit the outputs of the loop below
 * and requantize, and so does 16x8 (int16 input, symmetric int8 weights, int64 bias or none, the
 * int64 accumulator). So does int8 BATCH_MATMUL (int8-wasm-matmul.ts: per batch a GEMM of the
 * offset operands, the one multiplier). The loops stay the reference and the path of 16x8 with
 * an int32 bias, BATCH_MATMUL with zero points beyond ±255 or the int64 accumulator,
 * TFLITE_CONVERT_KERNELS=js and hosts without WebAssembly SIMD.
 */
import { broadcastIndex, broadcastShapes } from './broadcast.js';
import { biasValues, offsetInput, requantize, type Requantization } from './affine-int8.js';
import { int8WasmKernels } from './conv-int8-wasm.js';
import { matrixDims } from './matmul.js';
import { makeValue, type NumericArray, type Value } from './value.js';

export interface QuantizedFullyConnectedArgs extends Requantization {
  keepNumDims: boolean;
  inputZeroPoint: number;
  /** Non-zero only for legacy asymmetric per-tensor weights (FullyConnected's weights_offset). */
  weightsZeroPoint: number;
}

/**
 * FULLY_CONNECTED: input of any shape read as rows of `inner` = weights.shape[1] values, weights
 * [units, inner], bias [units] int32 or null. Output [rows, units], or the input's leading dims
 * and units with keep_num_dims. One multiplier (channels of length 1) or one per unit.
 */
export function fullyConnectedInt8(x: Value, weights: Value, bias: Value | null, a: QuantizedFullyConnectedArgs): Value {
  if (weights.shape.length !== 2) throw new RangeError(`FULLY_CONNECTED: weights must be 2-D, got [${weights.shape}]`);
  const [units, inner] = weights.shape as [number, number];
  const rows = x.data.length / inner;
  if (!Number.isInteger(rows)) throw new RangeError(`FULLY_CONNECTED: ${x.data.length} input values are not rows of ${inner}`);
  if (bias !== null && bias.data.length !== units) throw new RangeError(`FULLY_CONNECTED: bias has ${bias.data.length} values for ${units} units`);
  const perUnit = a.channels.multipliers.length !== 1;
  if (perUnit && a.channels.multipliers.length !== units) throw new RangeError(`FULLY_CONNECTED: ${a.channels.multipliers.length} multipliers for ${units} units`);
  const shape = a.keepNumDims ? [...x.shape.slice(0, -1), units] : [rows, units];
  const b = bias === null ? null : bias.data;
  const wide = x.data instanceof Int16Array && weights.data instanceof Int8Array && a.wideAccumulator === true && (b === null || b instanceof BigInt64Array || b instanceof Int32Array) ? int8WasmKernels() : null;
  const done16 = wide === null ? null : wide.fullyConnected16(x.data as Int16Array, rows, weights.data as Int8Array, units, inner, b as BigInt64Array | Int32Array | null, a.inputZeroPoint, a.weightsZeroPoint, a);
  if (done16 !== null) return makeValue(x.dtype, shape, done16);
  const wasm = x.data instanceof Int8Array && weights.data instanceof Int8Array && (bias === null || bias.data instanceof Int32Array) && a.wideAccumulator !== true ? int8WasmKernels() : null;
  const done = wasm === null ? null : wasm.fullyConnectedRequantized(x.data as Int8Array, rows, weights.data as Int8Array, units, inner, bias === null ? null : (bias.data as Int32Array), a.inputZeroPoint, a.weightsZeroPoint, a);
  if (done !== null) return makeValue(x.dtype, shape, done);
  const out = makeValue(x.dtype, shape);
  const od = out.data as NumericArray;
  const xs = offsetInput(x, a.inputZeroPoint);
  const wd = a.weightsZeroPoint === 0 ? (weights.data as NumericArray) : offsetInput(weights, a.weightsZeroPoint);
  const bd = biasValues(bias);
  for (let r = 0; r < rows; r++) {
    const xBase = r * inner;
    for (let u = 0; u < units; u++) {
      const wBase = u * inner;
      let acc = 0;
      for (let k = 0; k < inner; k++) acc += wd[wBase + k]! * xs[xBase + k]!;
      if (bd !== null) acc += bd[u]!;
      od[r * units + u] = requantize(acc, perUnit ? u : 0, a);
    }
  }
  return out;
}

export interface QuantizedBatchMatMulArgs extends Requantization {
  adjX: boolean;
  adjY: boolean;
  lhsZeroPoint: number;
  rhsZeroPoint: number;
}

/**
 * BATCH_MATMUL: lhs [..., M, K] (adj_x: [..., K, M]) times rhs [..., K, N] (adj_y: [..., N, K]),
 * batch dims broadcast; output [...batch, M, N] with one multiplier. The kernel has no fused
 * activation: the range is the dtype's.
 */
export function batchMatMulInt8(lhs: Value, rhs: Value, a: QuantizedBatchMatMulArgs): Value {
  const [m, k] = matrixDims(lhs.shape, a.adjX);
  const [k2, n] = matrixDims(rhs.shape, a.adjY);
  if (k !== k2) throw new RangeError(`BATCH_MATMUL: inner dimensions ${k} and ${k2} differ`);
  const lhsBatch = lhs.shape.slice(0, -2);
  const rhsBatch = rhs.shape.slice(0, -2);
  const batch = broadcastShapes(lhsBatch, rhsBatch);
  if (batch === null) throw new RangeError(`BATCH_MATMUL: batch dims [${lhsBatch}] and [${rhsBatch}] do not broadcast`);
  const wasm = lhs.data instanceof Int8Array && rhs.data instanceof Int8Array && a.wideAccumulator !== true ? int8WasmKernels() : null;
  const done = wasm === null ? null : wasm.batchMatMulRequantized(lhs, rhs, a);
  if (done !== null) return makeValue(lhs.dtype, done.shape, done.data);
  const li = broadcastIndex(lhsBatch, batch);
  const ri = broadcastIndex(rhsBatch, batch);
  const out = makeValue(lhs.dtype, [...batch, m, n]);
  const ls = offsetInput(lhs, a.lhsZeroPoint);
  const rs = offsetInput(rhs, a.rhsZeroPoint);
  const od = out.data as NumericArray;
  // Element strides of the logical [M, K] and [K, N] matrices in memory.
  const [lRow, lCol] = a.adjX ? [1, m] : [k, 1];
  const [rRow, rCol] = a.adjY ? [1, k] : [n, 1];
  for (let b = 0; b < li.length; b++) {
    const lBase = li[b]! * m * k;
    const rBase = ri[b]! * k * n;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let acc = 0;
        let l = lBase + i * lRow;
        let r = rBase + j * rCol;
        for (let t = 0; t < k; t++, l += lCol, r += rRow) acc += ls[l]! * rs[r]!;
        od[(b * m + i) * n + j] = requantize(acc, 0, a);
      }
    }
  }
  return out;
}
