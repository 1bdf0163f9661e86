/**
 * Scalar values of the text format: what a field holds, the value it defaults to, and reading
 * one scalar from the token stream as the field's protobuf type demands (integer spellings and
 * ranges, float spellings, bools, enums by name or number, concatenated string literals). The
 * JS shapes produced are the ones described in pbtxt.ts.
 */
import protobuf from 'protobufjs';
import { describe, fail, type TokenReader } from './pbtxt-lexer.js';

export type ValueKind =
  | { kind: 'message'; type: protobuf.Type }
  | { kind: 'enum'; enum: protobuf.Enum }
  | { kind: 'scalar'; type: string };

/** protobufjs uses `.tensorflow.GraphDef`; messages read better without the dot. */
export const typeName = (t: protobuf.ReflectionObject): string => t.fullName.replace(/^\./, '');


/** What a field (or a map's value) holds. */
export function kindOf(field: protobuf.FieldBase): ValueKind {
  const rt = field.resolvedType;
  if (rt instanceof protobuf.Type) return { kind: 'message', type: rt };
  if (rt instanceof protobuf.Enum) return { kind: 'enum', enum: rt };
  return { kind: 'scalar', type: field.type };
}

/** The value a missing map key or scalar map value stands for. */
export function defaultValue(kind: ValueKind): unknown {
  if (kind.kind === 'message') return {};
  if (kind.kind === 'enum') return 0;
  switch (kind.type) {
    case 'string':
      return '';
    case 'bytes':
      return new Uint8Array(0);
    case 'bool':
      return false;
    default:
      return 0;
  }
}

/** A scalar the binary form would not contain when the field has no presence. */
export function isImplicitDefault(v: unknown): boolean {
  return Object.is(v, 0) || v === false || v === '' || (v instanceof Uint8Array && v.length === 0);
}

const INT32: [bigint, bigint] = [-(2n ** 31n), 2n ** 31n - 1n];
const UINT32: [bigint, bigint] = [0n, 2n ** 32n - 1n];
const INT64: [bigint, bigint] = [-(2n ** 63n), 2n ** 63n - 1n];
const UINT64: [bigint, bigint] = [0n, 2n ** 64n - 1n];

const INTEGER_RANGES: Record<string, [bigint, bigint] | undefined> = {
  int32: INT32, sint32: INT32, sfixed32: INT32,
  uint32: UINT32, fixed32: UINT32,
  int64: INT64, sint64: INT64, sfixed64: INT64,
  uint64: UINT64, fixed64: UINT64,
};

/** Exact within Number's safe range; as a decimal string (which fromObject reads into a Long) beyond. */
function toJsInteger(v: bigint): number | string {
  return v >= -BigInt(Number.MAX_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
}

/** An integer token's value: decimal, `0x` hex or leading-zero octal. Undefined if not an integer. */
function integerValue(text: string): bigint | undefined {
  const decimalOrHex = /^0[xX][0-9a-fA-F]+$/.test(text) || /^(0|[1-9][0-9]*)$/.test(text);
  const octal = !decimalOrHex && /^0[0-7]+$/.test(text);
  if (!decimalOrHex && !octal) return undefined;
  // No 64-bit value needs more than 24 digits; spare BigInt's quadratic parse of a huge token.
  if (text.length > 100) return TOO_BIG;
  return BigInt(octal ? `0o${text.slice(1)}` : text);
}

const TOO_BIG = 2n ** 128n;

/** Reads the value of a scalar (or enum) field, or of a map key or scalar map value. */
export function parseScalar(tokens: TokenReader, kind: ValueKind, fieldName: string): unknown {
  if (kind.kind === 'enum') return parseEnum(tokens, kind.enum, fieldName);
  const type = kind.kind === 'scalar' ? kind.type : 'message';
  const range = INTEGER_RANGES[type];
  if (range !== undefined) return parseInteger(tokens, range, type, fieldName);
  switch (type) {
    case 'string':
      // Escapes denote bytes; the wire form is UTF-8. Buffer#toString is what protobufjs'
      // decoder uses too, so malformed UTF-8 becomes the same U+FFFD either way.
      return Buffer.from(parseBytes(tokens, fieldName)).toString('utf8');
    case 'bytes':
      return parseBytes(tokens, fieldName);
    case 'bool':
      return parseBool(tokens, fieldName);
    case 'float':
    case 'double':
      return parseFloatingPoint(tokens, fieldName);
    default:
      return fail(tokens.tok, `field "${fieldName}" has type ${type}, which text format parsing does not support`);
  }
}

/** One or more adjacent string literals, concatenated (`"abc" 'def'`). */
function parseBytes(tokens: TokenReader, fieldName: string): Uint8Array {
  const first = tokens.tok;
  if (first.kind !== 'string') fail(first, `field "${fieldName}" expects a string, found ${describe(first)}`);
  const parts: Uint8Array[] = [];
  while (tokens.tok.kind === 'string') parts.push(tokens.advance().bytes ?? new Uint8Array(0));
  if (parts.length === 1 && parts[0] !== undefined) return parts[0];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** `-`? then an integer token; checked against the field type's range. */
function parseInteger(tokens: TokenReader, range: [bigint, bigint], type: string, fieldName: string): number | string {
  const start = tokens.tok;
  const negative = tokens.trySymbol('-');
  const t = tokens.tok;
  const v = t.kind === 'number' ? integerValue(t.text) : undefined;
  if (v === undefined) fail(t, `field "${fieldName}" (${type}) expects an integer, found ${describe(t)}`);
  tokens.advance();
  const value = negative ? -v : v;
  if (value < range[0] || value > range[1]) {
    fail(start, `${negative ? '-' : ''}${t.text} is out of range for field "${fieldName}" (${type})`);
  }
  return toJsInteger(value);
}

/** `1.5`, `-2`, `1e-3`, `1.0f`, `.5`, `inf`, `-infinity`, `nan` (case-insensitive names). */
function parseFloatingPoint(tokens: TokenReader, fieldName: string): number {
  const negative = tokens.trySymbol('-');
  const t = tokens.tok;
  let v: number | undefined;
  if (t.kind === 'number') {
    // Number() reads decimal and 0x hex (correctly rounded); leading-zero octal it would
    // read as decimal. Any token the lexer produced that is not hex or octal is decimal.
    if (/^0[0-7]+$/.test(t.text)) v = parseInt(t.text.slice(1), 8);
    else if (/^0[xX]/.test(t.text)) v = Number(t.text);
    else if (/^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?[fF]?$/.test(t.text)) v = Number(t.text.replace(/[fF]$/, ''));
  } else if (t.kind === 'ident') {
    const lower = t.text.toLowerCase();
    if (lower === 'inf' || lower === 'infinity') v = Infinity;
    else if (lower === 'nan') v = NaN;
  }
  if (v === undefined) fail(t, `field "${fieldName}" expects a number, found ${describe(t)}`);
  tokens.advance();
  return negative ? -v : v;
}

function parseBool(tokens: TokenReader, fieldName: string): boolean {
  const t = tokens.tok;
  let v: boolean | undefined;
  if (t.kind === 'ident') {
    if (t.text === 'true' || t.text === 'True' || t.text === 't') v = true;
    else if (t.text === 'false' || t.text === 'False' || t.text === 'f') v = false;
  } else if (t.kind === 'number') {
    const int = integerValue(t.text);
    if (int === 0n || int === 1n) v = int === 1n;
  }
  if (v === undefined) fail(t, `field "${fieldName}" expects true or false, found ${describe(t)}`);
  tokens.advance();
  return v;
}

/** By name (`DT_FLOAT`) or by number; numbers need not be named values (proto3 enums are open). */
function parseEnum(tokens: TokenReader, enm: protobuf.Enum, fieldName: string): number {
  const t = tokens.tok;
  if (t.kind === 'ident') {
    // values is a plain object: "constructor" & co. must not be found on its prototype.
    const v = Object.prototype.hasOwnProperty.call(enm.values, t.text) ? enm.values[t.text] : undefined;
    if (v === undefined) fail(t, `unknown value "${t.text}" for enum ${typeName(enm)} (field "${fieldName}")`);
    tokens.advance();
    return v;
  }
  return Number(parseInteger(tokens, INT32, `enum ${typeName(enm)}`, fieldName));
}
