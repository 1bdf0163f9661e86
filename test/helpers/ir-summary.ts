/**
 * A plain-data description of a Model (tensors by index, ops with their options, signatures),
 * for comparing two models structurally with toEqual.
 */
import type { Model } from '../../src/ir/graph.js';
import { opTypeName } from '../../src/ir/op.js';
import type { Tensor } from '../../src/ir/tensor.js';

export function describeModel(model: Model): unknown {
  return {
    description: model.description,
    metadata: model.metadata.map((m) => [m.name, Buffer.from(m.data).toString('base64')]),
    graphs: model.graphs.map((g) => {
      const index = new Map<Tensor, number>(g.tensors.map((t, i) => [t, i]));
      const ref = (t: Tensor | null) => (t === null ? -1 : index.get(t));
      return {
        name: g.name,
        inputs: g.inputs.map(ref),
        outputs: g.outputs.map(ref),
        tensors: g.tensors.map((t) => ({
          name: t.name,
          dtype: t.dtype,
          shape: t.shape,
          shapeSignature: t.shapeSignature,
          isVariable: t.isVariable,
          quant: t.quant,
          data:
            t.data === null
              ? null
              : t.data.kind === 'bytes'
                ? Buffer.from(t.data.bytes).toString('base64')
                : t.data.values.map((v) => Buffer.from(v).toString('base64')),
          tflite: t.tflite,
        })),
        ops: g.ops.map((op) => ({
          type: opTypeName(op),
          inputs: op.inputs.map(ref),
          outputs: op.outputs.map(ref),
          ...(op.dialect === 'tfl'
            ? {
                version: op.version,
                options: op.options === null ? null : { type: op.options.type, value: { ...op.options.value } },
                options2: op.options2 === null ? null : { type: op.options2.type, value: { ...op.options2.value } },
                customOptions: op.customOptions === null ? null : Buffer.from(op.customOptions).toString('base64'),
                intermediates: op.intermediates.map(ref),
              }
            : {}),
        })),
      };
    }),
    signatures: model.signatures.map((s) => ({
      key: s.key,
      subgraph: s.subgraph,
      inputs: s.inputs.map((e) => [e.name, model.graphs[s.subgraph]!.tensors.indexOf(e.tensor)]),
      outputs: s.outputs.map((e) => [e.name, model.graphs[s.subgraph]!.tensors.indexOf(e.tensor)]),
    })),
  };
}
