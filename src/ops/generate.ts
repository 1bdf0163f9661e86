/** Tensor creation, padding, casting, selection, resizing and space/depth rearrangement. */
import type { OpDef, TfLegalization } from './op-def.js';

export const GENERATE_OPS: OpDef[] = [];
export const GENERATE_LEGALIZATIONS: TfLegalization[] = [];
