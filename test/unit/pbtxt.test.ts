/** The text-format parser case by case: scalar spellings, message syntax, maps, oneofs, errors. */
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { parseTextProto } from '../../src/import/pbtxt.js';
import { ModelFormatError } from '../../src/util/errors.js';
import { encodeParsed, parseMessage, plain, tfRoot as root } from '../helpers/pbtxt-parse.js';

const GraphDef = root.lookupType('tensorflow.GraphDef');
const TensorProto = root.lookupType('tensorflow.TensorProto');
const AttrValue = root.lookupType('tensorflow.AttrValue');
const NodeDef = root.lookupType('tensorflow.NodeDef');

type Dict = Record<string, unknown>;

function parseError(text: string, type: protobuf.Type = GraphDef): ModelFormatError {
  try {
    parseTextProto(text, type);
  } catch (err) {
    expect(err).toBeInstanceOf(ModelFormatError);
    return err as ModelFormatError;
  }
  throw new Error(`expected a ModelFormatError for ${JSON.stringify(text)}`);
}

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
