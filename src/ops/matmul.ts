/**
 * Matrix products: FULLY_CONNECTED (weights [out, in], optional bias, fused activation) and
 * BATCH_MATMUL. TF's MatMul becomes FULLY_CONNECTED with its right operand transposed into
 * TFLite's [out, in] layout; the inserted TRANSPOSE folds away when the weights are constant.
 */
import { ActivationFunctionType } from '../../generated/tflite/activation-function-type.js';
import { BatchMatMulOptionsT } from '../../generated/tflite/batch-mat-mul-options.js';
import { BuiltinOperator } from '../../generated/tflite/builtin-operator.js';
import { BuiltinOptions } from '../../generated/tflite/builtin-options.js';
import { FullyConnectedOptionsT } from '../../generated/tflite/fully-connected-options.js';
import type { TflOp, TfOp } from '../ir/op.js';
import type { Shape } from '../ir/tensor.js';
import { applyActivation } from '../kernels/activation.js';
import { broadcastIndex, broadcastShapes } from '../kernels/broadcast.js';
import { makeValue, type NumericArray, type Value } from '../kernels/value.js';
import { GraphError } from '../util/errors.js';
import { inputOf, options, optionsAs, requireDtype, type OpDef, type TfLegalization } from './op-def.js';
import { floatInput, isPerChannel } from './quantize.js';
import type { Rewriter } from './rewriter.js';
import { attrBool } from './tf-attrs.js';
import { emitBiasAndActivation } from './tf-fused.js';

const fullyConnected: OpDef = {
  builtin: BuiltinOperator.FULLY_CONNECTED,
  infer(op) {
    const x = inputOf(op, 0);
    const w = inputOf(op, 1);
    const opts = optionsAs(op, FullyConnectedOptionsT);
    const units = w.shape?.[0] ?? -1;
    let shape: Shape = null;
    if (x.shape !== null) {
      if (opts.keepNumDims) shape = [...x.shape.slice(0, -1), units];
      else {
        const inner = w.shape?.[1] ?? x.shape[x.shape.length - 1] ?? -1;
        const total = x.shape.reduce((n, d) => n * d, 1);
        shape = [total >= 0 && inner > 0 ? total / inner : -1, units];
      }
    }
    return [{ dtype: requireDtype(x), shape }];
  },
  evaluate(op, [x, wStored, b]) {
    const opts = optionsAs(op, FullyConnectedOptionsT);
    const w = floatInput(op, 1, wStored!);
    const [units, inner] = w.shape as [number, number];
    const rows = x!.data.length / inner;
    const outShape = opts.keepNumDims ? [...x!.shape.slice(0, -1), units] : [rows, units];
    const out = makeValue(x!.dtype, outShape);
    const xd = x!.data as NumericArray;
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
    applyActivation(od, opts.fusedActivationFunction);
    return [out];
  },
  version(op) {
    // op_version.cc, in its order: a hybrid op (float input, int8 weights) is version 12 with
    // per-channel weights; keep_num_dims needs 5; hybrid is 9 when it quantizes its inputs
    // asymmetrically (what TF's dynamic-range quantizer sets), 3 otherwise.
    const opts = optionsAs(op, FullyConnectedOptionsT);
    const hybrid = isHybrid(op, 0, 1);
    if (hybrid && isPerChannel(op.inputs[1])) return 12;
    if (op.inputs.length === 2) return 6;
    if (opts.keepNumDims) return 5;
    if (hybrid) return opts.asymmetricQuantizeInputs ? 9 : 3;
    return 1;
  },
};

/** Float activation `x` with int8 weights `w`: TFLite's hybrid (dynamic-range) kernels. */
function isHybrid(op: TflOp, x: number, w: number): boolean {
  return op.inputs[x]?.dtype === 'float32' && op.inputs[w]?.dtype === 'int8' && op.outputs[0]?.dtype === 'float32';
}

const batchMatMul: OpDef = {
  builtin: BuiltinOperator.BATCH_MATMUL,
  infer(op) {
    const x = inputOf(op, 0);
    const y = inputOf(op, 1);
    const opts = optionsAs(op, BatchMatMulOptionsT);
    if (x.shape === null || y.shape === null) return [{ dtype: requireDtype(x), shape: null }];
    const [m] = matrixDims(x.shape, opts.adjX);
    const [, n] = matrixDims(y.shape, opts.adjY);
    const batch = broadcastShapes(x.shape.slice(0, -2), y.shape.slice(0, -2));
    if (batch === null) throw new GraphError(`BATCH_MATMUL "${op.name}": batch dims do not broadcast`);
    return [{ dtype: requireDtype(x), shape: [...batch, m, n] }];
  },
  evaluate(op, [x, y]) {
    const opts = optionsAs(op, BatchMatMulOptionsT);
    return [batchMatMulKernel(x!, floatInput(op, 1, y!), opts.adjX, opts.adjY)];
  },
  version(op) {
    // op_version.cc: int16 inputs 3, int8 2, hybrid with asymmetric input quantization 4.
    const dtype = op.inputs[0]?.dtype;
    if (dtype === 'int16') return 3;
    if (dtype === 'int8') return 2;
    return isHybrid(op, 0, 1) && optionsAs(op, BatchMatMulOptionsT).asymmetricQuantizeInputs ? 4 : 1;
  },
};

/** (rows, cols) of the matrix in the last two dims, after an optional transpose. */
function matrixDims(shape: readonly number[], adjoint: boolean): [number, number] {
  const r = shape[shape.length - 2] ?? 1;
  const c = shape[shape.length - 1] ?? 1;
  return adjoint ? [c, r] : [r, c];
}

function batchMatMulKernel(x: Value, y: Value, adjX: boolean, adjY: boolean): Value {
  const [m, k] = matrixDims(x.shape, adjX);
  const [, n] = matrixDims(y.shape, adjY);
  const xBatch = x.shape.slice(0, -2);
  const yBatch = y.shape.slice(0, -2);
  const batch = broadcastShapes(xBatch, yBatch)!;
  const out = makeValue(x.dtype, [...batch, m, n]);
  const xi = broadcastIndex(xBatch, batch);
  const yi = broadcastIndex(yBatch, batch);
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

export const MATMUL_OPS: OpDef[] = [fullyConnected, batchMatMul];

function transpose2d(rw: Rewriter, t: ReturnType<typeof inputOf>, name: string) {
  return rw.tfl1(BuiltinOperator.TRANSPOSE, [t, rw.int32(`${name}/perm`, [1, 0])], null, name);
}

/** MatMul as FULLY_CONNECTED: weights in TFLite's [out, in] layout, transposes where TF had none. */
function emitMatMul(op: TfOp, rw: Rewriter, name: string) {
  let a = inputOf(op, 0);
  const b = inputOf(op, 1);
  if (attrBool(op, 'transpose_a', false)) a = transpose2d(rw, a, `${op.name}/a_transposed`);
  const weights = attrBool(op, 'transpose_b', false) ? b : transpose2d(rw, b, `${op.name}/weights`);
  const opts = new FullyConnectedOptionsT(ActivationFunctionType.NONE);
  return rw.tfl1(BuiltinOperator.FULLY_CONNECTED, [a, weights, null], options(BuiltinOptions.FullyConnectedOptions, opts), name);
}

export const MATMUL_LEGALIZATIONS: TfLegalization[] = [
  { tfTypes: ['MatMul'], legalize: (op, rw) => [emitMatMul(op, rw, op.name)] },
  {
    // Grappler's MatMul + BiasAdd (+ activation): the plain ops, which the fusion passes rejoin.
    tfTypes: ['_FusedMatMul'],
    legalize: (op, rw) => [emitBiasAndActivation(rw, op, emitMatMul(op, rw, `${op.name}/MatMul`))],
  },
  {
    tfTypes: ['BatchMatMul', 'BatchMatMulV2', 'BatchMatMulV3'],
    legalize(op, rw) {
      const opts = new BatchMatMulOptionsT(attrBool(op, 'adj_x', false), attrBool(op, 'adj_y', false));
      return [
        rw.tfl1(BuiltinOperator.BATCH_MATMUL, [inputOf(op, 0), inputOf(op, 1)], options(BuiltinOptions.BatchMatMulOptions, opts), op.name),
      ];
    },
  },
];
