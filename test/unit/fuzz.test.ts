/**
 * Seeded byte-mutation fuzzing of real fixtures: every mutated .pb and .tflite must either import
 * or throw one of our typed errors; never a RangeError/TypeError from deep inside a decoder, and
 * never a hang (the per-file time budget below). A .tflite that still reads must also write back
 * or fail with a typed error.
 */
import { describe, expect, test } from 'vitest';
import { writeTflite } from '../../src/export/tflite.js';
import { importModel } from '../../src/import/index.js';
import { ConverterError } from '../../src/util/errors.js';
import { mulberry32 } from '../harness/random-inputs.js';
import { readModel } from '../helpers/fixtures.js';

const INTERESTING = [0, 1, 0x7f, 0x80, 0xff, 0x7fffffff, 0x80000000, 0xffffffff, 0x10000, 0xfffffff0];

function mutate(source: Uint8Array, random: () => number): Uint8Array {
  const pick = (n: number) => Math.floor(random() * n);
  let bytes = source.slice();
  const rounds = 1 + pick(4);
  for (let r = 0; r < rounds; r++) {
    switch (pick(5)) {
      case 0: // flip a few bytes
        for (let i = 0, n = 1 + pick(8); i < n; i++) bytes[pick(bytes.length)] = pick(256);
        break;
      case 1: // truncate
        bytes = bytes.slice(0, pick(bytes.length));
        break;
      case 2: // plant an extreme 32-bit value (offsets, lengths, counts)
        if (bytes.length >= 4) {
          const at = pick(bytes.length - 3);
          new DataView(bytes.buffer).setUint32(at, INTERESTING[pick(INTERESTING.length)]!, true);
        }
        break;
      case 3: {
        // insert random bytes
        const at = pick(bytes.length + 1);
        const extra = Uint8Array.from({ length: 1 + pick(16) }, () => pick(256));
        const grown = new Uint8Array(bytes.length + extra.length);
        grown.set(bytes.subarray(0, at));
        grown.set(extra, at);
        grown.set(bytes.subarray(at), at + extra.length);
        bytes = grown;
        break;
      }
      default: {
        // copy a chunk over another place
        const from = pick(bytes.length);
        const len = Math.min(1 + pick(64), bytes.length - from);
        bytes.copyWithin(pick(Math.max(1, bytes.length - len)), from, from + len);
      }
    }
    if (bytes.length === 0) break;
  }
  return bytes;
}

/** Imports the bytes; returns what happened, failing the test on any untyped error. */
function tryImport(bytes: Uint8Array, name: string): 'ok' | 'rejected' {
  try {
    const { format, model } = importModel(bytes, name);
    if (format === 'tflite') writeTflite(model);
    return 'ok';
  } catch (err) {
    if (err instanceof ConverterError) return 'rejected';
    throw new Error(`${name}: untyped ${(err as Error)?.constructor?.name}: ${(err as Error)?.message}`, { cause: err });
  }
}

const CASES = [
  { file: 'tflite_micro/hello_world/hello_world_int8.tflite', name: 'm.tflite', count: 1500 },
  { file: 'tflite_micro/micro_speech/micro_speech_quantized.tflite', name: 'm.tflite', count: 1000 },
  { file: 'tflite_micro/keyword_scrambled/keyword_scrambled.tflite', name: 'm.tflite', count: 500 },
  { file: 'utensor_cgen/conv/test_conv.pb', name: 'm.pb', count: 1500 },
  { file: 'utensor_cgen/deep_cnn/cifar10_cnn.pb', name: 'm.pb', count: 500 },
  { file: 'tensorflow_onnx/lstm/frozen.pb', name: 'm.pb', count: 300 },
];

describe('fuzzed models import or fail with a typed error', () => {
  test.each(CASES)('$file × $count', ({ file, name, count }) => {
    const source = readModel(file);
    const random = mulberry32(count * 7919 + source.length); // seeded, so failures reproduce
    const outcomes = { ok: 0, rejected: 0 };
    const started = Date.now();
    for (let i = 0; i < count; i++) outcomes[tryImport(mutate(source, random), name)]++;
    // Both outcomes occur: the mutations are neither all harmless nor all fatal.
    expect(outcomes.rejected).toBeGreaterThan(0);
    expect(outcomes.ok + outcomes.rejected).toBe(count);
    // No single file may take long: a hang shows up as a blown budget (generous for slow CI).
    expect(Date.now() - started).toBeLessThan(count * 50);
  });
});
