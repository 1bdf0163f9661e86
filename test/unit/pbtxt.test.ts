import fs from 'node:fs';
import path from 'node:path';
import protobuf from 'protobufjs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseTextProto } from '../../src/import/pbtxt.js';
import { ModelFormatError } from '../../src/util/errors.js';

const root = protobuf.Root.fromJSON(
  JSON.parse(fs.readFileSync(new URL('../../generated/tf-protos.json', import.meta.url), 'utf8')) as protobuf.INamespace,
);
const GraphDef = root.lookupType('tensorflow.GraphDef');
const TensorProto = root.lookupType('tensorflow.TensorProto');
const AttrValue = root.lookupType('tensorflow.AttrValue');
const NodeDef = root.lookupType('tensorflow.NodeDef');

const MODELS = '/work/shared/models';

/** Comparable form of a message: exact 64-bit values, bytes as base64, no defaults. */
function plain(type: protobuf.Type, msg: protobuf.Message): Record<string, unknown> {
  return type.toObject(msg, { longs: String, bytes: String, defaults: false });
}

/** What the lead does: the parsed object through fromObject. */
function parseMessage(text: string, type: protobuf.Type): protobuf.Message {
  return type.fromObject(parseTextProto(text, type));
}

function encodeParsed(text: string, type: protobuf.Type): Uint8Array {
  return type.encode(parseMessage(text, type)).finish();
}

function parseError(text: string, type: protobuf.Type = GraphDef): ModelFormatError {
  try {
    parseTextProto(text, type);
  } catch (err) {
    expect(err).toBeInstanceOf(ModelFormatError);
    return err as ModelFormatError;
  }
  throw new Error(`expected a ModelFormatError for ${JSON.stringify(text)}`);
}

function findPbFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.name.endsWith('.pb')) out.push(p);
    }
  };
  walk(path.join(MODELS, 'utensor_cgen'));
  for (const d of fs.readdirSync(path.join(MODELS, 'tensorflow_onnx'))) {
    const p = path.join(MODELS, 'tensorflow_onnx', d, 'frozen.pb');
    if (fs.existsSync(p)) out.push(p);
  }
  return out.sort();
}

// ---------------------------------------------------------------------------------------------
// A generic TextFormat printer (test-only). Without a PRNG it prints the way TF's C++ TextFormat
// does: fields in number order, `name: value` / `name {`, bytes escaped in octal. With a PRNG it
// picks among all the alternative spellings the parser accepts, to exercise them on real graphs.

type Rng = () => number;

function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Dict = Record<string, unknown>;

class TextPrinter {
  private readonly out: string[] = [];

  constructor(private readonly rng?: Rng) {}

  print(type: protobuf.Type, msg: protobuf.Message | Dict): string {
    this.fields(type, msg as unknown as Dict, '');
    return this.out.join('');
  }

  private chance(p: number): boolean {
    return this.rng !== undefined && this.rng() < p;
  }

  private pick(...options: string[]): string {
    return this.rng === undefined ? (options[0] ?? '') : (options[Math.floor(this.rng() * options.length)] ?? '');
  }

  private fields(type: protobuf.Type, msg: Dict, indent: string): void {
    const fields = [...type.fieldsArray].sort((a, b) => a.id - b.id);
    for (const f of fields) {
      f.resolve();
      if (!Object.prototype.hasOwnProperty.call(msg, f.name)) continue;
      const v = msg[f.name];
      if (v === null || v === undefined) continue;
      if (f.map) {
        const map = v as Dict;
        for (const k of Object.keys(map)) this.mapEntry(f as unknown as protobuf.MapField, k, map[k], indent);
      } else if (f.repeated) {
        const list = v as unknown[];
        if (list.length === 0) continue;
        if (this.chance(0.4)) this.list(f, list, indent);
        else for (const item of list) this.field(f, item, indent);
      } else {
        // Like C++: proto3 scalars without presence are printed only when not the default.
        if (!f.hasPresence && isDefault(v)) continue;
        this.field(f, v, indent);
      }
    }
  }

  private endField(): void {
    this.out.push(this.pick('', '', '', ',', ';'));
    if (this.chance(0.05)) this.out.push(' # a comment, with { and " inside');
    this.out.push('\n');
  }

  private open(): [string, string] {
    return this.chance(0.2) ? ['<', '>'] : ['{', '}'];
  }

  private field(f: protobuf.Field, v: unknown, indent: string): void {
    const rt = f.resolvedType;
    if (rt instanceof protobuf.Type) {
      const [o, c] = this.open();
      this.out.push(`${indent}${f.name}${this.pick(' ', ': ', '')}${o}\n`);
      this.fields(rt, v as Dict, `${indent}  `);
      this.out.push(`${indent}${c}`);
    } else {
      this.out.push(`${indent}${f.name}: ${this.scalar(f, v)}`);
    }
    this.endField();
  }

  /** `name: [a, b]` for scalars, `name [{...}, {...}]` for messages. */
  private list(f: protobuf.Field, items: unknown[], indent: string): void {
    const rt = f.resolvedType;
    if (rt instanceof protobuf.Type) {
      this.out.push(`${indent}${f.name}${this.pick(' ', ': ')}[\n`);
      items.forEach((item, i) => {
        const [o, c] = this.open();
        this.out.push(`${indent}  ${o}\n`);
        this.fields(rt, item as Dict, `${indent}    `);
        this.out.push(`${indent}  ${c}${i < items.length - 1 ? ',' : ''}\n`);
      });
      this.out.push(`${indent}]`);
    } else {
      this.out.push(`${indent}${f.name}: [${items.map((item) => this.scalar(f, item)).join(this.pick(', ', ',', ' ,\n'))}]`);
    }
    this.endField();
  }

  private mapEntry(f: protobuf.MapField, key: string, value: unknown, indent: string): void {
    const [o, c] = this.open();
    this.out.push(`${indent}${f.name}${this.pick(' ', ': ')}${o}\n`);
    this.out.push(`${indent}  key: ${this.mapKey(f.keyType, key)}`);
    this.endField();
    const rt = f.resolvedType;
    if (rt instanceof protobuf.Type) {
      const [vo, vc] = this.open();
      this.out.push(`${indent}  value ${vo}\n`);
      this.fields(rt, value as Dict, `${indent}    `);
      this.out.push(`${indent}  ${vc}`);
    } else {
      this.out.push(`${indent}  value: ${this.scalar(f, value)}`);
    }
    this.endField();
    this.out.push(`${indent}${c}`);
    this.endField();
  }

  private mapKey(keyType: string, key: string): string {
    if (keyType === 'string') return this.str(Buffer.from(key, 'utf8'));
    if (/64$/.test(keyType)) {
      // protobufjs' decoder keys 64-bit maps by an 8-char hash of the value.
      return protobuf.util.LongBits.fromHash(key).toLong(keyType.startsWith('u') || keyType === 'fixed64').toString();
    }
    return key;
  }

  private scalar(f: protobuf.FieldBase, v: unknown): string {
    const rt = f.resolvedType;
    if (rt instanceof protobuf.Enum) {
      const name = rt.valuesById[v as number];
      return name === undefined || this.chance(0.2) ? String(v) : name;
    }
    switch (f.type) {
      case 'string':
        return this.str(Buffer.from(v as string, 'utf8'));
      case 'bytes':
        return this.str(v as Uint8Array);
      case 'bool':
        return v ? this.pick('true', 'True', 't', '1') : this.pick('false', 'False', 'f', '0');
      case 'float':
      case 'double':
        return this.float(v as number);
      default: {
        const text = String(v); // numbers and Longs (Long#toString is exact)
        if (this.chance(0.1)) {
          const big = BigInt(text);
          const neg = big < 0n;
          const abs = neg ? -big : big;
          const sign = neg ? '-' : '';
          return this.chance(0.5) ? `${sign}0x${abs.toString(16)}` : abs === 0n ? '0' : `${sign}0${abs.toString(8)}`;
        }
        return text;
      }
    }
  }

  private float(v: number): string {
    if (Number.isNaN(v)) return this.pick('nan', 'NaN', '-nan');
    if (v === Infinity) return this.pick('inf', 'Infinity', 'INF', 'infinity');
    if (v === -Infinity) return this.pick('-inf', '-Infinity');
    if (Object.is(v, -0)) return '-0';
    const text = String(v);
    return this.chance(0.1) ? `${text}f` : text;
  }

  /** A C-escaped literal. TF escapes bytes outside printable ASCII as three octal digits. */
  private str(bytes: Uint8Array): string {
    const quote = this.chance(0.2) ? "'" : '"';
    const parts: string[] = [quote];
    for (const b of bytes) {
      if (this.chance(0.005)) parts.push(`${quote} ${quote}`); // adjacent literals concatenate
      if (b === quote.charCodeAt(0)) parts.push(`\\${quote}`);
      else if (b === 92) parts.push('\\\\');
      else if (b === 10) parts.push('\\n');
      else if (b === 13) parts.push('\\r');
      else if (b === 9) parts.push('\\t');
      else if (b < 0x20 || b >= 0x7f || this.chance(0.01)) {
        parts.push(this.chance(0.3) ? `\\x${b.toString(16).padStart(2, '0')}` : `\\${b.toString(8).padStart(3, '0')}`);
      } else parts.push(String.fromCharCode(b));
    }
    parts.push(quote);
    return parts.join('');
  }
}

function isDefault(v: unknown): boolean {
  if (protobuf.util.Long !== null && v instanceof protobuf.util.Long) return v.low === 0 && v.high === 0;
  return Object.is(v, 0) || v === false || v === '' || (v instanceof Uint8Array && v.length === 0);
}

// ---------------------------------------------------------------------------------------------

/** /work/shared/models/utensor_cgen/add/test_add.pb as TF's write_graph(as_text=True) prints it. */
const ADD_PBTXT = String.raw`node {
  name: "x"
  op: "Const"
  attr {
    key: "dtype"
    value {
      type: DT_FLOAT
    }
  }
  attr {
    key: "value"
    value {
      tensor {
        dtype: DT_FLOAT
        tensor_shape {
          dim {
            size: 4
          }
        }
        tensor_content: "\000\000\200?\000\000\000@\000\000@@\000\000\200@"
      }
    }
  }
}
node {
  name: "y"
  op: "Const"
  attr {
    key: "dtype"
    value {
      type: DT_FLOAT
    }
  }
  attr {
    key: "value"
    value {
      tensor {
        dtype: DT_FLOAT
        tensor_shape {
          dim {
            size: 4
          }
        }
        tensor_content: "\000\000\200?\000\000\200?\000\000\200?\000\000\200?"
      }
    }
  }
}
node {
  name: "z"
  op: "Add"
  input: "x"
  input: "y"
  attr {
    key: "T"
    value {
      type: DT_FLOAT
    }
  }
}
versions {
  producer: 26
}
`;

/** The same graph in every alternative syntax the format allows. */
const ADD_PBTXT_ODD = String.raw`# comment at the top
node: { name: 'x' op: "Co" 'nst'; attr < key: "dtype", value: { type: 1 } >
  attr { value { tensor: < dtype: DT_FLOAT tensor_shape { dim [ { size: 0x4 } ] }
    tensor_content: "\x00\0\200\x3f" "\000\000\000@" '\000\000@@' "\x00\x00\x80\100" > } key: "value" } }
node <name: "y" op: "Const" attr [ {key: "dtype" value {type: DT_FLOAT}},
  {key: "value" value {tensor {dtype: DT_FLOAT tensor_shape {dim {size: 04}}
  tensor_content: "\000\000\200?\000\000\200?\000\000\200?\000\000\200?"}}} ]>;
node { name: "z" op: "Add" input: ["x", 'y'] attr { key: "T" value { type: DT_FLOAT } } },
versions { producer: 26 }  # trailing comment`;

describe('parseTextProto on hand-written GraphDefs', () => {
  const pb = fs.readFileSync(path.join(MODELS, 'utensor_cgen/add/test_add.pb'));
  const expected = plain(GraphDef, GraphDef.decode(pb));

  it('parses the add graph as TF prints it, equal to the binary fixture', () => {
    const parsed = parseTextProto(ADD_PBTXT, GraphDef);
    expect(plain(GraphDef, GraphDef.fromObject(parsed))).toEqual(expected);
    // Bytes are raw: \200 is one byte, not a UTF-8 sequence.
    const nodes = parsed.node as Dict[];
    const x = ((nodes[0]?.attr as Dict).value as Dict).tensor as Dict;
    expect(x.tensor_content).toEqual(new Uint8Array(new Float32Array([1, 2, 3, 4]).buffer));
  });

  it('parses the same graph written with every alternative syntax', () => {
    expect(plain(GraphDef, parseMessage(ADD_PBTXT_ODD, GraphDef))).toEqual(expected);
  });

  it('gives the fixture bytes exactly when map entries come in the file order', () => {
    const text = new TextPrinter().print(GraphDef, GraphDef.decode(pb));
    expect(Buffer.from(encodeParsed(text, GraphDef)).equals(pb)).toBe(true);
  });
});

describe('parse(print(decode(pb))) on every fixture GraphDef', () => {
  const files = findPbFiles();

  it('finds the fixtures', () => {
    expect(files.length).toBeGreaterThan(50);
  });

  it.each(files.map((f, i) => [path.relative(MODELS, f), f, i] as const))('%s', (_name, file, i) => {
    const pb = fs.readFileSync(file);
    const msg = GraphDef.decode(pb);
    for (const rng of [undefined, mulberry32(1000 + i)]) {
      const text = new TextPrinter(rng).print(GraphDef, msg);
      const back = parseMessage(text, GraphDef);
      expect(plain(GraphDef, back)).toEqual(plain(GraphDef, msg));
      // Field order, packing and map order all match, so the bytes are the original ones.
      expect(Buffer.from(GraphDef.encode(back).finish()).equals(pb)).toBe(true);
    }
  });
});

describe('scalar values', () => {
  it('keeps 64-bit integers exact beyond 2^53', () => {
    const text = `dtype: DT_INT64
      int64_val: [9007199254740993, -9223372036854775808, 9223372036854775807, -1, 0x7fffffffffffffff]
      uint64_val: 18446744073709551615 uint64_val: 0xFFFFFFFFFFFFFFFE uint64_val: 01777777777777777777777`;
    const parsed = parseTextProto(text, TensorProto);
    expect(parsed.int64_val).toEqual(['9007199254740993', '-9223372036854775808', '9223372036854775807', -1, '9223372036854775807']);
    const round = plain(TensorProto, TensorProto.decode(encodeParsed(text, TensorProto)));
    expect(round.int64_val).toEqual(['9007199254740993', '-9223372036854775808', '9223372036854775807', '-1', '9223372036854775807']);
    expect(round.uint64_val).toEqual(['18446744073709551615', '18446744073709551614', '18446744073709551615']);
  });

  it('checks integer ranges and syntax', () => {
    expect(parseError('int_val: 2147483648', TensorProto).message).toMatch(/^line 1:10: .*out of range.*int_val.*int32/);
    expect(parseTextProto('int_val: -2147483648', TensorProto).int_val).toEqual([-2147483648]);
    expect(parseError('uint32_val: -1', TensorProto).message).toMatch(/out of range/);
    expect(parseError('int64_val: 9223372036854775808', TensorProto).message).toMatch(/out of range/);
    expect(parseError('uint64_val: 18446744073709551616', TensorProto).message).toMatch(/out of range/);
    expect(parseError('int_val: 1.5', TensorProto).message).toMatch(/^line 1:10: field "int_val" \(int32\) expects an integer, found "1.5"/);
    expect(parseError('int_val: 08', TensorProto).message).toMatch(/expects an integer/);
    expect(parseError('int_val: "1"', TensorProto).message).toMatch(/expects an integer/);
    expect(parseError('int_val: 12abc', TensorProto).message).toMatch(/malformed number/);
    expect(parseError('int_val: 1.2.3', TensorProto).message).toMatch(/malformed number/);
    expect(parseTextProto('int_val: [017, 0x1F, -0x10, 0]', TensorProto).int_val).toEqual([15, 31, -16, 0]);
    expect(parseError(`int64_val: ${'9'.repeat(1_000_000)}`, TensorProto).message).toMatch(/out of range/);
    expect(parseTextProto(`double_val: ${'9'.repeat(400)} double_val: 017`, TensorProto).double_val).toEqual([Infinity, 15]);
  });

  it('reads floats in every spelling', () => {
    const text = 'float_val: [1.5, -2, 1e-3, 1.0f, .5, 2.F, 1E+2, inf, -inf, nan, Infinity, -INFINITY, NaN, -0, 0x10]';
    expect(parseTextProto(text, TensorProto).float_val).toEqual([
      1.5, -2, 1e-3, 1, 0.5, 2, 100, Infinity, -Infinity, NaN, Infinity, -Infinity, NaN, -0, 16,
    ]);
    const round = TensorProto.decode(encodeParsed('double_val: 0.1 double_val: -1e308 double_val: 5e-324', TensorProto));
    expect((round as unknown as { double_val: number[] }).double_val).toEqual([0.1, -1e308, 5e-324]);
    expect(parseError('float_val: infinit', TensorProto).message).toMatch(/expects a number, found "infinit"/);
    expect(parseError('float_val: 1e', TensorProto).message).toMatch(/exponent/);
    expect(parseError('float_val: "1"', TensorProto).message).toMatch(/expects a number/);
  });

  it('reads bools as true/false/True/False/t/f/1/0', () => {
    expect(parseTextProto('bool_val: [true, True, t, 1, false, False, f, 0]', TensorProto).bool_val).toEqual([
      true, true, true, true, false, false, false, false,
    ]);
    expect(parseError('bool_val: 2', TensorProto).message).toMatch(/expects true or false/);
    expect(parseError('bool_val: yes', TensorProto).message).toMatch(/expects true or false, found "yes"/);
  });

  it('reads enums by name or number', () => {
    expect(parseTextProto('dtype: DT_HALF', TensorProto).dtype).toBe(19);
    expect(parseTextProto('dtype: 19', TensorProto).dtype).toBe(19);
    // proto3 enums are open: unnamed numbers survive, as they do in the binary form.
    expect(plain(TensorProto, parseMessage('dtype: 999', TensorProto)).dtype).toBe(999);
    expect(parseError('dtype: DT_FLOATY', TensorProto).message).toBe(
      'line 1:8: unknown value "DT_FLOATY" for enum tensorflow.DataType (field "dtype")',
    );
    expect(parseError('dtype: constructor', TensorProto).message).toMatch(/unknown value "constructor"/);
    expect(parseError('dtype: "DT_FLOAT"', TensorProto).message).toMatch(/expects an integer/);
  });

  it('unescapes strings and concatenates adjacent literals', () => {
    const parsed = parseTextProto(String.raw`s: "a\n\t\\\"\'\x41\101\?\a\b\f\v\r" 'x"y' "\0\00\000" "\u00e9\U0001F600"`, AttrValue);
    const expected = Buffer.concat([
      Buffer.from('a\n\t\\"\'AA?\x07\x08\x0c\x0b\rx"y\0\0\0', 'latin1'),
      Buffer.from('é😀', 'utf8'),
    ]);
    expect(parsed.s).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(parsed.s as Uint8Array).equals(expected)).toBe(true);
  });

  it('keeps escaped bytes as single bytes in bytes fields, and reads them as UTF-8 in string fields', () => {
    expect(parseTextProto(String.raw`s: "\377\200\x80\xff"`, AttrValue).s).toEqual(new Uint8Array([255, 128, 128, 255]));
    // TF prints non-ASCII in string fields as octal-escaped UTF-8.
    expect(parseTextProto(String.raw`name: "caf\303\251/é" op: "\xe2\x82\xac"`, NodeDef)).toEqual({ name: 'café/é', op: '€' });
    // Invalid UTF-8 decodes like protobufjs decodes it from the wire.
    const name = parseTextProto(String.raw`name: "\377a"`, NodeDef).name;
    const wire = NodeDef.encode(NodeDef.fromObject({ name: 'placeholder' })).finish();
    const bad = Buffer.from([...wire.slice(0, 1), 2, 0xff, 0x61]);
    expect(name).toBe((NodeDef.decode(bad) as unknown as { name: string }).name);
  });

  it('rejects malformed strings', () => {
    expect(parseError('name: "abc', NodeDef).message).toBe('line 1:7: unterminated string');
    expect(parseError('name: "abc\n"', NodeDef).message).toMatch(/unterminated string/);
    expect(parseError(String.raw`name: "\q"`, NodeDef).message).toBe('line 1:8: invalid escape sequence "\\\\q"');
    expect(parseError(String.raw`name: "\400"`, NodeDef).message).toMatch(/more than 0xff/);
    expect(parseError(String.raw`name: "\xg"`, NodeDef).message).toMatch(/hex digits/);
    expect(parseError(String.raw`name: "\u12"`, NodeDef).message).toMatch(/4 hex digits/);
    expect(parseError(String.raw`name: "\U00110000"`, NodeDef).message).toMatch(/not a Unicode code point/);
    expect(parseError('name: 12', NodeDef).message).toMatch(/expects a string, found "12"/);
  });
});

describe('messages, repeated fields, maps, oneofs', () => {
  it('accepts { } and < > with or without a colon, and , ; separators', () => {
    const a = parseTextProto('versions { producer: 1, min_consumer: 2; } library: < >', GraphDef);
    const b = parseTextProto('versions: < producer: 1 min_consumer: 2 >; library {}', GraphDef);
    expect(a).toEqual({ versions: { producer: 1, min_consumer: 2 }, library: {} });
    expect(b).toEqual(a);
  });

  it('leaves out proto3 defaults without presence, but keeps set oneof members and messages', () => {
    const shape = root.lookupType('tensorflow.TensorShapeProto');
    expect(parseTextProto('dim { size: 0 name: "" } unknown_rank: false', shape)).toEqual({ dim: [{}] });
    expect(parseTextProto('i: 0', AttrValue)).toEqual({ i: 0 });
    expect(parseTextProto('s: ""', AttrValue)).toEqual({ s: new Uint8Array(0) });
    expect((parseMessage('b: false', AttrValue) as unknown as { value: string }).value).toBe('b');
  });

  it('reads map entries, with missing keys or values defaulted and the last duplicate winning', () => {
    const parsed = parseTextProto(
      `attr { key: "a" value { i: 1 } }
       attr { value { b: true } key: "b" }
       attr { key: "empty" }
       attr { value { f: 2 } }
       attr: [ { key: "c" value: { s: "x" } }, < key: "a" value < i: 3 > > ]
       attr { key: "__proto__" value { i: 4 } }`,
      NodeDef,
    );
    const attr = parsed.attr as Dict;
    expect(Object.keys(attr)).toEqual(['a', 'b', 'empty', '', 'c', '__proto__']);
    expect(attr.a).toEqual({ i: 3 });
    expect(attr.empty).toEqual({});
    expect(attr['']).toEqual({ f: 2 });
    expect(Object.getPrototypeOf(attr)).toBe(Object.prototype);
    const round = plain(NodeDef, NodeDef.decode(NodeDef.encode(NodeDef.fromObject(parsed)).finish()));
    expect(round.attr).toEqual({ a: { i: '3' }, b: { b: true }, empty: {}, '': { f: 2 }, c: { s: 'eA==' }, ['__proto__']: { i: '4' } });
    expect(parseError('attr { key: "a" key: "b" }', NodeDef).message).toMatch(/^line 1:17: "key" is set more than once/);
    expect(parseError('attr { name: "a" }', NodeDef).message).toMatch(/expected "key" or "value"/);
    expect(parseError('attr { key: 1 }', NodeDef).message).toMatch(/expects a string/);
  });

  it('reads maps with integer keys and scalar values', () => {
    const fn = root.lookupType('tensorflow.FunctionDef');
    const text = 'resource_arg_unique_id { key: 3 value: 7 } resource_arg_unique_id { key: 0 }';
    expect(parseTextProto(text, fn).resource_arg_unique_id).toEqual({ 3: 7, 0: 0 });
    const debug = root.lookupType('tensorflow.GraphDebugInfo');
    const dtext = 'name_to_trace_id { key: "n" value: 18446744073709551615 } frames_by_id { key: 9007199254740993 value { line: 5 } }';
    const decoded = debug.decode(encodeParsed(dtext, debug)) as unknown as { name_to_trace_id: Dict; frames_by_id: Dict };
    expect(String(decoded.name_to_trace_id.n)).toBe('18446744073709551615');
    const [hash] = Object.keys(decoded.frames_by_id);
    expect(protobuf.util.LongBits.fromHash(hash ?? '').toLong(true).toString()).toBe('9007199254740993');
  });

  it('enforces singular fields and oneofs', () => {
    expect(parseError('name: "a"\nname: "b"', NodeDef).message).toBe('line 2:1: field "name" is set more than once');
    expect(parseError('versions {} versions {}').message).toMatch(/"versions" is set more than once/);
    expect(parseError('i: 1 f: 2', AttrValue).message).toBe(
      'line 1:6: fields "i" and "f" are both set, but they are members of oneof "value"',
    );
    expect(parseError('name: ["a"]', NodeDef).message).toMatch(/not repeated, so it cannot take a list/);
    expect(parseTextProto('input: [] input: "a" input: ["b", "c"]', NodeDef)).toEqual({ input: ['a', 'b', 'c'] });
  });

  it('expands Any', () => {
    const Any = root.lookupType('google.protobuf.Any');
    const parsed = parseTextProto('[type.googleapis.com/tensorflow.VersionDef] { producer: 5 bad_consumers: [1, 2] }', Any);
    expect(parsed.type_url).toBe('type.googleapis.com/tensorflow.VersionDef');
    const VersionDef = root.lookupType('tensorflow.VersionDef');
    expect(plain(VersionDef, VersionDef.decode(parsed.value as Uint8Array))).toEqual({ producer: 5, bad_consumers: [1, 2] });
    expect(parseError('[type.googleapis.com/tensorflow.Nope] {}', Any).message).toMatch(/unknown message type "tensorflow.Nope"/);
    expect(parseError('type_url: "x" [a/tensorflow.VersionDef] {}', Any).message).toMatch(/set more than once/);
    expect(parseError('[some.extension]: 1', NodeDef).message).toMatch(/extension "\[some.extension\]" in tensorflow.NodeDef is not supported/);
  });

  it('accepts camelCase roots (loaded without keepCase) with snake_case names', () => {
    const T = new protobuf.Type('T').add(new protobuf.Field('tensorShape', 1, 'int32'));
    new protobuf.Root().add(T);
    expect(parseTextProto('tensor_shape: 3', T)).toEqual({ tensorShape: 3 });
    expect(parseTextProto('tensorShape: 3', T)).toEqual({ tensorShape: 3 });
  });

  it('skips unknown fields only when asked to', () => {
    const text = `node { name: "a" future_field { x: 1 y: [1, 2] z: { w: "s" "t" } [ext.x]: -inf } op: "Const" }
      future_scalar: -5 future_list: [{a: 1}, {b: 2}] [ext.y] { }`;
    expect(parseError(text).message).toBe('line 1:18: unknown field "future_field" in tensorflow.NodeDef');
    expect(parseTextProto(text, GraphDef, { allowUnknownFields: true })).toEqual({ node: [{ name: 'a', op: 'Const' }] });
    expect(() => parseTextProto('future { x }', GraphDef, { allowUnknownFields: true })).toThrow(ModelFormatError);
  });
});

describe('errors', () => {
  it('names line:column and the field', () => {
    const text = 'node {\n  name: "x"\n}\nnod {\n}\n';
    expect(parseError(text).message).toBe('line 4:1: unknown field "nod" in tensorflow.GraphDef');
    expect(parseError('node {\n  name: "x"\n    attrs { }\n}').message).toBe('line 3:5: unknown field "attrs" in tensorflow.NodeDef');
    expect(parseError('node { name "x" }').message).toBe('line 1:13: expected ":" after field "name", found string "x"');
    expect(parseError('node { name: "x"').message).toBe('line 1:17: expected "}" to end tensorflow.NodeDef, found end of input');
    expect(parseError('node { name: "x" }}').message).toMatch(/^line 1:19: expected a field name in tensorflow.GraphDef, found "}"/);
    expect(parseError('node { name: "x" >').message).toMatch(/expected a field name/);
    expect(parseError('node: 1').message).toMatch(/expected "\{" for message field "node"/);
    expect(parseError('node { name: "x" } @').message).toBe('line 1:20: unexpected character "@"');
    expect(parseError('versions { producer: 1 ] }').message).toMatch(/expected a field name/);
  });

  it('limits nesting depth like protobufjs does, without overflowing the stack', () => {
    const SV = root.lookupType('tensorflow.StructuredValue');
    const nest = (n: number): string => 'list_value { values { '.repeat(n) + '} } '.repeat(n);
    // 50 levels of list_value + values: 100 messages below the top, protobufjs' limit.
    const deepest = SV.fromObject(parseTextProto(nest(50), SV));
    expect(() => SV.decode(SV.encode(deepest).finish())).not.toThrow();
    expect(parseError(nest(51), SV).message).toMatch(/^line 1:1112: messages nested more than 100 deep/);
    expect(parseError(nest(100_000), SV).message).toMatch(/nested more than 100 deep/);
    expect(parseError('future ' + '{ a '.repeat(100_000), GraphDef).message).toMatch(/unknown field/);
    expect(() => parseTextProto('future ' + '{ a '.repeat(100_000), GraphDef, { allowUnknownFields: true })).toThrow(/nested more than/);
  });

  it('accepts empty input and a byte-order mark', () => {
    expect(parseTextProto('', GraphDef)).toEqual({});
    expect(parseTextProto('  # only a comment', GraphDef)).toEqual({});
    expect(parseTextProto('\ufeffversions { producer: 1 }', GraphDef)).toEqual({ versions: { producer: 1 } });
  });
});

describe('fuzzing: any input parses or throws ModelFormatError', () => {
  /** Parse; when it succeeds the object must also survive fromObject, encode and decode. */
  function check(text: string, options = {}): void {
    let parsed: Dict;
    try {
      parsed = parseTextProto(text, GraphDef, options);
    } catch (err) {
      if (!(err instanceof ModelFormatError)) throw new Error(`non-ModelFormatError for ${JSON.stringify(text)}: ${String(err)}`);
      expect(err.message).toMatch(/^line \d+:\d+: /);
      return;
    }
    GraphDef.decode(GraphDef.encode(GraphDef.fromObject(parsed)).finish());
  }

  const seeds = [
    ADD_PBTXT,
    ADD_PBTXT_ODD,
    new TextPrinter(mulberry32(7)).print(GraphDef, GraphDef.decode(fs.readFileSync(path.join(MODELS, 'utensor_cgen/conv/test_conv.pb')))),
    String.raw`node { name: "n" attr { key: "l" value { list { i: [1, -2, 0x7fffffffffffffff] f: [nan, -inf, 1e5f] b: [t, 0]
      s: ["\303\251", '\x00'] type: [DT_FLOAT, 3] shape { dim { size: -1 name: "\u00e9" } unknown_rank: true } } } }
      attr { key: "f" value { func { name: "g" attr { key: "k" value { placeholder: "p" } } } } } }
      library { function { signature { name: "g" } resource_arg_unique_id { key: 1 value: 2 } } }
      debug_info { name_to_trace_id { key: "a" value: 18446744073709551615 } }`,
  ];
  const INSERTS = [
    '{', '}', '<', '>', '[', ']', ':', ',', ';', '-', '.', '/', '"', "'", '\\', '#', '\n', ' ', '0', '9', 'x', 'e', 'f',
    '0x', '1e', '1.5', '-0', 'nan', 'inf', 'true', 'DT_FLOAT', 'node', 'attr', 'key', 'value', 'name', 'i', 'list',
    '\\x', '\\u', '\\U0010ffff', '\\777', '\\uD800', '99999999999999999999999', '[a.b/tensorflow.VersionDef]', '{ {', '} }',
    '\u00e9', '\ud800', '\u0000', '__proto__', 'constructor',
  ];

  function mutate(text: string, rng: Rng): string {
    let s = text;
    const ops = 1 + Math.floor(rng() * 4);
    for (let k = 0; k < ops; k++) {
      const at = Math.floor(rng() * (s.length + 1));
      const len = 1 + Math.floor(rng() * 8);
      switch (Math.floor(rng() * 6)) {
        case 0: // delete a span
          s = s.slice(0, at) + s.slice(at + len);
          break;
        case 1: // insert an interesting token
          s = s.slice(0, at) + (INSERTS[Math.floor(rng() * INSERTS.length)] ?? '') + s.slice(at);
          break;
        case 2: // insert a random character
          s = s.slice(0, at) + String.fromCharCode(Math.floor(rng() * 128)) + s.slice(at);
          break;
        case 3: // duplicate a span
          s = s.slice(0, at) + s.slice(at, at + len * 4) + s.slice(at);
          break;
        case 4: // truncate
          s = s.slice(0, at);
          break;
        default: { // swap two characters
          const b = Math.floor(rng() * s.length);
          const chars = [...s];
          const ca = chars[at];
          const cb = chars[b];
          if (ca !== undefined && cb !== undefined) {
            chars[at] = cb;
            chars[b] = ca;
          }
          s = chars.join('');
        }
      }
    }
    return s;
  }

  it('survives 4000 seeded mutations of valid pbtxt', () => {
    const rng = mulberry32(0xc0ffee);
    let parsedOk = 0;
    for (let i = 0; i < 4000; i++) {
      const seed = seeds[i % seeds.length] ?? '';
      const text = mutate(seed, rng);
      check(text);
      check(text, { allowUnknownFields: true });
      try {
        parseTextProto(text, GraphDef);
        parsedOk++;
      } catch {
        // counted only to make sure the mutations are not all fatal
      }
    }
    expect(parsedOk).toBeGreaterThan(100);
  });

  it('survives arbitrary strings over the format alphabet (fast-check)', () => {
    const token = fc.constantFrom(...INSERTS, 'node {', 'name: "a"', 'attr { key: "k" value { i: 1 } }', '}', ' ', '\n');
    fc.assert(
      fc.property(fc.array(token, { maxLength: 40 }), (parts) => {
        check(parts.join(' '));
        check(parts.join(''), { allowUnknownFields: true });
      }),
      { numRuns: 2000, seed: 42 },
    );
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => check(s)), { numRuns: 1000, seed: 43 });
  });
});
