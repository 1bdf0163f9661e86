/** Ops that pick or combine values: PRELU, ADD_N, TOPK_V2. */
import type { OpDef, TfLegalization } from './op-def.js';

export const SELECTION_OPS: OpDef[] = [];
export const SELECTION_LEGALIZATIONS: TfLegalization[] = [];
