/** Convolutions and pooling: CONV_2D, DEPTHWISE_CONV_2D, TRANSPOSE_CONV, MAX_POOL_2D, AVERAGE_POOL_2D. */
import type { OpDef, TfLegalization } from './op-def.js';

export const CONV_OPS: OpDef[] = [];
export const CONV_LEGALIZATIONS: TfLegalization[] = [];
