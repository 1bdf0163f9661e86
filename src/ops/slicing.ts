/** Joining and slicing: CONCATENATION, PACK, UNPACK, SPLIT, SPLIT_V, SLICE, STRIDED_SLICE, TILE, GATHER, GATHER_ND. */
import type { OpDef, TfLegalization } from './op-def.js';

export const SLICING_OPS: OpDef[] = [];
export const SLICING_LEGALIZATIONS: TfLegalization[] = [];
