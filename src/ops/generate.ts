/**
 * Tensor creation, casting, selection and space/depth rearrangement: SHAPE, FILL, RANGE, CAST,
 * ZEROS_LIKE, SELECT, SELECT_V2, SPACE_TO_DEPTH, DEPTH_TO_SPACE, SPACE_TO_BATCH_ND,
 * BATCH_TO_SPACE_ND (kernels in src/kernels/generate.ts, space.ts; resizing is resize.ts's). Each TF spelling becomes the TFLite op, plus CAST / TRANSPOSE / RESHAPE
 * where TFLite's kernel wants another type, layout or rank, so the converted model computes what
 * TF computes; attribute combinations TF itself rejects, or TFLite cannot express, are refused.
 */
import { BatchToSpaceNDOptionsT } from '../../generated/tflite/batch-to-space-ndoptions.js';
import { BuiltinOperator } from '../../generated/tflite/builtin-operator.js';
import { BuiltinOptions } from '../../generated/tflite/builtin-options.js';
import { CastOptionsT } from '../../generated/tflite/cast-options.js';
import { DepthToSpaceOptionsT } from '../../generated/tflite/depth-to-space-options.js';
import { FillOptionsT } from '../../generated/tflite/fill-options.js';
import { RangeOptionsT } from '../../generated/tflite/range-options.js';
import { SelectOptionsT } from '../../generated/tflite/select-options.js';
import { SelectV2OptionsT } from '../../generated/tflite/select-v2options.js';
import { ShapeOptionsT } from '../../generated/tflite/shape-options.js';
import { SpaceToBatchNDOptionsT } from '../../generated/tflite/space-to-batch-ndoptions.js';
import { SpaceToDepthOptionsT } from '../../generated/tflite/space-to-depth-options.js';
import { ZerosLikeOptionsT } from '../../generated/tflite/zeros-like-options.js';
import type { DType } from '../ir/dtype.js';
import type { TflOp, TfOp } from '../ir/op.js';
import type { Shape, Tensor } from '../ir/tensor.js';
import { CAST_DTYPES, castValue, fillValue, rangeLength, rangeValue, selectV2Shape, selectValue, zerosLike } from '../kernels/generate.js';
import {
  batchToSpaceND,
  batchToSpaceShape,
  depthToSpace,
  depthToSpaceShape,
  spaceToBatchND,
  spaceToBatchShape,
  spaceToDepth,
  spaceToDepthShape,
} from '../kernels/space.js';
import { fromNumbers, toNumbers } from '../kernels/value.js';
import { GraphError, UnsupportedError } from '../util/errors.js';
import { inputOf, options, optionsAs, requireDtype, requireKernelDtype, type OpDef, type TfLegalization } from './op-def.js';
import { chain, inNhwc, isNchw } from './pool.js';
import type { Rewriter } from './rewriter.js';
import { asInt32, constInts, movesValues } from './shape.js';
import { attrBool, attrInt, attrType } from './tf-attrs.js';
import { dtypeFromTflite, tfliteTypeOf } from './tflite-schema.js';

const dtypeOf = (op: TflOp, i: number): DType | null => op.inputs[i]?.dtype ?? null;
const rankOf = (op: TflOp, i: number): number => op.inputs[i]?.shape?.length ?? -1;
const unknownDims = (t: Tensor | null | undefined): number[] | null => {
  const n = t?.shape?.[0];
  return n !== undefined && n >= 0 ? new Array<number>(n).fill(-1) : null;
};

function tfliteDtype(type: number, op: TflOp): DType {
  const dtype = dtypeFromTflite(type);
  if (dtype === undefined) throw new GraphError(`${BuiltinOperator[op.builtin]} "${op.name}" names unknown tensor type ${type}`);
  return dtype;
}

const shapeOp: OpDef = {
  builtin: BuiltinOperator.SHAPE,
  infer(op) {
    const x = inputOf(op, 0);
    return [{ dtype: tfliteDtype(optionsAs(op, ShapeOptionsT).outType, op), shape: [x.shape === null ? -1 : x.shape.length] }];
  },
  evaluate: (op, [x]) => [fromNumbers(tfliteDtype(optionsAs(op, ShapeOptionsT).outType, op), [x!.shape.length], x!.shape)],
  // Folds as soon as the input's shape is static (fold-constants), constant or not.
  readsOnlyShapes: true,
};

const fill: OpDef = {
  builtin: BuiltinOperator.FILL,
  infer(op) {
    const dims = inputOf(op, 0);
    return [{ dtype: requireDtype(inputOf(op, 1)), shape: constInts(dims) ?? unknownDims(dims) }];
  },
  evaluate: (_op, [dims, value]) => [fillValue(toNumbers(dims!), value!)],
  version(op) {
    const t = dtypeOf(op, 1);
    return t === 'float16' ? 4 : t === 'int8' || t === 'int16' ? 3 : t === 'bool' || t === 'string' ? 2 : 1;
  },
};

const range: OpDef = {
  builtin: BuiltinOperator.RANGE,
  infer(op) {
    const dtype = requireDtype(inputOf(op, 0));
    const [start, limit, delta] = [0, 1, 2].map((i) => constInts(op.inputs[i])?.[0]);
    const known = start !== undefined && limit !== undefined && delta !== undefined;
    return [{ dtype, shape: [known ? rangeLength(start, limit, delta, dtype !== 'float32') : -1] }];
  },
  evaluate(_op, [start, limit, delta]) {
    const [s, l, d] = [start!, limit!, delta!].map((v) => toNumbers(v)[0]!) as [number, number, number];
    return [rangeValue(start!.dtype, s, l, d)];
  },
  version: (op) => (dtypeOf(op, 0) === 'int64' ? 2 : 1),
};

/** CAST's target: its CastOptions, or, in a .tflite written without them, its output's dtype. */
function castTarget(op: TflOp): DType {
  const opts = op.options?.value;
  if (opts instanceof CastOptionsT) return tfliteDtype(opts.outDataType, op);
  const known = op.outputs[0]?.dtype;
  if (known === null || known === undefined) throw new GraphError(`CAST "${op.name}" has neither CastOptions nor a typed output`);
  return known;
}

const cast: OpDef = {
  builtin: BuiltinOperator.CAST,
  infer: (op) => [{ dtype: castTarget(op), shape: inputOf(op, 0).shape }],
  evaluate: (op, [x]) => [castValue(x!, castTarget(op))],
  version(op) {
    const types = [dtypeOf(op, 0), castTarget(op)];
    const has = (...ts: DType[]) => types.some((t) => t !== null && ts.includes(t));
    if (has('int2', 'uint4')) return 8;
    if (has('bfloat16')) return 7;
    if (types[0] === 'int4' && types[1] === 'float32') return 6;
    if (has('float64', 'float16')) return 5;
    if (has('uint16')) return 4;
    if (has('int8')) return 3;
    return has('uint32') ? 2 : 1;
  },
};

const zerosLikeOp: OpDef = {
  builtin: BuiltinOperator.ZEROS_LIKE,
  infer(op) {
    const x = inputOf(op, 0);
    return [{ dtype: requireDtype(x), shape: x.shape }];
  },
  evaluate: (_op, [x]) => [zerosLike(x!)],
};

const select: OpDef = {
  builtin: BuiltinOperator.SELECT,
  infer(op) {
    const x = inputOf(op, 1);
    return [{ dtype: requireDtype(x), shape: x.shape }];
  },
  evaluate: (_op, [c, x, y]) => [selectValue(c!, x!, y!, false)],
  version(op) {
    if (dtypeOf(op, 0) === 'uint32') return 4;
    if ([0, 1, 2].some((i) => rankOf(op, i) === 5)) return 3;
    return dtypeOf(op, 0) === 'int8' ? 2 : 1;
  },
};

const selectV2: OpDef = {
  builtin: BuiltinOperator.SELECT_V2,
  infer(op) {
    const [c, x, y] = [0, 1, 2].map((i) => inputOf(op, i).shape);
    return [{ dtype: requireDtype(inputOf(op, 1)), shape: c && x && y ? selectV2Shape(c, x, y) : null }];
  },
  evaluate: (_op, [c, x, y]) => [selectValue(c!, x!, y!, true)],
  version: (op) => (dtypeOf(op, 0) === 'uint32' ? 2 : 1),
};

const int8Is2 = (op: TflOp) => (dtypeOf(op, 0) === 'int8' ? 2 : 1);

function blockSizeOf(op: TflOp): number {
  const value = op.options?.value;
  if (value instanceof SpaceToDepthOptionsT || value instanceof DepthToSpaceOptionsT) return value.blockSize;
  throw new GraphError(`${BuiltinOperator[op.builtin]} "${op.name}" lacks its block size options`);
}

function fourD(shape: Shape): number[] {
  return shape === null ? [-1, -1, -1, -1] : shape;
}

function spaceDepthDef(builtin: BuiltinOperator, toDepth: boolean): OpDef {
  const [shapeFn, kernel] = toDepth ? [spaceToDepthShape, spaceToDepth] : [depthToSpaceShape, depthToSpace];
  return {
    builtin,
    infer(op) {
      const x = inputOf(op, 0);
      return [{ dtype: requireDtype(x), shape: shapeFn(fourD(x.shape), blockSizeOf(op)) }];
    },
    evaluate: (op, [x]) => [kernel(x!, blockSizeOf(op))],
    evaluateQuantized: movesValues,
    version: int8Is2,
    quant: { kind: 'sameScale', int8Version: 2 },
  };
}

/** SPACE_TO_BATCH_ND / BATCH_TO_SPACE_ND: versions by type and rank (op_version.cc). */
function spaceBatchVersion(op: TflOp): number {
  if (dtypeOf(op, 0) === 'int16') return 4;
  if (rankOf(op, 0) !== 4) return 3;
  return int8Is2(op);
}

function spaceBatchDef(builtin: BuiltinOperator, toBatch: boolean): OpDef {
  const shapeFn = toBatch ? spaceToBatchShape : batchToSpaceShape;
  return {
    builtin,
    infer(op) {
      const x = inputOf(op, 0);
      const block = constInts(op.inputs[1]);
      const m = block?.length ?? op.inputs[1]?.shape?.[0] ?? -1;
      if (x.shape === null || m < 0) return [{ dtype: requireDtype(x), shape: x.shape?.map(() => -1) ?? null }];
      return [{ dtype: requireDtype(x), shape: shapeFn(x.shape, block, constInts(op.inputs[2]), m) }];
    },
    evaluate(op, [x, block, pads]) {
      if (!toBatch) return [batchToSpaceND(x!, toNumbers(block!), toNumbers(pads!))];
      // Quantized tensors pad with the output's zero point, as the kernel does.
      return [spaceToBatchND(x!, toNumbers(block!), toNumbers(pads!), op.outputs[0]?.quant?.zeroPoint[0] ?? 0)];
    },
    // evaluate already pads a quantized SPACE_TO_BATCH_ND with the zero point; the rest moves.
    evaluateQuantized: movesValues,
    version: spaceBatchVersion,
  };
}

export const GENERATE_OPS: OpDef[] = [
  ...[shapeOp, fill, range, cast, zerosLikeOp, select, selectV2],
  spaceDepthDef(BuiltinOperator.SPACE_TO_DEPTH, true),
  spaceDepthDef(BuiltinOperator.DEPTH_TO_SPACE, false),
  spaceBatchDef(BuiltinOperator.SPACE_TO_BATCH_ND, true),
  spaceBatchDef(BuiltinOperator.BATCH_TO_SPACE_ND, false),
];

// ---------------------------------------------------------------------------------------------
// TF → TFLite

const isStatic = (shape: Shape): shape is number[] => shape !== null && shape.every((d) => d >= 0);

const FILL_TYPES: DType[] = ['float32', 'int32', 'int64', 'bool', 'int8', 'int16', 'float16'];
const SELECT_TYPES: DType[] = ['float32', 'int32', 'int64', 'bool', 'uint8', 'int8', 'int16'];
const MOVE_TYPES: DType[] = ['float32', 'int32', 'int64', 'uint8', 'int8'];

const shapeOptions = (dtype: DType) => options(BuiltinOptions.ShapeOptions, new ShapeOptionsT(tfliteTypeOf(dtype)));

/** Shape → SHAPE, which fold-constants turns into a constant once the input's shape is static. */
function legalizeShape(op: TfOp, rw: Rewriter): Tensor {
  const outType = attrType(op, 'out_type', 'int32');
  if (outType !== 'int32' && outType !== 'int64') throw new UnsupportedError(`Shape "${op.name}": out_type ${outType} is not int32 or int64`);
  return rw.tfl1(BuiltinOperator.SHAPE, [inputOf(op, 0)], shapeOptions(outType), op.name);
}

/** FILL(SHAPE(x), value) for ZerosLike / OnesLike: folds to a constant when x's shape is static. */
function fillLike(op: TfOp, rw: Rewriter, value: number): Tensor {
  const x = inputOf(op, 0);
  const dtype = requireKernelDtype(op, x, 'FILL', FILL_TYPES);
  const dims = rw.tfl1(BuiltinOperator.SHAPE, [x], shapeOptions('int32'), `${op.name}/shape`);
  const scalar = rw.constant(`${op.name}/value`, dtype, [], castValue(fromNumbers('float32', [], [value]), dtype).data);
  return rw.tfl1(BuiltinOperator.FILL, [dims, scalar], options(BuiltinOptions.FillOptions, new FillOptionsT()), op.name);
}

/** Cast: TF's Truncate only changes float → narrower float (mantissa bits zeroed, not rounded). */
function legalizeCast(op: TfOp, rw: Rewriter): Tensor {
  const x = inputOf(op, 0);
  const from = attrType(op, 'SrcT', requireDtype(x));
  const to = attrType(op, 'DstT');
  for (const t of [from, to]) if (!CAST_DTYPES.has(t)) throw new UnsupportedError(`Cast "${op.name}": TFLite's CAST does not take ${t}`);
  const width = (t: DType) => ({ float64: 53, float32: 24, float16: 11, bfloat16: 8 })[t as 'float32'] ?? 0;
  if (attrBool(op, 'Truncate', false) && width(to) > 0 && width(from) > width(to)) {
    throw new UnsupportedError(`Cast "${op.name}": Truncate=true from ${from} to ${to} truncates the mantissa; TFLite's CAST rounds to nearest`);
  }
  if (from === to) return x;
  const opts = new CastOptionsT(tfliteTypeOf(from), tfliteTypeOf(to));
  return rw.tfl1(BuiltinOperator.CAST, [x], options(BuiltinOptions.CastOptions, opts), op.name);
}

function legalizeSpaceDepth(op: TfOp, rw: Rewriter, toDepth: boolean): Tensor {
  const blockSize = attrInt(op, 'block_size');
  if (blockSize < 2) throw new UnsupportedError(`${op.type} "${op.name}": block_size ${blockSize} must be at least 2`);
  requireKernelDtype(op, inputOf(op, 0), toDepth ? 'SPACE_TO_DEPTH' : 'DEPTH_TO_SPACE', MOVE_TYPES);
  const opts = toDepth
    ? options(BuiltinOptions.SpaceToDepthOptions, new SpaceToDepthOptionsT(blockSize))
    : options(BuiltinOptions.DepthToSpaceOptions, new DepthToSpaceOptionsT(blockSize));
  const builtin = toDepth ? BuiltinOperator.SPACE_TO_DEPTH : BuiltinOperator.DEPTH_TO_SPACE;
  // The conv family's NCHW wrapping: transposes in and out around the NHWC op.
  return chain(op, inputOf(op, 0), inNhwc(rw, isNchw(op), [{ name: 'nhwc', run: (x, name) => rw.tfl1(builtin, [x], opts, name) }]));
}

/**
 * SpaceToBatchND / BatchToSpaceND (and TF1's 4-D SpaceToBatch / BatchToSpace with a block_size
 * attribute). TFLite's kernels take 3-D or 4-D inputs with one or two spatial dims right after the
 * batch; other ranks are reshaped to [batch, spatial..., rest] around the op, which needs a
 * constant block and paddings and static dims after the batch.
 */
function legalizeSpaceBatch(op: TfOp, rw: Rewriter, toBatch: boolean, v1: boolean): Tensor {
  const x = inputOf(op, 0);
  const builtin = toBatch ? BuiltinOperator.SPACE_TO_BATCH_ND : BuiltinOperator.BATCH_TO_SPACE_ND;
  requireKernelDtype(op, x, BuiltinOperator[builtin], [...MOVE_TYPES, 'int16']);
  const block = v1 ? rw.int32(`${op.name}/block_shape`, [attrInt(op, 'block_size'), attrInt(op, 'block_size')]) : asInt32(rw, inputOf(op, 1), `${op.name}/block_shape`);
  const pads = asInt32(rw, inputOf(op, v1 ? 1 : 2), `${op.name}/${toBatch ? 'paddings' : 'crops'}`);
  const opts = toBatch
    ? options(BuiltinOptions.SpaceToBatchNDOptions, new SpaceToBatchNDOptionsT())
    : options(BuiltinOptions.BatchToSpaceNDOptions, new BatchToSpaceNDOptionsT());
  const m = constInts(block)?.length ?? block.shape?.[0] ?? -1;
  const rank = x.shape?.length ?? -1;
  if ((m === 1 && rank === 3) || (m === 2 && rank === 4)) return rw.tfl1(builtin, [x, block, pads], opts, op.name);
  const [blockValues, padValues] = [constInts(block), constInts(pads)];
  const rest = x.shape?.slice(m + 1);
  if (m < 1 || m > 2 || rest === undefined || blockValues === null || padValues === null || !isStatic(x.shape!.slice(1))) {
    throw new UnsupportedError(
      `${op.type} "${op.name}": TFLite needs 1 or 2 spatial dims in a 3-D or 4-D input; reshaping input [${x.shape ?? '?'}] with ${m} spatial dims needs them known and a constant block and paddings`,
    );
  }
  const depth = rest.reduce((a, b) => a * b, 1);
  const inner = rw.tfl1(BuiltinOperator.RESHAPE, [x, rw.int32(`${op.name}/in_shape`, [-1, ...x.shape!.slice(1, m + 1), depth])], null, `${op.name}/in`);
  const y = rw.tfl1(builtin, [inner, block, pads], opts, `${op.name}/op`);
  const shapeFn = toBatch ? spaceToBatchShape : batchToSpaceShape;
  const target = [-1, ...shapeFn([1, ...x.shape!.slice(1)], blockValues, padValues, m).slice(1, m + 1), ...rest];
  return rw.tfl1(BuiltinOperator.RESHAPE, [y, rw.int32(`${op.name}/out_shape`, target)], null, op.name);
}

function legalizeSelect(op: TfOp, rw: Rewriter, v2: boolean): Tensor {
  const [c, x, y] = [0, 1, 2].map((i) => inputOf(op, i)) as [Tensor, Tensor, Tensor];
  requireKernelDtype(op, x, v2 ? 'SELECT_V2' : 'SELECT', SELECT_TYPES);
  if (!v2) return rw.tfl1(BuiltinOperator.SELECT, [c, x, y], options(BuiltinOptions.SelectOptions, new SelectOptionsT()), op.name);
  // The broadcasting kernel (BroadcastSelect5DSlow) handles up to 5 dims.
  const rank = Math.max(...[c, x, y].map((t) => t.shape?.length ?? 0));
  const same = [c, y].every((t) => t.shape !== null && x.shape !== null && t.shape.length === x.shape.length && t.shape.every((d, i) => d === x.shape![i] && d >= 0));
  if (rank > 5 && !same) throw new UnsupportedError(`SelectV2 "${op.name}": TFLite broadcasts SELECT_V2 over at most 5 dims, this needs ${rank}`);
  return rw.tfl1(BuiltinOperator.SELECT_V2, [c, x, y], options(BuiltinOptions.SelectV2Options, new SelectV2OptionsT()), op.name);
}

const rule = (tfTypes: string[], emit: (op: TfOp, rw: Rewriter) => Tensor): TfLegalization => ({ tfTypes, legalize: (op, rw) => [emit(op, rw)] });

export const GENERATE_LEGALIZATIONS: TfLegalization[] = [
  rule(['Shape'], legalizeShape),
  rule(['Fill'], (op, rw) => {
    requireKernelDtype(op, inputOf(op, 1), 'FILL', FILL_TYPES);
    return rw.tfl1(BuiltinOperator.FILL, [inputOf(op, 0), inputOf(op, 1)], options(BuiltinOptions.FillOptions, new FillOptionsT()), op.name);
  }),
  rule(['Range'], (op, rw) => {
    requireKernelDtype(op, inputOf(op, 0), 'RANGE', ['float32', 'int32', 'int64']);
    const inputs = [0, 1, 2].map((i) => inputOf(op, i));
    return rw.tfl1(BuiltinOperator.RANGE, inputs, options(BuiltinOptions.RangeOptions, new RangeOptionsT()), op.name);
  }),
  rule(['Cast'], legalizeCast),
  rule(['ZerosLike'], (op, rw) => {
    const x = inputOf(op, 0);
    // ZEROS_LIKE takes float32, int32 and int64; other types become a FILL of 0.
    if (!['float32', 'int32', 'int64'].includes(requireDtype(x))) return fillLike(op, rw, 0);
    return rw.tfl1(BuiltinOperator.ZEROS_LIKE, [x], options(BuiltinOptions.ZerosLikeOptions, new ZerosLikeOptionsT()), op.name);
  }),
  rule(['OnesLike'], (op, rw) => fillLike(op, rw, 1)),
  rule(['Select'], (op, rw) => legalizeSelect(op, rw, false)),
  rule(['SelectV2'], (op, rw) => legalizeSelect(op, rw, true)),
  rule(['SpaceToDepth'], (op, rw) => legalizeSpaceDepth(op, rw, true)),
  rule(['DepthToSpace'], (op, rw) => legalizeSpaceDepth(op, rw, false)),
  rule(['SpaceToBatchND'], (op, rw) => legalizeSpaceBatch(op, rw, true, false)),
  rule(['BatchToSpaceND'], (op, rw) => legalizeSpaceBatch(op, rw, false, false)),
  rule(['SpaceToBatch'], (op, rw) => legalizeSpaceBatch(op, rw, true, true)),
  rule(['BatchToSpace'], (op, rw) => legalizeSpaceBatch(op, rw, false, true)),
];
