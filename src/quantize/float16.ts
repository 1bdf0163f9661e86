/**
 * Float16 weight quantization (TFLite's `supported_types = [tf.float16]`): every float32 constant
 * an op reads is stored as float16 and read through a DEQUANTIZE op, so the file holds half the
 * weight bytes while the runtime computes in float32 (or runs float16 kernels on GPU delegates).
 * One DEQUANTIZE per constant, shared by all its readers, placed before its first reader.
 */
import { BuiltinOperator } from '../../generated/tflite/builtin-operator.js';
import type { Model } from '../ir/graph.js';
import { createTflOp, type Op } from '../ir/op.js';
import { bytesOf, constValues, Tensor } from '../ir/tensor.js';
import { floatToHalf } from '../kernels/float16.js';
import type { OpRegistry } from '../ops/registry.js';

export function quantizeWeightsFloat16(model: Model, registry: OpRegistry): string {
  let converted = 0;
  for (const graph of model.graphs) {
    const dequantized = new Map<Tensor, Tensor>();
    const ops: Op[] = [];
    for (const op of graph.ops) {
      op.inputs = op.inputs.map((t) => {
        if (t === null || t.dtype !== 'float32' || t.data === null || t.data.kind !== 'bytes' || t.isVariable) return t;
        let f32 = dequantized.get(t);
        if (f32 === undefined) {
          const half = new Tensor(`${t.name}/float16`, 'float16', t.shape === null ? null : t.shape.slice());
          half.data = { kind: 'bytes', bytes: bytesOf(Uint16Array.from(constValues(t.data, 'float32') as Float32Array, floatToHalf)) };
          graph.addTensor(half);
          f32 = graph.addTensor(new Tensor(t.name, 'float32', t.shape));
          const dq = createTflOp(BuiltinOperator.DEQUANTIZE, t.name, [half], [f32]);
          registry.inferInto(dq);
          ops.push(dq);
          dequantized.set(t, f32);
          converted++;
        }
        return f32;
      });
      ops.push(op);
    }
    graph.ops = ops;
    graph.pruneTensors();
  }
  return converted > 0 ? `stored ${converted} float32 constants as float16` : '';
}
