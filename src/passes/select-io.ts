/**
 * select-io: decides the converted model's inputs and outputs, as tflite_convert's
 * --input_arrays/--output_arrays/--input_shapes do, and fixes the input shapes.
 *
 * - Inputs default to the signature's the source declares (a SavedModel's), else the graph's
 *   Placeholders. A named Const or an op output becomes an input too: the graph is cut there
 *   (how TF users feed an intermediate tensor).
 * - Outputs default to the declared ones (a SavedModel or tfjs signature), else the nodes nobody
 *   reads, leaving out bookkeeping (NoOp, save/restore).
 * Runs first: every later pass works on the graph between these inputs and outputs.
 */
import type { Graph, Model } from '../ir/graph.js';
import { Tensor } from '../ir/tensor.js';
import { isBookkeepingOp } from '../ops/tf-node-kinds.js';
import { UsageError } from '../util/errors.js';
import type { Pass, PassContext } from './pass.js';

/**
 * The tensor a `node` or `node:i` reference names. The importer creates a node's outputs up to
 * the highest index something reads, so an output only the user asks for is created here.
 */
function findTensor(graph: Graph, ref: string): Tensor | undefined {
  const name = ref.replace(/:0$/, '');
  const found = graph.tensors.find((t) => t.name === name);
  if (found !== undefined) return found;
  const m = /^(.*):(\d+)$/.exec(ref);
  const op = m ? graph.ops.find((o) => o.name === m[1]) : undefined;
  if (!m || op === undefined) return undefined;
  const index = Number(m[2]);
  while (op.outputs.length <= index) {
    // Legalization infers the real type; the first output's is the importer's best guess too.
    const t = graph.addTensor(new Tensor(`${op.name}:${op.outputs.length}`, op.outputs[0]?.dtype ?? null, null));
    t.producer = op;
    op.outputs.push(t);
  }
  return op.outputs[index];
}

function known(graph: Graph): string {
  const names = graph.tensors.filter((t) => !t.name.includes(':')).map((t) => t.name);
  return names.length > 8 ? `${names.slice(0, 8).join(', ')}, …` : names.join(', ');
}

function selectInputs(model: Model, ctx: PassContext): void {
  const graph = model.main;
  const requested = ctx.options.inputArrays;
  if (requested === undefined || requested.length === 0) {
    // A source that declares its inputs (a SavedModel signature) gives the defaults.
    const declared = model.signatures[0]?.inputs.map((e) => e.tensor);
    if (declared !== undefined && declared.length > 0) graph.inputs = declared;
    return;
  }
  graph.inputs = requested.map((ref) => {
    const found = findTensor(graph, ref);
    if (found === undefined) throw new UsageError(`--input_arrays: no node named "${ref}" (nodes: ${known(graph)})`);
    if (found.producer === null && found.data === null) return found;
    // Cut the graph here: a fresh tensor takes the place of the constant or op output.
    const input = graph.addTensor(new Tensor(found.name, found.dtype, found.shape === null ? null : found.shape.slice()));
    graph.replaceUses(found, input);
    found.name = `${found.name}/replaced_by_input`;
    return input;
  });
}

/** Shapes the user gave, by position (--input_shapes) or by name (the API's dict). */
function applyShapes(graph: Graph, ctx: PassContext): void {
  const shapes = ctx.options.inputShapes ?? [];
  if (shapes.length > graph.inputs.length) {
    throw new UsageError(`--input_shapes gives ${shapes.length} shapes for ${graph.inputs.length} inputs`);
  }
  const byName = ctx.options.inputShapesByName ?? {};
  for (const name of Object.keys(byName)) {
    if (!graph.inputs.some((t) => t.name === name)) throw new UsageError(`an input shape is given for "${name}", which is not an input`);
  }
  graph.inputs.forEach((input, i) => {
    const given = byName[input.name] ?? shapes[i];
    if (given !== undefined && given !== null) {
      if (input.shape !== null && input.shape.length !== given.length) {
        throw new UsageError(`--input_shapes: input "${input.name}" has rank ${input.shape.length}, the shape given is [${given}]`);
      }
      input.shape = given.slice();
    }
  });
}

/**
 * fix-input-shapes: every input the outputs need must have a static shape for TFLite (LiteRT
 * cannot resize -1 dimensions everywhere, and shape inference needs them). An unknown batch
 * becomes 1 with a notice; anything else unknown is an error naming the input. Runs after the
 * first prune, so inputs that dropout removal or pruning made unnecessary (keep_prob) are gone.
 */
export const fixInputShapes: Pass = {
  name: 'fix-input-shapes',
  run(model, ctx) {
    for (const input of model.main.inputs) {
      if (input.shape === null) {
        throw new UsageError(`input "${input.name}" has an unknown shape: give it with --input_shapes`);
      }
      if (input.shape[0] === -1) {
        input.shape[0] = 1;
        ctx.notice(`input "${input.name}": unknown batch dimension set to 1 (use --input_shapes to choose)`);
      }
      const unknown = input.shape.findIndex((d) => d < 0);
      if (unknown >= 0) {
        throw new UsageError(`input "${input.name}" has unknown dimension ${unknown} in [${input.shape}]: give it with --input_shapes`);
      }
    }
    return '';
  },
};

function selectOutputs(model: Model, ctx: PassContext): void {
  const graph = model.main;
  const requested = ctx.options.outputArrays;
  // A source that declares its outputs (a tfjs model.json or SavedModel signature) gives the defaults.
  const declared = model.signatures[0]?.outputs.map((e) => e.tensor);
  model.signatures = [];
  if ((requested === undefined || requested.length === 0) && declared !== undefined && declared.length > 0) {
    graph.outputs = declared;
    return;
  }
  if (requested !== undefined && requested.length > 0) {
    graph.outputs = requested.map((ref) => {
      const found = findTensor(graph, ref);
      if (found === undefined) throw new UsageError(`--output_arrays: no node named "${ref}" (nodes: ${known(graph)})`);
      return found;
    });
    return;
  }
  const read = new Set<string>();
  for (const op of graph.ops) {
    for (const t of op.inputs) if (t?.producer) read.add(t.producer.name);
    if (op.dialect === 'tf') for (const c of op.controlInputs) read.add(c);
  }
  graph.outputs = graph.ops
    .filter((op) => !read.has(op.name) && op.outputs.length > 0 && !(op.dialect === 'tf' && isBookkeepingOp(op.type)))
    .map((op) => op.outputs[0]!);
  if (graph.outputs.length === 0) throw new UsageError('the graph has no outputs: name them with --output_arrays');
}

export const selectIo: Pass = {
  name: 'select-io',
  run(model, ctx) {
    const graph = model.main;
    selectInputs(model, ctx);
    applyShapes(graph, ctx);
    selectOutputs(model, ctx);
    return `inputs ${graph.inputs.map((t) => t.name).join(', ')}; outputs ${graph.outputs.map((t) => t.name).join(', ')}`;
  },
};
