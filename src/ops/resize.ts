/**
 * Resizing: RESIZE_BILINEAR and RESIZE_NEAREST_NEIGHBOR (NHWC; kernels in src/kernels/resize.ts),
 * from TF's ResizeBilinear and ResizeNearestNeighbor with their align_corners and
 * half_pixel_centers attributes.
 */
import { BuiltinOperator } from '../../generated/tflite/builtin-operator.js';
import { BuiltinOptions } from '../../generated/tflite/builtin-options.js';
import { CastOptionsT } from '../../generated/tflite/cast-options.js';
import { ResizeBilinearOptionsT } from '../../generated/tflite/resize-bilinear-options.js';
import { ResizeNearestNeighborOptionsT } from '../../generated/tflite/resize-nearest-neighbor-options.js';
import type { TflOp, TfOp } from '../ir/op.js';
import type { Tensor } from '../ir/tensor.js';
import { CAST_DTYPES } from '../kernels/generate.js';
import { resizeBilinear, resizeNearestNeighbor } from '../kernels/resize.js';
import { toNumbers } from '../kernels/value.js';
import { UnsupportedError } from '../util/errors.js';
import { inputOf, options, optionsAs, requireDtype, requireKernelDtype, type OpDef, type TfLegalization } from './op-def.js';
import type { Rewriter } from './rewriter.js';
import { asInt32, constInts } from './shape.js';
import { attrBool } from './tf-attrs.js';
import { tfliteTypeOf } from './tflite-schema.js';

function resizeDef(builtin: BuiltinOperator, bilinear: boolean): OpDef {
  const params = (op: TflOp) => optionsAs<ResizeBilinearOptionsT | ResizeNearestNeighborOptionsT>(op, bilinear ? ResizeBilinearOptionsT : ResizeNearestNeighborOptionsT);
  return {
    builtin,
    infer(op) {
      const x = inputOf(op, 0);
      const [b = -1, , , c = -1] = x.shape ?? [];
      const size = constInts(op.inputs[1]);
      return [{ dtype: requireDtype(x), shape: [b, size?.[0] ?? -1, size?.[1] ?? -1, c] }];
    },
    evaluate(op, [x, size]) {
      const [h, w] = toNumbers(size!) as [number, number];
      return [(bilinear ? resizeBilinear : resizeNearestNeighbor)(x!, h, w, params(op))];
    },
    // Nearest neighbour copies pixels; bilinear dispatches int8/int16 to the 10-bit fixed-point
    // ResizeBilinearInteger (src/kernels/resize.ts), uint8 to the reference's float form.
    evaluateQuantized(op, values) {
      return this.evaluate!(op, values);
    },
    version(op) {
      const p = params(op);
      const dtype = op.inputs[0]?.dtype;
      if (dtype === 'int16') return 4;
      if (p.halfPixelCenters || (!bilinear && p.alignCorners)) return 3;
      return dtype === 'int8' ? 2 : 1;
    },
    quant: { kind: 'sameScale', int8Version: 2 },
    int16x8: { version: 4 },
  };
}

/**
 * ResizeBilinear always yields float32 in TF, computed on the input converted to float: integer
 * inputs get a CAST first. ResizeNearestNeighbor keeps the element type.
 */
function legalizeResize(op: TfOp, rw: Rewriter, bilinear: boolean): Tensor {
  const alignCorners = attrBool(op, 'align_corners', false);
  const halfPixelCenters = attrBool(op, 'half_pixel_centers', false);
  if (alignCorners && halfPixelCenters) {
    throw new UnsupportedError(`${op.type} "${op.name}": align_corners and half_pixel_centers are both true, which TF rejects`);
  }
  let x = inputOf(op, 0);
  if (x.shape !== null && x.shape.length !== 4) throw new UnsupportedError(`${op.type} "${op.name}": input must be 4-D, got [${x.shape}]`);
  const size = asInt32(rw, inputOf(op, 1), `${op.name}/size`);
  if (bilinear) {
    const dtype = requireDtype(x);
    if (dtype !== 'float32') {
      if (!CAST_DTYPES.has(dtype) || dtype === 'bool') throw new UnsupportedError(`${op.type} "${op.name}": input type ${dtype} is not supported`);
      x = rw.tfl1(BuiltinOperator.CAST, [x], options(BuiltinOptions.CastOptions, new CastOptionsT(tfliteTypeOf(dtype), tfliteTypeOf('float32'))), `${op.name}/to_float`);
    }
    const opts = options(BuiltinOptions.ResizeBilinearOptions, new ResizeBilinearOptionsT(alignCorners, halfPixelCenters));
    return rw.tfl1(BuiltinOperator.RESIZE_BILINEAR, [x, size], opts, op.name);
  }
  requireKernelDtype(op, x, 'RESIZE_NEAREST_NEIGHBOR', ['float32', 'uint8', 'int8', 'int16']);
  const opts = options(BuiltinOptions.ResizeNearestNeighborOptions, new ResizeNearestNeighborOptionsT(alignCorners, halfPixelCenters));
  return rw.tfl1(BuiltinOperator.RESIZE_NEAREST_NEIGHBOR, [x, size], opts, op.name);
}

export const RESIZE_OPS: OpDef[] = [resizeDef(BuiltinOperator.RESIZE_BILINEAR, true), resizeDef(BuiltinOperator.RESIZE_NEAREST_NEIGHBOR, false)];

export const RESIZE_LEGALIZATIONS: TfLegalization[] = [
  { tfTypes: ['ResizeBilinear'], legalize: (op, rw) => [legalizeResize(op, rw, true)] },
  { tfTypes: ['ResizeNearestNeighbor'], legalize: (op, rw) => [legalizeResize(op, rw, false)] },
];
