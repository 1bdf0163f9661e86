/**
 * Tokenizer for protobuf text format (see pbtxt.ts): identifiers, numbers, quoted strings
 * (unescaped to bytes here) and symbols, with `#` comments and whitespace skipped. Each token
 * carries its line and column, and every error is a ModelFormatError saying `line L:C: ...`.
 */
import { ModelFormatError } from '../util/errors.js';

export type TokenKind = 'ident' | 'number' | 'string' | 'symbol' | 'eof';

export interface Token {
  kind: TokenKind;
  /** Source text; for strings the raw literal including quotes. */
  text: string;
  /** Unescaped bytes of a string literal. */
  bytes: Uint8Array | undefined;
  line: number;
  col: number;
}

export function fail(at: { line: number; col: number }, message: string): never {
  throw new ModelFormatError(`line ${at.line}:${at.col}: ${message}`);
}

/** A token as error messages name it: `"}"`, `string "abc"`, `end of input`. */
export function describe(tok: Token): string {
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
   * it is a valid integer or float is decided when the value is read (pbtxt-values.ts), which
   * knows the field type.
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

/**
 * The token stream with one token of lookahead, and the symbol checks that the parser and the
 * value readers in pbtxt-values.ts share.
 */
export class TokenReader {
  private readonly lex: Lexer;
  private current: Token;

  constructor(text: string) {
    this.lex = new Lexer(text);
    this.current = this.lex.next();
  }

  /** The next token, not yet consumed. */
  get tok(): Token {
    return this.current;
  }

  advance(): Token {
    const t = this.current;
    this.current = this.lex.next();
    return t;
  }

  isSymbol(text: string): boolean {
    return this.tok.kind === 'symbol' && this.tok.text === text;
  }

  trySymbol(text: string): boolean {
    if (!this.isSymbol(text)) return false;
    this.advance();
    return true;
  }

  expectSymbol(text: string, context: string): Token {
    if (!this.isSymbol(text)) fail(this.tok, `expected "${text}" ${context}, found ${describe(this.tok)}`);
    return this.advance();
  }
}
