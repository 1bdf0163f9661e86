/**
 * A compact text form of a graph, for golden tests of passes and for debugging:
 *
 *   graph main(%x: float32[1,4]) -> (%y)
 *     %w = const float32[3,4]
 *     %y: float32[1,3] = FULLY_CONNECTED(%x, %w, -) {fusedActivationFunction: RELU, keepNumDims: false, ...}
 *
 * Constants print their dtype and shape (and their values when small); omitted optional inputs
 * print as `-`. Enum-valued options print by name.
 */
import { ActivationFunctionType } from '../../generated/tflite/activation-function-type.js';
import { Padding } from '../../generated/tflite/padding.js';
import type { Graph } from './graph.js';
import { opTypeName, type Op, type TfAttr } from './op.js';
import { constValues, type Tensor } from './tensor.js';

const ENUM_FIELDS: Record<string, Record<number, string>> = {
  fusedActivationFunction: ActivationFunctionType,
  padding: Padding,
};

function typeText(t: Tensor): string {
  const shape = t.shape === null ? '*' : `[${t.shape.join(',')}]`;
  return `${t.dtype ?? '?'}${shape}`;
}

function constText(t: Tensor): string {
  let text = `const ${typeText(t)}`;
  if (t.data?.kind === 'bytes' && t.dtype !== null) {
    try {
      const values = Array.from(constValues(t.data, t.dtype) as ArrayLike<number | bigint>, Number);
      if (values.length <= 8) text += ` [${values.map((v) => +v.toPrecision(6)).join(', ')}]`;
    } catch {
      // dtypes without a numeric view print without values
    }
  }
  return text;
}

function optionText(key: string, value: unknown): string {
  const names = ENUM_FIELDS[key];
  if (names !== undefined && typeof value === 'number') return `${key}: ${names[value] ?? value}`;
  return `${key}: ${JSON.stringify(value)}`;
}

function attrText(attr: TfAttr): string {
  switch (attr.kind) {
    case 's':
      return JSON.stringify(attr.text);
    case 'list':
      return JSON.stringify(Object.fromEntries(Object.entries(attr.value).filter(([, v]) => (v as unknown[]).length > 0)));
    case 'tensor':
      return `tensor ${attr.value.dtype}[${attr.value.shape.join(',')}]`;
    case 'func':
      return `func ${attr.name}`;
    case 'placeholder':
      return `placeholder ${attr.name}`;
    default:
      return JSON.stringify(attr.value);
  }
}

function opAttributes(op: Op): string {
  if (op.dialect === 'tf') {
    const entries = [...op.attrs].map(([k, v]) => `${k}: ${attrText(v)}`);
    return entries.length > 0 ? ` {${entries.join(', ')}}` : '';
  }
  const value = op.options?.value;
  if (value === undefined) return '';
  const entries = Object.entries(value).map(([k, v]) => optionText(k, v));
  return entries.length > 0 ? ` {${entries.join(', ')}}` : '';
}

export function graphToText(graph: Graph): string {
  const names = new Map<Tensor, string>();
  const taken = new Set<string>();
  const nameOf = (t: Tensor): string => {
    let name = names.get(t);
    if (name === undefined) {
      const base = `%${t.name || 't'}`;
      name = base;
      for (let i = 1; taken.has(name); i++) name = `${base}#${i}`;
      taken.add(name);
      names.set(t, name);
    }
    return name;
  };
  const lines: string[] = [];
  const inputs = graph.inputs.map((t) => `${nameOf(t)}: ${typeText(t)}`).join(', ');
  const outputs = graph.outputs.map(nameOf);
  lines.push(`graph ${graph.name || 'main'}(${inputs}) -> (${outputs.join(', ')})`);
  const printed = new Set<Tensor>(graph.inputs);
  const printConst = (t: Tensor | null) => {
    if (t === null || printed.has(t) || t.data === null) return;
    printed.add(t);
    lines.push(`  ${nameOf(t)} = ${constText(t)}`);
  };
  for (const op of graph.ops) {
    op.inputs.forEach(printConst);
    const results = op.outputs.map((t) => `${nameOf(t)}: ${typeText(t)}`).join(', ');
    const args = op.inputs.map((t) => (t === null ? '-' : nameOf(t))).join(', ');
    const type = op.dialect === 'tf' ? `tf.${op.type}` : opTypeName(op);
    lines.push(`  ${results} = ${type}(${args})${opAttributes(op)}`);
  }
  graph.outputs.forEach(printConst);
  return lines.join('\n');
}
