/**
 * Protobuf text format (`.pbtxt`, what `tf.io.write_graph(..., as_text=True)` writes), parsed
 * against a protobufjs reflection type. protobufjs only understands the binary and JSON forms,
 * so this is a small hand-written tokenizer (pbtxt-lexer.ts) plus a recursive-descent parser:
 * messages, lists, maps and Any here, scalar values in pbtxt-values.ts.
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
import { describe, fail, TokenReader, type Token } from './pbtxt-lexer.js';
import { defaultValue, isImplicitDefault, kindOf, parseScalar, typeName, type ValueKind } from './pbtxt-values.js';

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
  return new Parser(text, options.allowUnknownFields === true).parseTop(type);
}

// ---------------------------------------------------------------------------------------------
// Schema lookups

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

/** Same nesting limit as protobufjs' fromObject/encode/decode (and protoc's default): 100. */
const MAX_DEPTH = protobuf.util.recursionLimit;

// ---------------------------------------------------------------------------------------------
// Parser

/** Per message being parsed: which singular fields and oneofs were already set. */
interface MessageState {
  seen: Set<string>;
  oneofs: Map<string, string>;
}

/** Reads messages; scalar values are read by pbtxt-values.ts from the same token stream. */
class Parser extends TokenReader {
  constructor(
    text: string,
    private readonly allowUnknown: boolean,
  ) {
    super(text);
  }

  parseTop(type: protobuf.Type): Record<string, unknown> {
    return this.parseFields(type, 0, null);
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
    return parseScalar(this, kind, field.name);
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
        key = parseScalar(this, { kind: 'scalar', type: field.keyType }, `${field.name}.key`);
      } else if (valueKind.kind === 'message') {
        this.trySymbol(':');
        value = this.parseMessage(valueKind.type, depth + 1, `${field.name}.value`);
      } else {
        this.expectSymbol(':', `after "value" of map field "${field.name}"`);
        value = parseScalar(this, valueKind, `${field.name}.value`);
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
