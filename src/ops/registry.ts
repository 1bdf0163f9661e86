/**
 * The one explicit list of op definitions and TF legalization rules. Registration throws on
 * duplicates, so two families can never silently claim the same op.
 */
import { BuiltinOperator } from '../../generated/tflite/builtin-operator.js';
import type { TflOp } from '../ir/op.js';
import { GraphError } from '../util/errors.js';
import { BATCH_NORM_LEGALIZATIONS } from './batch-norm.js';
import { RESIZE_LEGALIZATIONS, RESIZE_OPS } from './resize.js';
import { CONV_LEGALIZATIONS, CONV_OPS } from './conv.js';
import { EINSUM_LEGALIZATIONS, EINSUM_OPS } from './einsum.js';
import { ELEMENTWISE_LEGALIZATIONS, ELEMENTWISE_OPS } from './elementwise.js';
import { FAKE_QUANT_LEGALIZATIONS, FAKE_QUANT_OPS } from './fake-quant.js';
import { GENERATE_LEGALIZATIONS, GENERATE_OPS } from './generate.js';
import { JOINING_LEGALIZATIONS, JOINING_OPS } from './joining.js';
import { LSTM_OPS } from './lstm.js';
import { MATMUL_LEGALIZATIONS, MATMUL_OPS } from './matmul.js';
import type { OpDef, TfLegalization } from './op-def.js';
import { PAD_LEGALIZATIONS, PAD_OPS } from './pad.js';
import { POOL_LEGALIZATIONS, POOL_OPS } from './pool.js';
import { QUANTIZE_LEGALIZATIONS, QUANTIZE_OPS } from './quantize.js';
import { REDUCE_LEGALIZATIONS, REDUCE_OPS } from './reduce.js';
import { SELECTION_LEGALIZATIONS, SELECTION_OPS } from './selection.js';
import { SHAPE_LEGALIZATIONS, SHAPE_OPS } from './shape.js';
import { SLICING_LEGALIZATIONS, SLICING_OPS } from './slicing.js';

export class OpRegistry {
  private readonly defs = new Map<BuiltinOperator, OpDef>();
  private readonly rules = new Map<string, TfLegalization>();

  constructor(defs: readonly OpDef[], rules: readonly TfLegalization[]) {
    for (const def of defs) {
      if (this.defs.has(def.builtin)) throw new Error(`op ${BuiltinOperator[def.builtin]} is registered twice`);
      this.defs.set(def.builtin, def);
    }
    for (const rule of rules) {
      for (const type of rule.tfTypes) {
        if (this.rules.has(type)) throw new Error(`TF op ${type} has two legalization rules`);
        this.rules.set(type, rule);
      }
    }
  }

  def(builtin: BuiltinOperator): OpDef | undefined {
    return this.defs.get(builtin);
  }

  legalization(tfType: string): TfLegalization | undefined {
    return this.rules.get(tfType);
  }

  /** TF op types with a legalization rule, sorted (for docs and error messages). */
  tfTypes(): string[] {
    return [...this.rules.keys()].sort();
  }

  builtins(): BuiltinOperator[] {
    return [...this.defs.keys()].sort((a, b) => a - b);
  }

  /** Sets the op's output dtypes/shapes and version from its definition. */
  inferInto(op: TflOp): void {
    const def = this.defs.get(op.builtin);
    if (def === undefined) throw new GraphError(`no definition for TFLite op ${BuiltinOperator[op.builtin]}`);
    const types = def.infer(op);
    if (types.length !== op.outputs.length) {
      throw new GraphError(`${BuiltinOperator[op.builtin]} "${op.name}" infers ${types.length} outputs, has ${op.outputs.length}`);
    }
    types.forEach((type, i) => {
      const out = op.outputs[i]!;
      out.dtype = type.dtype;
      out.shape = type.shape;
    });
    op.version = def.version?.(op) ?? 1;
  }
}

export const REGISTRY = new OpRegistry(
  [...ELEMENTWISE_OPS, ...MATMUL_OPS, ...SHAPE_OPS, ...CONV_OPS, ...POOL_OPS, ...PAD_OPS, ...REDUCE_OPS, ...SLICING_OPS, ...JOINING_OPS, ...GENERATE_OPS, ...RESIZE_OPS, ...QUANTIZE_OPS, ...SELECTION_OPS, ...EINSUM_OPS, ...FAKE_QUANT_OPS, ...LSTM_OPS],
  [
    ...ELEMENTWISE_LEGALIZATIONS,
    ...MATMUL_LEGALIZATIONS,
    ...SHAPE_LEGALIZATIONS,
    ...CONV_LEGALIZATIONS,
    ...BATCH_NORM_LEGALIZATIONS,
    ...POOL_LEGALIZATIONS,
    ...PAD_LEGALIZATIONS,
    ...REDUCE_LEGALIZATIONS,
    ...SLICING_LEGALIZATIONS,
    ...JOINING_LEGALIZATIONS,
    ...GENERATE_LEGALIZATIONS,
    ...RESIZE_LEGALIZATIONS,
    ...QUANTIZE_LEGALIZATIONS,
    ...SELECTION_LEGALIZATIONS,
    ...EINSUM_LEGALIZATIONS,
    ...FAKE_QUANT_LEGALIZATIONS,
  ],
);
