/** Golden-graph tests of the passes that run on TF ops: select-io, remove-identity, remove-dropout, prune, and legalize's error listing. */
import { describe, expect, test } from 'vitest';
import { UnsupportedError, UsageError } from '../../src/util/errors.js';
import { attr, GraphDefBuilder } from '../helpers/graphdef-builder.js';
import { golden, runSteps } from '../helpers/passes.js';

const F = { T: attr.type('float32') };

describe('select-io', () => {
  test('a named Const becomes an input; the unknown batch is set to 1 with a notice', () => {
    const pb = new GraphDefBuilder()
      .placeholder('p', [-1, 3])
      .constant('c', Float32Array.from([1, 2, 3]), [1, 3])
      .node('y', 'AddV2', ['p', 'c'], F)
      .encode();
    const { text, notices } = runSteps(pb, ['select-io', 'fix-input-shapes'], { inputArrays: ['p', 'c'] });
    expect(text).toBe(
      golden(`
        graph main(%p: float32[1,3], %c: float32[1,3]) -> (%y)
          %y: float32* = tf.AddV2(%p, %c) {T: "float32"}
      `),
    );
    expect(notices).toEqual(['input "p": unknown batch dimension set to 1 (use --input_shapes to choose)']);
  });

  test('input shapes by position and by name; errors for unknown names and ranks', () => {
    const pb = new GraphDefBuilder().placeholder('p', null).node('y', 'Relu', ['p'], F).encode();
    expect(runSteps(pb, ['select-io'], { inputShapes: [[2, 5]] }).text).toContain('%p: float32[2,5]');
    expect(runSteps(pb, ['select-io'], { inputShapesByName: { p: [7] } }).text).toContain('%p: float32[7]');
    expect(() => runSteps(pb, ['select-io', 'fix-input-shapes'])).toThrow(/input "p" has an unknown shape: give it with --input_shapes/);
    expect(() => runSteps(pb, ['select-io'], { inputArrays: ['nope'] })).toThrow(UsageError);
    expect(() => runSteps(pb, ['select-io'], { outputArrays: ['nope'], inputShapes: [[1]] })).toThrow(/--output_arrays: no node named "nope"/);
  });

  test('default outputs are the nodes nobody reads, without bookkeeping ops', () => {
    const pb = new GraphDefBuilder()
      .placeholder('p', [1])
      .node('a', 'Relu', ['p'], F)
      .node('b', 'Neg', ['p'], F)
      .node('init', 'NoOp', ['^a'])
      .encode();
    expect(runSteps(pb, ['select-io']).text.split('\n')[0]).toBe('graph main(%p: float32[1]) -> (%b)');
  });
});

test('select-io: an output only the user asks for (split:1) is created', () => {
  const pb = new GraphDefBuilder()
    .placeholder('x', [4])
    .constant('axis', Int32Array.from([0]), [])
    .node('s', 'Split', ['axis', 'x'], { T: attr.type('float32'), num_split: attr.i(2) })
    .node('y', 'Relu', ['s'], F)
    .encode();
  const { text } = runSteps(pb, ['select-io', 'prune'], { outputArrays: ['y', 's:1'] });
  expect(text.split('\n')[0]).toBe('graph main(%x: float32[4]) -> (%y, %s:1)');
  expect(text).toContain('%s: float32*, %s:1: float32* = tf.Split(%axis, %x)');
});

describe('remove-identity', () => {
  test('identities vanish and the output keeps the name the user asked for', () => {
    const pb = new GraphDefBuilder()
      .placeholder('x', [2])
      .node('id1', 'Identity', ['x'], F)
      .node('r', 'Relu', ['id1'], F)
      .node('stop', 'StopGradient', ['r'], F)
      .node('output', 'Identity', ['stop'], F)
      .encode();
    const { text } = runSteps(pb, ['select-io', 'remove-identity', 'prune']);
    expect(text).toBe(
      golden(`
        graph main(%x: float32[2]) -> (%output)
          %output: float32* = tf.Relu(%x) {T: "float32"}
      `),
    );
  });

  test('PlaceholderWithDefault that is not an input yields its default', () => {
    const pb = new GraphDefBuilder()
      .placeholder('x', [2])
      .constant('d', Float32Array.from([0.5]), [])
      .node('rate', 'PlaceholderWithDefault', ['d'], { dtype: attr.type('float32'), shape: attr.shape([]) })
      .node('y', 'Mul', ['x', 'rate'], F)
      .encode();
    const { text } = runSteps(pb, ['select-io', 'remove-identity', 'prune']);
    expect(text).toContain('%y: float32* = tf.Mul(%x, %d)');
  });
});

describe('remove-dropout', () => {
  /** TF1's tf.nn.dropout: x / keep_prob * floor(keep_prob + random_uniform). */
  function tf1Dropout() {
    return new GraphDefBuilder()
      .placeholder('x', [1, 4])
      .placeholder('keep_prob', null)
      .constant('shape', Int32Array.from([1, 4]), [2])
      .node('dropout/random_uniform', 'RandomUniform', ['shape'], { T: attr.type('int32'), dtype: attr.type('float32') })
      .node('dropout/add', 'Add', ['keep_prob', 'dropout/random_uniform'], F)
      .node('dropout/Floor', 'Floor', ['dropout/add'], F)
      .node('dropout/div', 'RealDiv', ['x', 'keep_prob'], F)
      .node('dropout/mul', 'Mul', ['dropout/div', 'dropout/Floor'], F)
      .node('y', 'Relu', ['dropout/mul'], F)
      .encode();
  }

  test('TF1 dropout and its keep_prob placeholder disappear', () => {
    const { text } = runSteps(tf1Dropout(), ['select-io', 'remove-identity', 'remove-dropout', 'prune'], { inputArrays: ['x'] });
    expect(text).toBe(
      golden(`
        graph main(%x: float32[1,4]) -> (%y)
          %y: float32* = tf.Relu(%x) {T: "float32"}
      `),
    );
  });

  test('TF2 dropout (x * scale * Cast(random >= rate)) disappears', () => {
    const pb = new GraphDefBuilder()
      .placeholder('x', [1, 4])
      .constant('shape', Int32Array.from([1, 4]), [2])
      .constant('scale', Float32Array.from([2]), [])
      .constant('rate', Float32Array.from([0.5]), [])
      .node('r', 'RandomUniform', ['shape'], { T: attr.type('int32'), dtype: attr.type('float32') })
      .node('ge', 'GreaterEqual', ['r', 'rate'], F)
      .node('mask', 'Cast', ['ge'], { SrcT: attr.type('bool'), DstT: attr.type('float32') })
      .node('scaled', 'Mul', ['x', 'scale'], F)
      .node('out', 'Mul', ['scaled', 'mask'], F)
      .encode();
    const { text } = runSteps(pb, ['select-io', 'remove-dropout', 'prune']);
    expect(text).toBe('graph main(%x: float32[1,4]) -> (%x)');
  });

  test('two dropouts in a row, keep probability computed as 1 - rate, both go', () => {
    const g = new GraphDefBuilder().placeholder('x', [1, 4]).placeholder('rate', null).constant('one', Float32Array.from([1]), []);
    g.constant('shape', Int32Array.from([1, 4]), [2]);
    for (const d of ['d1', 'd2']) {
      const input = d === 'd1' ? 'x' : 'r1';
      g.node(`${d}/keep`, 'Sub', ['one', 'rate'], F)
        .node(`${d}/u`, 'RandomUniform', ['shape'], { T: attr.type('int32'), dtype: attr.type('float32') })
        // The uniform draw is itself scaled (max - min): a Mul on the random path, not a dropout.
        .node(`${d}/u_scaled`, 'Mul', [`${d}/u`, 'one'], F)
        .node(`${d}/add`, 'Add', [`${d}/keep`, `${d}/u_scaled`], F)
        .node(`${d}/floor`, 'Floor', [`${d}/add`], F)
        .node(`${d}/div`, 'RealDiv', [input, `${d}/keep`], F)
        .node(`${d}/mul`, 'Mul', [`${d}/div`, `${d}/floor`], F)
        .node(d === 'd1' ? 'r1' : 'y', 'Relu', [`${d}/mul`], F);
    }
    const { text, summaries } = runSteps(g.encode(), ['select-io', 'remove-dropout', 'prune'], { inputArrays: ['x'] });
    expect(summaries).toContain('removed 2 dropout layers');
    expect(text).toBe(
      golden(`
        graph main(%x: float32[1,4]) -> (%y)
          %r1: float32* = tf.Relu(%x) {T: "float32"}
          %y: float32* = tf.Relu(%r1) {T: "float32"}
      `),
    );
  });

  test('a Mul without a random mask is left alone', () => {
    const pb = new GraphDefBuilder().placeholder('x', [2]).placeholder('k', [2]).node('m', 'Mul', ['x', 'k'], F).encode();
    expect(runSteps(pb, ['select-io', 'remove-dropout', 'prune']).text).toContain('tf.Mul(%x, %k)');
  });
});

describe('prune and legalize errors', () => {
  test('an output that needs a Placeholder left out of the inputs is a usage error naming it', () => {
    const pb = new GraphDefBuilder().placeholder('x', [2]).placeholder('k', [2]).node('m', 'Mul', ['x', 'k'], F).encode();
    expect(() => runSteps(pb, ['select-io', 'prune'], { inputArrays: ['x'] })).toThrow(/depend on "k", which is not an input/);
  });

  test('every unsupported op type is listed with its nodes, not just the first', () => {
    const pb = new GraphDefBuilder()
      .placeholder('x', [2])
      .node('a', 'Erfinv', ['x'], F)
      .node('b', 'Digamma', ['a'], F)
      .node('c', 'Erfinv', ['b'], F)
      .encode();
    expect(() => runSteps(pb, ['select-io', 'prune', 'legalize'])).toThrow(UnsupportedError);
    expect(() => runSteps(pb, ['select-io', 'prune', 'legalize'])).toThrow(
      /2 TensorFlow op types have no TFLite conversion: Erfinv \("a", "c"\); Digamma \("b"\)/,
    );
  });

  test('--allow_custom_ops keeps them as CUSTOM ops', () => {
    const pb = new GraphDefBuilder().placeholder('x', [2]).node('a', 'Erfinv', ['x'], F).node('r', 'Relu', ['a'], F).encode();
    const { text } = runSteps(pb, ['select-io', 'prune', 'legalize'], { allowCustomOps: true });
    expect(text).toContain('%a: float32* = Erfinv(%x)');
    expect(text).toContain('%r: float32* = RELU(%a)');
  });
});

describe('resolve-switch-merge', () => {
  /** Keras's learning-phase cond: training → x * 0.5 (a stand-in for dropout), inference → x. */
  function keras(learningPhase: (g: GraphDefBuilder) => void) {
    const g = new GraphDefBuilder().placeholder('x', [1, 3]);
    learningPhase(g);
    return g
      .constant('half', Float32Array.from([0.5]), [])
      .node('cond/Switch', 'Switch', ['x', 'keras_learning_phase'], F)
      .node('cond/train', 'Mul', ['cond/Switch:1', 'half'], F)
      .node('cond/infer', 'Identity', ['cond/Switch'], F)
      .node('cond/Merge', 'Merge', ['cond/infer', 'cond/train'], { T: attr.type('float32'), N: attr.i(2) })
      .node('y', 'Relu', ['cond/Merge'], F)
      .encode();
  }
  const STEPS = ['select-io', 'remove-identity', 'resolve-switch-merge', 'prune'];

  test('a PlaceholderWithDefault(false) learning phase takes the inference branch', () => {
    const pb = keras((g) =>
      g
        .constant('false', Uint8Array.from([0]), [], 'bool')
        .node('keras_learning_phase', 'PlaceholderWithDefault', ['false'], { dtype: attr.type('bool'), shape: attr.shape([]) }),
    );
    expect(runSteps(pb, STEPS).text).toBe(
      golden(`
        graph main(%x: float32[1,3]) -> (%y)
          %y: float32* = tf.Relu(%x) {T: "float32"}
      `),
    );
  });

  test('a keras_learning_phase Placeholder not chosen as input is false, with a notice', () => {
    const pb = keras((g) => g.placeholder('keras_learning_phase', [], 'bool'));
    const run = runSteps(pb, STEPS, { inputArrays: ['x'] });
    expect(run.text).toContain('%y: float32* = tf.Relu(%x)');
    expect(run.notices).toContain('"keras_learning_phase" is taken as false (inference)');
  });

  test('a Switch on a real input is left alone', () => {
    const pb = keras((g) => g.placeholder('keras_learning_phase', [], 'bool'));
    expect(runSteps(pb, STEPS).text).toContain('tf.Switch(%x, %keras_learning_phase)');
  });
});
