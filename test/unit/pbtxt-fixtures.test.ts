/**
 * The text-format parser against real graphs: the add fixture as TF prints it and in every
 * alternative syntax, every binary GraphDef fixture printed as text and parsed back, and fuzzing
 * (seeded mutations of valid text, fast-check strings).
 */
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseTextProto } from '../../src/import/pbtxt.js';
import { ModelFormatError } from '../../src/util/errors.js';
import { mulberry32 } from '../harness/random-inputs.js';
import { modelPath, readModel } from '../helpers/fixtures.js';
import { encodeParsed, parseMessage, plain, tfRoot } from '../helpers/pbtxt-parse.js';
import { mutate, PBTXT_FRAGMENTS, TextPrinter } from '../helpers/pbtxt-printer.js';

const GraphDef = tfRoot.lookupType('tensorflow.GraphDef');

type Dict = Record<string, unknown>;

/** Every binary GraphDef fixture, as a path relative to MODELS_DIR. */
function findPbFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(modelPath(dir), { withFileTypes: true })) {
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.name.endsWith('.pb')) out.push(p);
    }
  };
  walk('utensor_cgen');
  for (const d of fs.readdirSync(modelPath('tensorflow_onnx'))) {
    const p = path.join('tensorflow_onnx', d, 'frozen.pb');
    if (fs.existsSync(modelPath(p))) out.push(p);
  }
  return out.sort();
}

/** test/fixtures/models/utensor_cgen/add/test_add.pb as TF's write_graph(as_text=True) prints it. */
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
  const pb = readModel('utensor_cgen/add/test_add.pb');
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

  it.each(files.map((file, i) => [file, i] as const))('%s', (file, i) => {
    const pb = readModel(file);
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
    new TextPrinter(mulberry32(7)).print(GraphDef, GraphDef.decode(readModel('utensor_cgen/conv/test_conv.pb'))),
    String.raw`node { name: "n" attr { key: "l" value { list { i: [1, -2, 0x7fffffffffffffff] f: [nan, -inf, 1e5f] b: [t, 0]
      s: ["\303\251", '\x00'] type: [DT_FLOAT, 3] shape { dim { size: -1 name: "\u00e9" } unknown_rank: true } } } }
      attr { key: "f" value { func { name: "g" attr { key: "k" value { placeholder: "p" } } } } } }
      library { function { signature { name: "g" } resource_arg_unique_id { key: 1 value: 2 } } }
      debug_info { name_to_trace_id { key: "a" value: 18446744073709551615 } }`,
  ];

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
    const token = fc.constantFrom(...PBTXT_FRAGMENTS, 'node {', 'name: "a"', 'attr { key: "k" value { i: 1 } }', '}', ' ', '\n');
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
