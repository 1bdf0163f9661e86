/**
 * Protobuf text format (`.pbtxt`, what `tf.io.write_graph(..., as_text=True)` writes), parsed
 * against a protobufjs reflection type. protobufjs only understands the binary and JSON forms,
 * so this is a small hand-written tokenizer plus a recursive-descent parser.
 *
 * The result is a plain object meant for `type.fromObject(...)`: the message it builds is the
 * one `type.decode(...)` gives for the same message in binary form. Value shapes:
 *   - 32-bit integers, floats, doubles, enums (by number): `number`
 *   - 64-bit integers: `number` when exactly representable, else a decimal `string`
 *     (fromObject turns it into a Long without losing bits)
 *   - bool: `boolean`; string: `string` (escapes are bytes, decoded as UTF-8, as on the wire)
 *   - bytes: `Uint8Array` of the raw bytes (`\200` is the single byte 0x80)
 *   - messages: nested objects; repeated fields: arrays; maps: objects keyed by the key's
 *     decimal / string form. (For 64-bit keys protobufjs' decoder uses an internal 8-char
 *     hash as the key instead; decimal keys are what its encoder understands.)
 *
 * Follows protobuf's C++ TextFormat::Parser: a singular field may appear only once; two
 * members of one oneof may not both be set; proto3 scalars without presence that are set to
 * their default are left out, as they would be absent from the binary form.
 *
 * Every problem with the input is reported as a ModelFormatError saying `line L:C: ...`.
 */
import protobuf from 'protobufjs';
import { ModelFormatError } from '../util/errors.js';

export interface TextProtoOptions {
  /**
   * Skip fields (and extensions) the schema does not know instead of failing, like C++
   * TextFormat::Parser::AllowUnknownField. Their values must still be well-formed. Default false.
   */
  allowUnknownFields?: boolean;
}

/** Parse `text` as a `type` message. Throws ModelFormatError (and nothing else) on bad input. */
export function parseTextProto(
  text: string,
  type: protobuf.Type,
  options: TextProtoOptions = {},
): Record<string, unknown> {
  return new Parser(new Lexer(text), options.allowUnknownFields === true).parseTop(type);
}

// ---------------------------------------------------------------------------------------------
// Tokenizer

type TokenKind = 'ident' | 'number' | 'string' | 'symbol' | 'eof';

interface Token {
  kind: TokenKind;
  /** Source text; for strings the raw literal including quotes. */
  text: string;
  /** Unescaped bytes of a string literal. */
  bytes: Uint8Array | undefined;
  line: number;
  col: number;
}

function fail(at: { line: number; col: number }, message: string): never {
  throw new ModelFormatError(`line ${at.line}:${at.col}: ${message}`);
}

function describe(tok: Token): string {
  if (tok.kind === 'eof') return 'end of input';
  const text = tok.text.length > 40 ? `${tok.text.slice(0, 40)}...` : tok.text;
  return tok.kind === 'string' ? `string ${text}` : `"${text}"`;
}

const SYMBOLS = '{}<>[]:,;-/.';

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isHexDigit = (c: number): boolean => isDigit(c) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
const isIdentStart = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
const isIdentChar = (c: number): boolean => isIdentStart(c) || isDigit(c);

/** A growable byte buffer for string literals (tensor_content can be megabytes). */
class ByteSink {
  private buf = new Uint8Array(256);
  length = 0;

  push(b: number): void {
    if (this.length === this.buf.length) {
      const bigger = new Uint8Array(this.buf.length * 2);
      bigger.set(this.buf);
      this.buf = bigger;
    }
    this.buf[this.length++] = b;
  }

  /** Append a code point as UTF-8 (surrogates too: a lone `\uD800` is kept as written). */
  pushCodePoint(cp: number): void {
    if (cp < 0x80) {
      this.push(cp);
    } else if (cp < 0x800) {
      this.push(0xc0 | (cp >> 6));
      this.push(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
      this.push(0xe0 | (cp >> 12));
      this.push(0x80 | ((cp >> 6) & 0x3f));
      this.push(0x80 | (cp & 0x3f));
    } else {
      this.push(0xf0 | (cp >> 18));
      this.push(0x80 | ((cp >> 12) & 0x3f));
      this.push(0x80 | ((cp >> 6) & 0x3f));
      this.push(0x80 | (cp & 0x3f));
    }
  }

  take(): Uint8Array {
    const out = this.buf.slice(0, this.length);
    this.length = 0;
    return out;
  }
}

/** Splits the text into tokens on demand; tracks line and column (1-based) for messages. */
class Lexer {
  private pos = 0;
  private line = 1;
  private lineStart = 0;
  private readonly bytes = new ByteSink();

  constructor(private readonly src: string) {
    if (src.charCodeAt(0) === 0xfeff) this.pos = this.lineStart = 1; // byte-order mark
  }

  next(): Token {
    this.skipBlanks();
    const s = this.src;
    const at = { line: this.line, col: this.pos - this.lineStart + 1 };
    const token = (kind: TokenKind, start: number, bytes?: Uint8Array): Token => ({
      kind,
      text: s.slice(start, this.pos),
      bytes,
      ...at,
    });
    const start = this.pos;
    if (start >= s.length) return token('eof', start);
    const c = s.charCodeAt(start);
    if (isIdentStart(c)) {
      while (isIdentChar(s.charCodeAt(this.pos))) this.pos++;
      return token('ident', start);
    }
    if (isDigit(c) || (c === 46 /* . */ && isDigit(s.charCodeAt(start + 1)))) {
      this.scanNumber(at);
      return token('number', start);
    }
    if (c === 34 /* " */ || c === 39 /* ' */) {
      const bytes = this.scanString(c, at);
      return token('string', start, bytes);
    }
    if (SYMBOLS.includes(s.charAt(start))) {
      this.pos++;
      return token('symbol', start);
    }
    return fail(at, `unexpected character ${JSON.stringify(String.fromCodePoint(s.codePointAt(start) ?? c))}`);
  }

  /** Whitespace and `#` comments (to the end of the line). */
  private skipBlanks(): void {
    const s = this.src;
    for (;;) {
      const c = s.charCodeAt(this.pos);
      if (c === 10) {
        this.pos++;
        this.line++;
        this.lineStart = this.pos;
      } else if (c === 32 || c === 9 || c === 13 || c === 11 || c === 12) {
        this.pos++;
      } else if (c === 35 /* # */) {
        while (this.pos < s.length && s.charCodeAt(this.pos) !== 10) this.pos++;
      } else {
        return;
      }
    }
  }

  /**
   * The longest number-looking run: `0x1F`, `017`, `12`, `1.5`, `.5`, `1e-3`, `1.0f`. Whether
   * it is a valid integer or float is decided by the parser, which knows the field type.
   */
  private scanNumber(at: { line: number; col: number }): void {
    const s = this.src;
    let p = this.pos;
    if (s.charCodeAt(p) === 48 && (s.charCodeAt(p + 1) | 0x20) === 120 /* x */) {
      p += 2;
      const digits = p;
      while (isHexDigit(s.charCodeAt(p))) p++;
      if (p === digits) fail(at, '"0x" must be followed by hex digits');
    } else {
      while (isDigit(s.charCodeAt(p))) p++;
      if (s.charCodeAt(p) === 46 /* . */) {
        p++;
        while (isDigit(s.charCodeAt(p))) p++;
      }
      if ((s.charCodeAt(p) | 0x20) === 101 /* e */) {
        p++;
        if (s.charCodeAt(p) === 43 || s.charCodeAt(p) === 45) p++;
        const digits = p;
        while (isDigit(s.charCodeAt(p))) p++;
        if (p === digits) fail(at, 'an exponent must have digits');
      }
      if ((s.charCodeAt(p) | 0x20) === 102 /* f */) p++;
    }
    // `1.2.3` or `12abc` would otherwise silently become two tokens.
    if (isIdentChar(s.charCodeAt(p)) || s.charCodeAt(p) === 46) {
      fail(at, `malformed number ${JSON.stringify(s.slice(this.pos, p + 1))}`);
    }
    this.pos = p;
  }

  /** A quoted literal with C escapes, as bytes. Unescaped non-ASCII text is taken as UTF-8. */
  private scanString(quote: number, at: { line: number; col: number }): Uint8Array {
    const s = this.src;
    const out = this.bytes;
    out.length = 0;
    let p = this.pos + 1;
    const here = () => ({ line: at.line, col: p - this.lineStart + 1 });
    for (;;) {
      if (p >= s.length || s.charCodeAt(p) === 10) {
        // protobuf's tokenizer forbids strings spanning lines; stopping here also keeps an
        // unbalanced quote from swallowing the rest of the file into one error-free token.
        fail(at, 'unterminated string');
      }
      const c = s.charCodeAt(p);
      if (c === quote) {
        p++;
        break;
      }
      if (c !== 92 /* \ */) {
        if (c < 0x80) {
          out.push(c);
          p++;
        } else {
          const cp = s.codePointAt(p) ?? c;
          // A lone surrogate in the source cannot be UTF-8; encode it as U+FFFD like TextEncoder.
          out.pushCodePoint(cp >= 0xd800 && cp <= 0xdfff ? 0xfffd : cp);
          p += cp > 0xffff ? 2 : 1;
        }
        continue;
      }
      // Escape sequence.
      const escAt = here();
      p++;
      const e = s.charAt(p);
      const simple = SIMPLE_ESCAPES[e];
      if (simple !== undefined) {
        out.push(simple);
        p++;
      } else if (e >= '0' && e <= '7') {
        // Up to three octal digits: how TF prints tensor_content bytes (`\000\000\200?`).
        let v = 0;
        let n = 0;
        while (n < 3 && s.charCodeAt(p) >= 48 && s.charCodeAt(p) <= 55) {
          v = v * 8 + (s.charCodeAt(p) - 48);
          p++;
          n++;
        }
        if (v > 0xff) fail(escAt, `octal escape \\${s.slice(p - n, p)} is more than 0xff`);
        out.push(v);
      } else if (e === 'x' || e === 'X') {
        p++;
        const digits = p;
        while (p - digits < 2 && isHexDigit(s.charCodeAt(p))) p++;
        if (p === digits) fail(escAt, '"\\x" must be followed by hex digits');
        out.push(parseInt(s.slice(digits, p), 16));
      } else if (e === 'u' || e === 'U') {
        const len = e === 'u' ? 4 : 8;
        let cp = this.hexRun(p + 1, len, escAt);
        p += 1 + len;
        // A surrogate pair written as two \u escapes is one code point.
        if (cp >= 0xd800 && cp <= 0xdbff && s.startsWith('\\u', p)) {
          const low = this.hexRun(p + 2, 4, here());
          if (low >= 0xdc00 && low <= 0xdfff) {
            cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
            p += 6;
          }
        }
        if (cp > 0x10ffff) fail(escAt, `\\U${s.slice(p - 8, p)} is not a Unicode code point`);
        out.pushCodePoint(cp);
      } else {
        fail(escAt, `invalid escape sequence ${JSON.stringify('\\' + e)}`);
      }
    }
    this.pos = p;
    return out.take();
  }

  private hexRun(p: number, len: number, at: { line: number; col: number }): number {
    const hex = this.src.slice(p, p + len);
    if (hex.length !== len || !/^[0-9a-fA-F]+$/.test(hex)) fail(at, `expected ${len} hex digits in escape`);
    return parseInt(hex, 16);
  }
}

const SIMPLE_ESCAPES: Record<string, number | undefined> = Object.assign(Object.create(null) as object, {
  a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, '\\': 92, '?': 63, "'": 39, '"': 34,
});

// ---------------------------------------------------------------------------------------------
// Schema helpers

type ValueKind =
  | { kind: 'message'; type: protobuf.Type }
  | { kind: 'enum'; enum: protobuf.Enum }
  | { kind: 'scalar'; type: string };

/** protobufjs uses `.tensorflow.GraphDef`; messages read better without the dot. */
const typeName = (t: protobuf.ReflectionObject): string => t.fullName.replace(/^\./, '');

const fieldTables = new WeakMap<protobuf.Type, Map<string, protobuf.Field>>();

/**
 * A field by its .proto name. When the Root was loaded without keepCase, protobufjs renamed
 * fields to camelCase; pbtxt files always use the .proto (snake_case) names, so both spellings
 * are accepted. The object key produced is always the name protobufjs uses.
 */
function findField(type: protobuf.Type, name: string): protobuf.Field | undefined {
  let table = fieldTables.get(type);
  if (table === undefined) {
    table = new Map();
    for (const f of type.fieldsArray) table.set(f.name, f.resolve());
    for (const f of type.fieldsArray) {
      const snake = f.name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
      const camel = f.name.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
      for (const alias of [snake, camel]) if (!table.has(alias)) table.set(alias, f);
    }
    fieldTables.set(type, table);
  }
  return table.get(name);
}

/** What a field (or a map's value) holds. */
function kindOf(field: protobuf.FieldBase): ValueKind {
  const rt = field.resolvedType;
  if (rt instanceof protobuf.Type) return { kind: 'message', type: rt };
  if (rt instanceof protobuf.Enum) return { kind: 'enum', enum: rt };
  return { kind: 'scalar', type: field.type };
}

/** The value a missing map key or scalar map value stands for. */
function defaultValue(kind: ValueKind): unknown {
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
function isImplicitDefault(v: unknown): boolean {
  return Object.is(v, 0) || v === false || v === '' || (v instanceof Uint8Array && v.length === 0);
}

/** Same nesting limit as protobufjs' fromObject/encode/decode (and protoc's default): 100. */
const MAX_DEPTH = protobuf.util.recursionLimit;

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

// ---------------------------------------------------------------------------------------------
// Parser

/** Per message being parsed: which singular fields and oneofs were already set. */
interface MessageState {
  seen: Set<string>;
  oneofs: Map<string, string>;
}

class Parser {
  private tok: Token;

  constructor(
    private readonly lex: Lexer,
    private readonly allowUnknown: boolean,
  ) {
    this.tok = lex.next();
  }

  parseTop(type: protobuf.Type): Record<string, unknown> {
    return this.parseFields(type, 0, null);
  }

  // --- token helpers

  private advance(): Token {
    const t = this.tok;
    this.tok = this.lex.next();
    return t;
  }

  private isSymbol(text: string): boolean {
    return this.tok.kind === 'symbol' && this.tok.text === text;
  }

  private trySymbol(text: string): boolean {
    if (!this.isSymbol(text)) return false;
    this.advance();
    return true;
  }

  private expectSymbol(text: string, context: string): Token {
    if (!this.isSymbol(text)) fail(this.tok, `expected "${text}" ${context}, found ${describe(this.tok)}`);
    return this.advance();
  }

  /** `{` or `<`; returns the matching closer. */
  private openBlock(context: string, depth: number): string {
    const t = this.tok;
    if (!this.isSymbol('{') && !this.isSymbol('<')) fail(t, `expected "{" ${context}, found ${describe(t)}`);
    if (depth > MAX_DEPTH) fail(t, `messages nested more than ${MAX_DEPTH} deep`);
    this.advance();
    return t.text === '{' ? '}' : '>';
  }

  // --- messages

  /** Fields up to `close` (`}` or `>`), or up to the end of the input for the top level. */
  private parseFields(type: protobuf.Type, depth: number, close: string | null): Record<string, unknown> {
    const obj: Record<string, unknown> = {};
    const state: MessageState = { seen: new Set(), oneofs: new Map() };
    for (;;) {
      if (close === null ? this.tok.kind === 'eof' : this.trySymbol(close)) return obj;
      if (this.tok.kind === 'eof') fail(this.tok, `expected "${close}" to end ${typeName(type)}, found end of input`);
      this.parseField(type, obj, state, depth);
      if (!this.trySymbol(',')) this.trySymbol(';'); // optional separators
    }
  }

  private parseMessage(type: protobuf.Type, depth: number, fieldName: string): Record<string, unknown> {
    const close = this.openBlock(`for message field "${fieldName}" (${typeName(type)})`, depth);
    return this.parseFields(type, depth, close);
  }

  private parseField(type: protobuf.Type, obj: Record<string, unknown>, state: MessageState, depth: number): void {
    const nameTok = this.tok;
    if (this.isSymbol('[')) {
      this.parseBracketedField(type, obj, state, depth);
      return;
    }
    if (nameTok.kind !== 'ident') fail(nameTok, `expected a field name in ${typeName(type)}, found ${describe(nameTok)}`);
    this.advance();
    const field = findField(type, nameTok.text);
    if (field === undefined) {
      if (!this.allowUnknown) fail(nameTok, `unknown field "${nameTok.text}" in ${typeName(type)}`);
      this.skipValue(depth);
      return;
    }

    const kind = kindOf(field);
    const values = this.parseValues(field, kind, depth);

    if (field.map) {
      const map = (obj[field.name] ??= {}) as Record<string, unknown>;
      // defineProperty: a key like "__proto__" must stay an ordinary entry.
      for (const [k, v] of values as [string, unknown][]) {
        Object.defineProperty(map, k, { value: v, enumerable: true, writable: true, configurable: true });
      }
    } else if (field.repeated) {
      const list = (obj[field.name] ??= []) as unknown[];
      for (const v of values) list.push(v);
    } else {
      this.setSingular(field, obj, state, nameTok, values[0]);
    }
  }

  private setSingular(
    field: protobuf.Field,
    obj: Record<string, unknown>,
    state: MessageState,
    at: Token,
    value: unknown,
  ): void {
    if (state.seen.has(field.name)) fail(at, `field "${field.name}" is set more than once`);
    state.seen.add(field.name);
    const oneof = field.partOf;
    if (oneof !== null) {
      const other = state.oneofs.get(oneof.name);
      if (other !== undefined) {
        fail(at, `fields "${other}" and "${field.name}" are both set, but they are members of oneof "${oneof.name}"`);
      }
      state.oneofs.set(oneof.name, field.name);
    }
    // proto3 `int64 size = 1;` set to 0 is absent from the wire, so absent from the message.
    if (!field.hasPresence && isImplicitDefault(value)) return;
    obj[field.name] = value;
  }

  /**
   * The value(s) after a field name: `: scalar`, `: [a, b]`, `{ ... }`, `: { ... }`, `[{...}, {...}]`.
   * The colon is optional before a message, required before a scalar (as in protobuf).
   */
  private parseValues(field: protobuf.Field, kind: ValueKind, depth: number): unknown[] {
    const isMessage = field.map || kind.kind === 'message';
    if (isMessage) this.trySymbol(':');
    else this.expectSymbol(':', `after field "${field.name}"`);
    if (!this.isSymbol('[')) return [this.parseValue(field, kind, depth)];

    const open = this.advance();
    if (!field.repeated && !field.map) fail(open, `field "${field.name}" is not repeated, so it cannot take a list`);
    const values: unknown[] = [];
    if (this.trySymbol(']')) return values;
    do values.push(this.parseValue(field, kind, depth));
    while (this.trySymbol(','));
    this.expectSymbol(']', `to end the list for field "${field.name}"`);
    return values;
  }

  private parseValue(field: protobuf.Field, kind: ValueKind, depth: number): unknown {
    if (field.map) return this.parseMapEntry(field as unknown as protobuf.MapField, kind, depth);
    if (kind.kind === 'message') return this.parseMessage(kind.type, depth + 1, field.name);
    return this.parseScalar(kind, field.name);
  }

  /**
   * A map entry is written as a message with `key` and `value` fields:
   * `attr { key: "T" value { type: DT_FLOAT } }`. Either may be missing (then it is the default).
   */
  private parseMapEntry(field: protobuf.MapField, valueKind: ValueKind, depth: number): [string, unknown] {
    const close = this.openBlock(`for map field "${field.name}"`, depth + 1);
    let key: unknown;
    let value: unknown;
    while (!this.trySymbol(close)) {
      const nameTok = this.tok;
      if (nameTok.kind !== 'ident' || (nameTok.text !== 'key' && nameTok.text !== 'value')) {
        fail(nameTok, `expected "key" or "value" in an entry of map field "${field.name}", found ${describe(nameTok)}`);
      }
      this.advance();
      if ((nameTok.text === 'key' ? key : value) !== undefined) {
        fail(nameTok, `"${nameTok.text}" is set more than once in an entry of map field "${field.name}"`);
      }
      if (nameTok.text === 'key') {
        this.expectSymbol(':', `after "key" of map field "${field.name}"`);
        key = this.parseScalar({ kind: 'scalar', type: field.keyType }, `${field.name}.key`);
      } else if (valueKind.kind === 'message') {
        this.trySymbol(':');
        value = this.parseMessage(valueKind.type, depth + 1, `${field.name}.value`);
      } else {
        this.expectSymbol(':', `after "value" of map field "${field.name}"`);
        value = this.parseScalar(valueKind, `${field.name}.value`);
      }
      if (!this.trySymbol(',')) this.trySymbol(';');
    }
    key ??= defaultValue({ kind: 'scalar', type: field.keyType });
    value ??= defaultValue(valueKind);
    return [String(key), value];
  }

  /**
   * `[type.googleapis.com/pkg.Msg] { ... }` inside a google.protobuf.Any (expanded Any), or
   * `[pkg.extension]` (extensions: not supported, TF's protos do not use them).
   */
  private parseBracketedField(
    type: protobuf.Type,
    obj: Record<string, unknown>,
    state: MessageState,
    depth: number,
  ): void {
    const open = this.advance();
    let name = '';
    while (this.tok.kind === 'ident' || this.isSymbol('.') || this.isSymbol('/')) name += this.advance().text;
    this.expectSymbol(']', 'after the type name in "[...]"');
    const slash = name.lastIndexOf('/');
    if (typeName(type) !== 'google.protobuf.Any' || slash < 0) {
      if (!this.allowUnknown) fail(open, `extension "[${name}]" in ${typeName(type)} is not supported`);
      this.skipValue(depth);
      return;
    }

    const inner = lookupMessageType(type, name.slice(slash + 1));
    if (inner === undefined) fail(open, `unknown message type "${name.slice(slash + 1)}" in Any`);
    this.trySymbol(':');
    const value = this.parseMessage(inner, depth + 1, `[${name}]`);
    const typeUrl = findField(type, 'type_url');
    const bytes = findField(type, 'value');
    if (typeUrl === undefined || bytes === undefined) return fail(open, `${typeName(type)} lacks type_url / value`);
    let encoded: Uint8Array;
    try {
      encoded = inner.encode(inner.fromObject(value)).finish();
    } catch (err) {
      // Should not happen (the parser only builds valid objects); keep the error contract anyway.
      throw new ModelFormatError(`line ${open.line}:${open.col}: cannot encode Any payload: ${String(err)}`, {
        cause: err,
      });
    }
    this.setSingular(typeUrl, obj, state, open, name);
    this.setSingular(bytes, obj, state, open, encoded);
  }

  // --- scalars

  private parseScalar(kind: ValueKind, fieldName: string): unknown {
    if (kind.kind === 'enum') return this.parseEnum(kind.enum, fieldName);
    const type = kind.kind === 'scalar' ? kind.type : 'message';
    const range = INTEGER_RANGES[type];
    if (range !== undefined) return this.parseInteger(range, type, fieldName);
    switch (type) {
      case 'string':
        // Escapes denote bytes; the wire form is UTF-8. Buffer#toString is what protobufjs'
        // decoder uses too, so malformed UTF-8 becomes the same U+FFFD either way.
        return Buffer.from(this.parseBytes(fieldName)).toString('utf8');
      case 'bytes':
        return this.parseBytes(fieldName);
      case 'bool':
        return this.parseBool(fieldName);
      case 'float':
      case 'double':
        return this.parseFloat(fieldName);
      default:
        return fail(this.tok, `field "${fieldName}" has type ${type}, which text format parsing does not support`);
    }
  }

  /** One or more adjacent string literals, concatenated (`"abc" 'def'`). */
  private parseBytes(fieldName: string): Uint8Array {
    const first = this.tok;
    if (first.kind !== 'string') fail(first, `field "${fieldName}" expects a string, found ${describe(first)}`);
    const parts: Uint8Array[] = [];
    while (this.tok.kind === 'string') parts.push(this.advance().bytes ?? new Uint8Array(0));
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
  private parseInteger(range: [bigint, bigint], type: string, fieldName: string): number | string {
    const start = this.tok;
    const negative = this.trySymbol('-');
    const t = this.tok;
    const v = t.kind === 'number' ? integerValue(t.text) : undefined;
    if (v === undefined) fail(t, `field "${fieldName}" (${type}) expects an integer, found ${describe(t)}`);
    this.advance();
    const value = negative ? -v : v;
    if (value < range[0] || value > range[1]) {
      fail(start, `${negative ? '-' : ''}${t.text} is out of range for field "${fieldName}" (${type})`);
    }
    return toJsInteger(value);
  }

  /** `1.5`, `-2`, `1e-3`, `1.0f`, `.5`, `inf`, `-infinity`, `nan` (case-insensitive names). */
  private parseFloat(fieldName: string): number {
    const negative = this.trySymbol('-');
    const t = this.tok;
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
    this.advance();
    return negative ? -v : v;
  }

  private parseBool(fieldName: string): boolean {
    const t = this.tok;
    let v: boolean | undefined;
    if (t.kind === 'ident') {
      if (t.text === 'true' || t.text === 'True' || t.text === 't') v = true;
      else if (t.text === 'false' || t.text === 'False' || t.text === 'f') v = false;
    } else if (t.kind === 'number') {
      const int = integerValue(t.text);
      if (int === 0n || int === 1n) v = int === 1n;
    }
    if (v === undefined) fail(t, `field "${fieldName}" expects true or false, found ${describe(t)}`);
    this.advance();
    return v;
  }

  /** By name (`DT_FLOAT`) or by number; numbers need not be named values (proto3 enums are open). */
  private parseEnum(enm: protobuf.Enum, fieldName: string): number {
    const t = this.tok;
    if (t.kind === 'ident') {
      // values is a plain object: "constructor" & co. must not be found on its prototype.
      const v = Object.prototype.hasOwnProperty.call(enm.values, t.text) ? enm.values[t.text] : undefined;
      if (v === undefined) fail(t, `unknown value "${t.text}" for enum ${typeName(enm)} (field "${fieldName}")`);
      this.advance();
      return v;
    }
    return Number(this.parseInteger(INT32, `enum ${typeName(enm)}`, fieldName));
  }

  // --- unknown fields (allowUnknownFields)

  /** Skip what follows an unknown field name, checking only that it is well-formed. */
  private skipValue(depth: number): void {
    const colon = this.trySymbol(':');
    if (this.isSymbol('[')) {
      this.advance();
      if (this.trySymbol(']')) return;
      do this.skipOne(depth, colon);
      while (this.trySymbol(','));
      this.expectSymbol(']', 'to end a list');
    } else {
      this.skipOne(depth, colon);
    }
  }

  private skipOne(depth: number, afterColon: boolean): void {
    if (this.isSymbol('{') || this.isSymbol('<')) {
      const close = this.openBlock('', depth + 1);
      while (!this.trySymbol(close)) {
        if (this.tok.kind === 'eof') fail(this.tok, `expected "${close}", found end of input`);
        if (this.trySymbol('[')) {
          while (this.tok.kind === 'ident' || this.isSymbol('.') || this.isSymbol('/')) this.advance();
          this.expectSymbol(']', 'after the type name in "[...]"');
        } else if (this.tok.kind === 'ident') {
          this.advance();
        } else {
          fail(this.tok, `expected a field name, found ${describe(this.tok)}`);
        }
        this.skipValue(depth + 1);
        if (!this.trySymbol(',')) this.trySymbol(';');
      }
      return;
    }
    if (!afterColon) fail(this.tok, `expected ":" or "{", found ${describe(this.tok)}`);
    if (this.tok.kind === 'string') {
      while (this.tok.kind === 'string') this.advance();
      return;
    }
    this.trySymbol('-');
    if (this.tok.kind !== 'number' && this.tok.kind !== 'ident') fail(this.tok, `expected a value, found ${describe(this.tok)}`);
    this.advance();
  }
}

/** A message type named in an expanded Any, looked up from the root. Undefined if none. */
function lookupMessageType(from: protobuf.Type, name: string): protobuf.Type | undefined {
  if (!/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/.test(name)) return undefined;
  try {
    const found = from.root.lookup(`.${name}`);
    return found instanceof protobuf.Type ? found : undefined;
  } catch {
    return undefined; // protobufjs throws on absurdly deep paths
  }
}
