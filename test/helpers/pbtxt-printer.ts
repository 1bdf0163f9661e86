/**
 * A generic protobuf TextFormat printer for tests, and the random text mutations the pbtxt tests
 * use with it. Without a PRNG it prints the way TF's C++ TextFormat does: fields in number order,
 * `name: value` / `name {`, bytes escaped in octal. With a PRNG it picks among all the
 * alternative spellings the parser accepts, to exercise them on real graphs.
 */
import protobuf from 'protobufjs';

/** A source of uniform numbers in [0, 1), e.g. mulberry32(seed) from test/harness/random-inputs.ts. */
export type Rng = () => number;

type Dict = Record<string, unknown>;

/**
 * Prints a message (decoded, or a plain object with protobufjs field names) as text format.
 * Output accumulates, so use one printer per message.
 */
export class TextPrinter {
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
// Mutation fuzzing

/** Pieces of text-format syntax (and near misses) worth splicing into valid text. */
export const PBTXT_FRAGMENTS = [
  '{', '}', '<', '>', '[', ']', ':', ',', ';', '-', '.', '/', '"', "'", '\\', '#', '\n', ' ', '0', '9', 'x', 'e', 'f',
  '0x', '1e', '1.5', '-0', 'nan', 'inf', 'true', 'DT_FLOAT', 'node', 'attr', 'key', 'value', 'name', 'i', 'list',
  '\\x', '\\u', '\\U0010ffff', '\\777', '\\uD800', '99999999999999999999999', '[a.b/tensorflow.VersionDef]', '{ {', '} }',
  '\u00e9', '\ud800', '\u0000', '__proto__', 'constructor',
];

/** `text` with 1 to 4 random edits: deletions, insertions, duplications, truncation, swaps. */
export function mutate(text: string, rng: Rng): string {
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
        s = s.slice(0, at) + (PBTXT_FRAGMENTS[Math.floor(rng() * PBTXT_FRAGMENTS.length)] ?? '') + s.slice(at);
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
