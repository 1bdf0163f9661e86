/**
 * Rearrangements between space, depth and batch: SPACE_TO_DEPTH / DEPTH_TO_SPACE (NHWC, TF's
 * "DCR" order: depth index = (row offset * block + column offset) * channels + channel) and
 * SPACE_TO_BATCH_ND / BATCH_TO_SPACE_ND (batch index = block offset * batch + b, block offsets
 * row-major over the block dims). Elements are copied, never converted, so every dtype works.
 * The ND kernels take any number M of spatial dims after the batch; the dims after those are
 * carried along as depth.
 */
import { GraphError } from '../util/errors.js';
import { makeValue, stridesOf, type Value } from './value.js';

type Indexable = { [i: number]: number | bigint; length: number; fill(value: never): unknown };

function nhwc(x: Value, op: string): [number, number, number, number] {
  if (x.shape.length !== 4) throw new GraphError(`${op} needs a 4-D NHWC input, got shape [${x.shape}]`);
  return x.shape as [number, number, number, number];
}

/** SPACE_TO_DEPTH shape: [B, H / bs, W / bs, C * bs * bs]; -1 stays unknown. */
export function spaceToDepthShape(shape: readonly number[], block: number): number[] {
  const [b, h, w, c] = shape as [number, number, number, number];
  const div = (d: number) => (d < 0 ? -1 : d / block);
  return [b, div(h), div(w), c < 0 ? -1 : c * block * block];
}

/** DEPTH_TO_SPACE shape: [B, H * bs, W * bs, C / (bs * bs)]; -1 stays unknown. */
export function depthToSpaceShape(shape: readonly number[], block: number): number[] {
  const [b, h, w, c] = shape as [number, number, number, number];
  const mul = (d: number) => (d < 0 ? -1 : d * block);
  return [b, mul(h), mul(w), c < 0 ? -1 : c / (block * block)];
}

export function spaceToDepth(x: Value, block: number): Value {
  const [batch, inH, inW, depth] = nhwc(x, 'SPACE_TO_DEPTH');
  if (!(block >= 1) || inH % block !== 0 || inW % block !== 0) {
    throw new GraphError(`SPACE_TO_DEPTH block ${block} does not divide height ${inH} and width ${inW}`);
  }
  const out = makeValue(x.dtype, spaceToDepthShape(x.shape, block));
  const src = x.data as unknown as Indexable;
  const dst = out.data as unknown as Indexable;
  let o = 0;
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < inH / block; h++) {
      for (let w = 0; w < inW / block; w++) {
        for (let i = 0; i < block; i++) {
          for (let j = 0; j < block; j++) {
            const base = ((b * inH + h * block + i) * inW + w * block + j) * depth;
            for (let c = 0; c < depth; c++) dst[o++] = src[base + c]!;
          }
        }
      }
    }
  }
  return out;
}

export function depthToSpace(x: Value, block: number): Value {
  const [batch, inH, inW, inDepth] = nhwc(x, 'DEPTH_TO_SPACE');
  if (!(block >= 1) || inDepth % (block * block) !== 0) {
    throw new GraphError(`DEPTH_TO_SPACE block ${block}² does not divide depth ${inDepth}`);
  }
  const depth = inDepth / (block * block);
  const out = makeValue(x.dtype, depthToSpaceShape(x.shape, block));
  const src = x.data as unknown as Indexable;
  const dst = out.data as unknown as Indexable;
  let o = 0;
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < inH * block; h++) {
      for (let w = 0; w < inW * block; w++) {
        const base = ((b * inH + Math.floor(h / block)) * inW + Math.floor(w / block)) * inDepth + ((h % block) * block + (w % block)) * depth;
        for (let c = 0; c < depth; c++) dst[o++] = src[base + c]!;
      }
    }
  }
  return out;
}

/**
 * SPACE_TO_BATCH_ND shape: batch × prod(block), each spatial dim padded then divided by its
 * block, depth dims unchanged. `pads` is [M][before, after]; null block or pads (not constant)
 * leave those dims unknown.
 */
export function spaceToBatchShape(shape: readonly number[], block: readonly number[] | null, pads: readonly number[] | null, m: number): number[] {
  const out = shape.slice();
  const prod = block === null ? -1 : block.reduce((a, b) => a * b, 1);
  out[0] = shape[0]! < 0 || prod < 0 ? -1 : shape[0]! * prod;
  for (let i = 0; i < m; i++) {
    const d = shape[i + 1]!;
    out[i + 1] = block === null || pads === null || d < 0 ? -1 : (d + pads[2 * i]! + pads[2 * i + 1]!) / block[i]!;
  }
  return out;
}

/** BATCH_TO_SPACE_ND shape: batch / prod(block), each spatial dim times its block less the crops. */
export function batchToSpaceShape(shape: readonly number[], block: readonly number[] | null, crops: readonly number[] | null, m: number): number[] {
  const out = shape.slice();
  const prod = block === null ? -1 : block.reduce((a, b) => a * b, 1);
  out[0] = shape[0]! < 0 || prod < 0 ? -1 : shape[0]! / prod;
  for (let i = 0; i < m; i++) {
    const d = shape[i + 1]!;
    out[i + 1] = block === null || crops === null || d < 0 ? -1 : d * block[i]! - crops[2 * i]! - crops[2 * i + 1]!;
  }
  return out;
}

/** The offsets within the block of block index k (row-major over the M block dims). */
function blockOffsets(k: number, block: readonly number[]): number[] {
  const offsets = new Array<number>(block.length);
  for (let i = block.length - 1; i >= 0; i--) {
    offsets[i] = k % block[i]!;
    k = Math.floor(k / block[i]!);
  }
  return offsets;
}

/**
 * Walks the batch-side tensor (SPACE_TO_BATCH's output, BATCH_TO_SPACE's input) and pairs each of
 * its positions with the space-side position (in padded coordinates less `before`), calling
 * `visit(batchSideOffset, spaceSideOffset or -1 outside the space-side tensor)` per depth row.
 */
function walk(
  batchSide: readonly number[],
  spaceSide: readonly number[],
  block: readonly number[],
  before: readonly number[],
  visit: (batchAt: number, spaceAt: number) => void,
): void {
  const m = block.length;
  const spaceBatch = spaceSide[0]!;
  const spaceStrides = stridesOf(spaceSide);
  const inner = spaceSide.slice(m + 1).reduce((a, b) => a * b, 1);
  const spatial = batchSide.slice(1, m + 1);
  const positions = spatial.reduce((a, b) => a * b, 1);
  let at = 0;
  for (let ob = 0; ob < batchSide[0]!; ob++) {
    const b = ob % spaceBatch;
    const offsets = blockOffsets(Math.floor(ob / spaceBatch), block);
    for (let p = 0; p < positions; p++, at += inner) {
      let rest = p;
      let src = b * spaceStrides[0]!;
      for (let i = m - 1; i >= 0 && src >= 0; i--) {
        const q = rest % spatial[i]!;
        rest = Math.floor(rest / spatial[i]!);
        const s = q * block[i]! + offsets[i]! - before[i]!;
        src = s < 0 || s >= spaceSide[i + 1]! ? -1 : src + s * spaceStrides[i + 1]!;
      }
      visit(at, src);
    }
  }
}

function checkBlock(op: string, x: Value, block: readonly number[], pads: readonly number[]): void {
  const m = block.length;
  if (x.shape.length < m + 1 || pads.length !== 2 * m || block.some((b) => !(b >= 1)) || pads.some((p) => p < 0)) {
    throw new GraphError(`${op}: block [${block}] and paddings/crops [${pads}] do not fit input shape [${x.shape}]`);
  }
}

/** Pads the spatial dims with `padValue` (TFLite: 0, or the output zero point when quantized). */
export function spaceToBatchND(x: Value, block: readonly number[], pads: readonly number[], padValue = 0): Value {
  checkBlock('SPACE_TO_BATCH_ND', x, block, pads);
  const shape = spaceToBatchShape(x.shape, block, pads, block.length);
  if (shape.some((d) => !Number.isInteger(d))) throw new GraphError(`SPACE_TO_BATCH_ND: block [${block}] does not divide the padded input [${x.shape}]`);
  const out = makeValue(x.dtype, shape);
  const src = x.data as unknown as Indexable;
  const dst = out.data as unknown as Indexable;
  if (padValue !== 0) dst.fill((x.dtype === 'int64' ? BigInt(padValue) : padValue) as never);
  const inner = x.shape.slice(block.length + 1).reduce((a, b) => a * b, 1);
  const before = block.map((_, i) => pads[2 * i]!);
  walk(shape, x.shape, block, before, (o, s) => {
    if (s >= 0) for (let c = 0; c < inner; c++) dst[o + c] = src[s + c]!;
  });
  return out;
}

export function batchToSpaceND(x: Value, block: readonly number[], crops: readonly number[]): Value {
  checkBlock('BATCH_TO_SPACE_ND', x, block, crops);
  const shape = batchToSpaceShape(x.shape, block, crops, block.length);
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw new GraphError(`BATCH_TO_SPACE_ND: block [${block}] and crops [${crops}] do not fit input [${x.shape}]`);
  const out = makeValue(x.dtype, shape);
  const src = x.data as unknown as Indexable;
  const dst = out.data as unknown as Indexable;
  const inner = shape.slice(block.length + 1).reduce((a, b) => a * b, 1);
  const before = block.map((_, i) => crops[2 * i]!);
  walk(x.shape, shape, block, before, (i, o) => {
    if (o >= 0) for (let c = 0; c < inner; c++) dst[o + c] = src[i + c]!;
  });
  return out;
}
