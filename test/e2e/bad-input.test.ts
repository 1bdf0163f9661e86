/**
 * The bad-input catalogue, through the real CLI: one clear line on stderr naming the file and
 * the problem, exit 1 (2 for usage errors), no stack trace unless --verbose, no output file.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { modelPath } from '../helpers/fixtures.js';

let dir: string;
const TFLITE = modelPath('tflite_micro/person_detection/person_detect.tflite');
const GRAPHDEF = modelPath('utensor_cgen/deep_mlp/simple_mnist.pb');

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'tflite-convert-bad-'));
  const tflite = readFileSync(TFLITE);
  const pb = readFileSync(GRAPHDEF);
  writeFileSync(path.join(dir, 'truncated.tflite'), tflite.subarray(0, 5000));
  writeFileSync(path.join(dir, 'truncated.pb'), pb.subarray(0, 3000));
  let seed = 7;
  const random = Buffer.alloc(4096, 0).map(() => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24);
  writeFileSync(path.join(dir, 'random.pb'), random);
  writeFileSync(path.join(dir, 'random.tflite'), random);
  writeFileSync(path.join(dir, 'model.tflite.pb'), tflite);
  writeFileSync(path.join(dir, 'empty.pb'), '');
  writeFileSync(path.join(dir, 'empty.tflite'), '');
  writeFileSync(path.join(dir, 'model.onnx'), Buffer.from([1, 2, 3, 4, 5]));
  writeFileSync(path.join(dir, 'text.pbtxt'), 'node { name: "a" op: "Const" attr { key: "value" value { tensor { dtype: DT_FLOAT } } }\n');
});

/** Asserts the one-line, no-stack, no-output contract and returns stderr. */
function expectFailure(args: string[], code: number, output?: string): string {
  const result = runCli(args, dir);
  expect(result.code).toBe(code);
  const lines = result.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^tflite-convert: error: /);
  expect(result.stderr).not.toMatch(/\n\s+at /);
  if (output !== undefined) expect(existsSync(path.join(dir, output))).toBe(false);
  return lines[0]!;
}

describe('inspect rejects bad files with one line naming the file', () => {
  test.each([
    ['truncated.tflite', /truncated\.tflite: truncated or corrupt/],
    ['truncated.pb', /truncated\.pb: not a valid GraphDef protobuf/],
    ['random.pb', /random\.pb: /],
    ['random.tflite', /random\.tflite: not a \.tflite model/],
    ['empty.pb', /empty\.pb: file is empty/],
    ['empty.tflite', /empty\.tflite: file is empty/],
    ['model.onnx', /model\.onnx: unrecognized model format \(extension \.onnx/],
    ['text.pbtxt', /text\.pbtxt: .*(line|unknown|expected)/],
  ])('%s', (file, message) => {
    expect(expectFailure(['inspect', file], 1)).toMatch(message);
  });

  test('missing file and directory are usage errors', () => {
    expect(expectFailure(['inspect', 'nope.pb'], 2)).toMatch(/nope\.pb: no such file/);
    expect(expectFailure(['inspect', '.'], 2)).toMatch(/\.: is a directory/);
  });
});

describe('conversion never leaves a partial output file', () => {
  test.each(['truncated.tflite', 'random.tflite', 'empty.tflite'])('%s', (file) => {
    expectFailure([file, '-o', 'out.tflite'], 1, 'out.tflite');
    expectFailure(['--tflite_file', file, '--output_file', 'out.tflite'], 1, 'out.tflite');
  });

  test('a .tflite passed as a GraphDef', () => {
    expect(expectFailure(['--graph_def_file', 'model.tflite.pb', '-o', 'out.tflite'], 1, 'out.tflite')).toMatch(
      /model\.tflite\.pb: this is a \.tflite model, not a GraphDef/,
    );
  });

  test('an unwritable output path leaves no temporary file', () => {
    const line = expectFailure([TFLITE, '-o', path.join(dir, 'no-such-dir', 'out.tflite')], 1);
    expect(line).toMatch(/out\.tflite: cannot write output/);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});

describe('usage errors exit 2', () => {
  test.each([
    [['--no-such-flag'], /Unknown argument/],
    [[TFLITE], /no output file/],
    [['-o', 'x.tflite'], /no input model/],
    [[TFLITE, '--tflite_file', TFLITE, '-o', 'x.tflite'], /more than one input/],
  ])('%j', (args, message) => {
    expect(expectFailure(args, 2)).toMatch(message);
  });
});

test('--verbose adds the stack trace', () => {
  const result = runCli(['inspect', 'truncated.tflite', '--verbose'], dir);
  expect(result.code).toBe(1);
  expect(result.stderr).toMatch(/^tflite-convert: error: truncated\.tflite: /);
  expect(result.stderr).toMatch(/\n\s+at /);
});
