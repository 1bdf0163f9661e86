/**
 * Builds TFLite ops into a graph for legalization rules and passes: new tensors are registered
 * with the graph, new ops are collected in order, and each new op's output types are inferred at
 * once, so the next rule sees shapes and dtypes.
 */
import { BuiltinOperator } from '../../generated/tflite/builtin-operator.js';
import type { DType, TypedArray } from '../ir/dtype.js';
import type { Graph } from '../ir/graph.js';
import { createTflOp, type TflOp } from '../ir/op.js';
import { bytesOf, Tensor } from '../ir/tensor.js';
import { GraphError } from '../util/errors.js';
import type { OpRegistry } from './registry.js';

export class Rewriter {
  /** The ops created since the last `take()`, in creation (= topological) order. */
  private pending: TflOp[] = [];

  constructor(
    readonly graph: Graph,
    readonly registry: OpRegistry,
  ) {}

  /**
   * Adds a TFLite op reading `inputs`; returns its outputs, named `name` (and `name:1`, ...).
   * Output types come from the op's definition.
   */
  tfl(
    builtin: BuiltinOperator,
    inputs: (Tensor | null)[],
    opts: TflOp['options'],
    name: string,
    outputCount = 1,
  ): Tensor[] {
    const outputs = Array.from({ length: outputCount }, (_, i) =>
      this.graph.addTensor(new Tensor(i === 0 ? name : `${name}:${i}`, null, null)),
    );
    const op = createTflOp(builtin, name, inputs, outputs, opts);
    this.registry.inferInto(op);
    this.pending.push(op);
    return outputs;
  }

  /** A single-output op. */
  tfl1(builtin: BuiltinOperator, inputs: (Tensor | null)[], opts: TflOp['options'], name: string): Tensor {
    const [out] = this.tfl(builtin, inputs, opts, name, 1);
    if (out === undefined) throw new GraphError(`${BuiltinOperator[builtin]} "${name}" produced no output`);
    return out;
  }

  /** A constant tensor holding `values` (viewed, not copied). */
  constant(name: string, dtype: DType, shape: number[], values: TypedArray): Tensor {
    const t = new Tensor(name, dtype, shape);
    t.data = { kind: 'bytes', bytes: bytesOf(values) };
    return this.graph.addTensor(t);
  }

  int32(name: string, values: readonly number[], shape: number[] = [values.length]): Tensor {
    return this.constant(name, 'int32', shape, Int32Array.from(values));
  }

  /** Hands over the ops created so far. */
  take(): TflOp[] {
    const ops = this.pending;
    this.pending = [];
    return ops;
  }
}
