/** Einsum, lowered to TRANSPOSE / RESHAPE / BATCH_MATMUL where its equation allows. */
import type { OpDef, TfLegalization } from './op-def.js';

export const EINSUM_OPS: OpDef[] = [];
export const EINSUM_LEGALIZATIONS: TfLegalization[] = [];
