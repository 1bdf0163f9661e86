/** Golden-graph tests of legalize → fold-constants → fuse-bias-add → fuse-activation, including where they must not fire. */
import { describe, expect, test } from 'vitest';
import { attr, GraphDefBuilder } from '../helpers/graphdef-builder.js';
import { golden, runSteps } from '../helpers/passes.js';

const ALL = ['select-io', 'remove-identity', 'remove-dropout', 'prune', 'legalize', 'fold-constants', 'fuse-activation-patterns', 'fuse-mul-into-weights', 'fuse-bias-add', 'fuse-activation'];

function mlp(extra: (g: GraphDefBuilder) => void = () => {}) {
  const g = new GraphDefBuilder()
    .placeholder('x', [1, 2])
    .constant('w', Float32Array.from([1, 2, 3, 4, 5, 6]), [2, 3])
    .constant('b', Float32Array.from([0.5, -0.5, 1]), [3])
    .node('mm', 'MatMul', ['x', 'w'], { T: attr.type('float32') })
    .node('ba', 'BiasAdd', ['mm', 'b'], { T: attr.type('float32') })
    .node('relu', 'Relu', ['ba'], { T: attr.type('float32') });
  extra(g);
  return g.encode();
}

describe('legalize + fold-constants', () => {
  test('MatMul becomes FULLY_CONNECTED; its transposed weights fold into a constant', () => {
    const { text } = runSteps(mlp(), ['select-io', 'legalize', 'fold-constants']);
    expect(text).toBe(
      golden(`
        graph main(%x: float32[1,2]) -> (%relu)
          %mm/weights = const float32[3,2] [1, 4, 2, 5, 3, 6]
          %mm: float32[1,3] = FULLY_CONNECTED(%x, %mm/weights, -) {fusedActivationFunction: NONE, weightsFormat: 0, keepNumDims: false, asymmetricQuantizeInputs: false, quantizedBiasType: 0}
          %b = const float32[3] [0.5, -0.5, 1]
          %ba: float32[1,3] = ADD(%mm, %b) {fusedActivationFunction: NONE, potScaleInt16: true}
          %relu: float32[1,3] = RELU(%ba)
      `),
    );
  });
});

describe('fuse-bias-add and fuse-activation', () => {
  test('MatMul + BiasAdd + Relu is one FULLY_CONNECTED with bias and RELU', () => {
    const { text } = runSteps(mlp(), ALL);
    expect(text).toBe(
      golden(`
        graph main(%x: float32[1,2]) -> (%relu)
          %mm/weights = const float32[3,2] [1, 4, 2, 5, 3, 6]
          %b = const float32[3] [0.5, -0.5, 1]
          %relu: float32[1,3] = FULLY_CONNECTED(%x, %mm/weights, %b) {fusedActivationFunction: RELU, weightsFormat: 0, keepNumDims: false, asymmetricQuantizeInputs: false, quantizedBiasType: 0}
      `),
    );
  });

  test('does not fuse the bias when the FULLY_CONNECTED output has another reader', () => {
    const pb = mlp((g) => g.node('other', 'Neg', ['mm'], { T: attr.type('float32') }));
    const { text } = runSteps(pb, ALL, { outputArrays: ['relu', 'other'] });
    expect(text).toContain('%mm: float32[1,3] = FULLY_CONNECTED(%x, %mm/weights, -)');
    expect(text).toContain('%relu: float32[1,3] = ADD(%mm, %b) {fusedActivationFunction: RELU');
    expect(text).toContain('= NEG(%mm)');
  });

  test('does not fuse an activation into an op whose output is a model output', () => {
    const { text } = runSteps(mlp(), ALL, { outputArrays: ['ba', 'relu'] });
    expect(text).toContain('%ba: float32[1,3] = FULLY_CONNECTED(%x, %mm/weights, %b) {fusedActivationFunction: NONE');
    expect(text).toContain('%relu: float32[1,3] = RELU(%ba)');
  });

  test('does not fuse a bias that is not one value per output channel', () => {
    const pb = new GraphDefBuilder()
      .placeholder('x', [1, 2])
      .constant('w', Float32Array.from([1, 2, 3, 4, 5, 6]), [2, 3])
      .constant('c', Float32Array.from([1]), [1])
      .node('mm', 'MatMul', ['x', 'w'], { T: attr.type('float32') })
      .node('add', 'AddV2', ['mm', 'c'], { T: attr.type('float32') })
      .encode();
    const { text } = runSteps(pb, ALL);
    expect(text).toContain('%add: float32[1,3] = ADD(%mm, %c)');
  });

  test('a second activation is not fused over the first', () => {
    const pb = mlp((g) => g.node('relu6', 'Relu6', ['relu'], { T: attr.type('float32') }));
    const { text } = runSteps(pb, ALL);
    expect(text).toContain('%relu: float32[1,3] = FULLY_CONNECTED(%x, %mm/weights, %b) {fusedActivationFunction: RELU');
    expect(text).toContain('%relu6: float32[1,3] = RELU6(%relu)');
  });
});

describe('fuse-mul-into-weights', () => {
  /** x · w, then × s (one factor per output unit), then + b: a dense layer with batch norm. */
  function scaled(extra: (g: GraphDefBuilder) => void = () => {}, scale = Float32Array.from([2, 10, -1]), scaleShape = [3]) {
    const g = new GraphDefBuilder()
      .placeholder('x', [1, 2])
      .constant('w', Float32Array.from([1, 2, 3, 4, 5, 6]), [2, 3])
      .constant('s', scale, scaleShape)
      .constant('b', Float32Array.from([0.5, -0.5, 1]), [3])
      .node('mm', 'MatMul', ['x', 'w'], { T: attr.type('float32') })
      .node('bn/mul', 'Mul', ['mm', 's'], { T: attr.type('float32') })
      .node('bn/add', 'AddV2', ['bn/mul', 'b'], { T: attr.type('float32') });
    extra(g);
    return g.encode();
  }

  test('a per-channel multiply scales the weights rows, then the add becomes the bias', () => {
    const { text } = runSteps(scaled(), ALL);
    expect(text).toBe(
      golden(`
        graph main(%x: float32[1,2]) -> (%bn/add)
          %mm/weights/scaled = const float32[3,2] [2, 8, 20, 50, -3, -6]
          %b = const float32[3] [0.5, -0.5, 1]
          %bn/add: float32[1,3] = FULLY_CONNECTED(%x, %mm/weights/scaled, %b) {fusedActivationFunction: NONE, weightsFormat: 0, keepNumDims: false, asymmetricQuantizeInputs: false, quantizedBiasType: 0}
      `),
    );
  });

  test('a scalar multiply is not per channel and stays', () => {
    const { text } = runSteps(scaled(() => {}, Float32Array.from([2]), []), ALL);
    expect(text).toContain('= MUL(%mm, %s)');
  });

  test('a multiply after an activation is not folded into the weights', () => {
    const pb = new GraphDefBuilder()
      .placeholder('x', [1, 2])
      .constant('w', Float32Array.from([1, 2, 3, 4, 5, 6]), [2, 3])
      .constant('s', Float32Array.from([2, 10, -1]), [3])
      .node('mm', 'MatMul', ['x', 'w'], { T: attr.type('float32') })
      .node('r', 'Relu', ['mm'], { T: attr.type('float32') })
      .node('m', 'Mul', ['r', 's'], { T: attr.type('float32') })
      .encode();
    const { text } = runSteps(pb, ALL);
    expect(text).toContain('%r: float32[1,3] = FULLY_CONNECTED(%x, %mm/weights, -) {fusedActivationFunction: RELU');
    expect(text).toContain('%m: float32[1,3] = MUL(%r, %s)');
  });

  test('not when the layer output has another reader', () => {
    const { text } = runSteps(scaled((g) => g.node('other', 'Neg', ['mm'], { T: attr.type('float32') })), ALL, {
      outputArrays: ['bn/add', 'other'],
    });
    expect(text).toContain('= MUL(%mm, %s)');
    expect(text).toContain('= NEG(%mm)');
  });
});

describe('fuse-activation-patterns', () => {
  const F = { T: attr.type('float32') };
  const scalarConst = (g: GraphDefBuilder, name: string, v: number) => g.constant(name, Float32Array.from([v]), []);

  test('MAXIMUM(x, x * 0.2) is LEAKY_RELU(0.2)', () => {
    const g = new GraphDefBuilder().placeholder('x', [4]);
    scalarConst(g, 'a', 0.2).node('m', 'Mul', ['a', 'x'], F).node('lr', 'Maximum', ['x', 'm'], F);
    const { text } = runSteps(g.encode(), ALL.concat('prune'));
    expect(text).toBe(
      golden(`
        graph main(%x: float32[4]) -> (%lr)
          %lr: float32[4] = LEAKY_RELU(%x) {alpha: 0.20000000298023224}
      `),
    );
  });

  test('MAXIMUM(x, x * 2) is not a leaky relu', () => {
    const g = new GraphDefBuilder().placeholder('x', [4]);
    scalarConst(g, 'a', 2).node('m', 'Mul', ['x', 'a'], F).node('lr', 'Maximum', ['x', 'm'], F);
    expect(runSteps(g.encode(), ALL).text).toContain('= MAXIMUM(%x, %m)');
  });

  test.each([
    ['(x · relu6(x+3)) · 1/6', (g: GraphDefBuilder) => g.node('p', 'Mul', ['x', 'r6'], F).node('hs', 'Mul', ['p', 'sixth'], F)],
    ['(x · relu6(x+3)) / 6', (g: GraphDefBuilder) => g.node('p', 'Mul', ['r6', 'x'], F).node('hs', 'RealDiv', ['p', 'six'], F)],
    ['x · (relu6(x+3) · 1/6)', (g: GraphDefBuilder) => g.node('q', 'Mul', ['r6', 'sixth'], F).node('hs', 'Mul', ['x', 'q'], F)],
  ])('%s is HARD_SWISH', (_label, tail) => {
    const g = new GraphDefBuilder().placeholder('x', [1, 5]);
    scalarConst(g, 'three', 3);
    scalarConst(g, 'six', 6);
    scalarConst(g, 'sixth', 1 / 6);
    g.node('a', 'AddV2', ['x', 'three'], F).node('r6', 'Relu6', ['a'], F);
    tail(g);
    const { text } = runSteps(g.encode(), ALL.concat('prune'), { outputArrays: ['hs'] });
    expect(text).toBe(
      golden(`
        graph main(%x: float32[1,5]) -> (%hs)
          %hs: float32[1,5] = HARD_SWISH(%x)
      `),
    );
  });

  test('not when the relu6 result is also read elsewhere', () => {
    const g = new GraphDefBuilder().placeholder('x', [1, 5]);
    scalarConst(g, 'three', 3);
    scalarConst(g, 'sixth', 1 / 6);
    g.node('a', 'AddV2', ['x', 'three'], F).node('r6', 'Relu6', ['a'], F).node('p', 'Mul', ['x', 'r6'], F).node('hs', 'Mul', ['p', 'sixth'], F);
    const { text } = runSteps(g.encode(), ALL, { outputArrays: ['hs', 'r6'] });
    expect(text).not.toContain('HARD_SWISH');
  });
});

describe('dedupe', () => {
  const F = { T: attr.type('float32') };
  test('equal constants and identical ops are merged; different ones are kept', () => {
    const pb = new GraphDefBuilder()
      .placeholder('x', [1, 3])
      .constant('c1', Float32Array.from([1, 2, 3]), [3])
      .constant('c2', Float32Array.from([1, 2, 3]), [3])
      .constant('c3', Float32Array.from([1, 2, 4]), [3])
      .node('a1', 'AddV2', ['x', 'c1'], F)
      .node('a2', 'AddV2', ['x', 'c2'], F)
      .node('a3', 'AddV2', ['x', 'c3'], F)
      .node('s', 'Sub', ['a1', 'a2'], F)
      .node('m', 'Mul', ['s', 'a3'], F)
      .encode();
    const { text, summaries } = runSteps(pb, [...ALL, 'dedupe', 'prune']);
    expect(text).toBe(
      golden(`
        graph main(%x: float32[1,3]) -> (%m)
          %c1 = const float32[3] [1, 2, 3]
          %a1: float32[1,3] = ADD(%x, %c1) {fusedActivationFunction: NONE, potScaleInt16: true}
          %c3 = const float32[3] [1, 2, 4]
          %a3: float32[1,3] = ADD(%x, %c3) {fusedActivationFunction: NONE, potScaleInt16: true}
          %s: float32[1,3] = SUB(%a1, %a1) {fusedActivationFunction: NONE, potScaleInt16: true}
          %m: float32[1,3] = MUL(%s, %a3) {fusedActivationFunction: NONE}
      `),
    );
    expect(summaries).toContain('merged 1 duplicate constants, 1 duplicate ops');
  });
});
