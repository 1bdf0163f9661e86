/**
 * Re-serializing every .tflite in the fixtures (read into the IR, written back) and running both
 * the original and our file in LiteRT.js: same inputs, bit-identical outputs. Where LiteRT.js
 * cannot run the original at all (variable tensors, unresolved custom ops), ours must fail for the
 * same reason and nothing else, and its IR must equal the original's.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { reserializeTflite } from '../../src/api/index.js';
import { readTflite } from '../../src/import/tflite.js';
import { LiteRtError, randomInputsFor, runTflite, type TfliteRunResult } from '../harness/litert.js';
import { runCli } from '../helpers/cli.js';
import { manifestModels, modelPath, readModel } from '../helpers/fixtures.js';
import { describeModel } from '../helpers/ir-summary.js';

/** What LiteRT.js 2.5.3 says about the originals it cannot run (see test/harness/litert.test.ts). */
const RUNTIME_LIMITS: Record<string, RegExp> = {
  'tflite_micro/keyword_scrambled/keyword_scrambled.tflite': /Variable tensors not yet supported/,
  'tflite_micro/keyword_scrambled/keyword_scrambled_8bit.tflite': /Variable tensors not yet supported/,
  'tflite_micro/mnist_lstm/trained_lstm.tflite': /Variable tensors not yet supported/,
  'tflite_micro/mnist_lstm/trained_lstm_int8.tflite': /Variable tensors not yet supported/,
  'tflite_micro/micro_speech/audio_preprocessor_float.tflite': /unresolved custom op: SignalWindow/,
  'tflite_micro/micro_speech/audio_preprocessor_int8.tflite': /unresolved custom op: SignalWindow/,
};

/** TOCO wrote an invalid quantized_dimension here; the original does not load, ours must. */
const PERSON_DETECT = 'tflite_micro/person_detection/person_detect.tflite';

function bytesOf(data: ArrayBufferView): Buffer {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

function expectBitIdentical(ours: TfliteRunResult, theirs: TfliteRunResult): void {
  expect(ours.outputs.map((o) => [o.name, o.dtype, o.shape])).toEqual(theirs.outputs.map((o) => [o.name, o.dtype, o.shape]));
  ours.outputs.forEach((o, i) => expect(bytesOf(o.data).equals(bytesOf(theirs.outputs[i]!.data))).toBe(true));
}

async function runError(model: Uint8Array): Promise<string> {
  try {
    await runTflite(model, await randomInputsFor(model, 1));
  } catch (err) {
    if (err instanceof LiteRtError) return `${err.message}\n${err.log.join('\n')}`;
    throw err;
  }
  throw new Error('expected LiteRT.js to refuse this model');
}

const models = manifestModels('tflite').map((m) => m.path);

describe('round trip through the IR, run in LiteRT.js', () => {
  test('covers every .tflite fixture', () => {
    expect(models).toHaveLength(15);
  });

  const runnable = models.filter((m) => !(m in RUNTIME_LIMITS) && m !== PERSON_DETECT);
  test.each(runnable)('%s: bit-identical outputs on 3 random inputs', async (file) => {
    const original = readModel(file);
    const ours = reserializeTflite(original);
    for (const seed of [1, 2, 3]) {
      const inputs = await randomInputsFor(original, seed);
      expectBitIdentical(await runTflite(ours, inputs), await runTflite(original, inputs));
    }
  });

  test.each(Object.entries(RUNTIME_LIMITS))('%s: same runtime limit, same IR', async (file, limit) => {
    const original = readModel(file);
    const ours = reserializeTflite(original);
    expect(await runError(original)).toMatch(limit);
    const ourError = await runError(ours);
    expect(ourError).toMatch(limit);
    expect(describeModel(readTflite(ours))).toEqual(describeModel(readTflite(original)));
  });

  test(`${PERSON_DETECT}: the original is refused, ours runs and tells a person from no person`, async () => {
    const original = readModel(PERSON_DETECT);
    expect(await runError(original)).toMatch(/quantized_dimension must be in range/);
    const ours = reserializeTflite(original);
    // The test images are 96x96 8-bit grayscale BMPs. TFLite Micro's own test feeds their pixel
    // bytes to the int8 input as they are (generate_cc_arrays.py writes PIL's tobytes() into an
    // int8_t array), so do the same: reinterpret, do not shift.
    const score = async (image: string) => {
      const pixels = readBmpGray(modelPath(`tflite_micro/person_detection/testdata/${image}`));
      const input = new Int8Array(pixels.buffer, pixels.byteOffset, pixels.length);
      const { outputs } = await runTflite(ours, [input]);
      const [noPerson, person] = Array.from(outputs[0]!.data as Int8Array);
      return person! - noPerson!;
    };
    expect(await score('person.bmp')).toBeGreaterThan(0);
    expect(await score('no_person.bmp')).toBeLessThan(0);
  });
});

/** Pixel values of an 8-bit paletted grayscale BMP, top row first. */
function readBmpGray(file: string): Uint8Array {
  const bmp = readFileSync(file);
  const offset = bmp.readUInt32LE(10);
  const width = bmp.readInt32LE(18);
  const height = bmp.readInt32LE(22);
  expect(bmp.readUInt16LE(28)).toBe(8);
  const stride = Math.ceil(width / 4) * 4;
  const out = new Uint8Array(width * Math.abs(height));
  for (let y = 0; y < Math.abs(height); y++) {
    // Positive height: rows are stored bottom-up.
    const row = height > 0 ? Math.abs(height) - 1 - y : y;
    for (let x = 0; x < width; x++) {
      const index = bmp[offset + row * stride + x]!;
      out[y * width + x] = bmp[54 + 4 * index]!; // palette entry (B,G,R,0): gray, so take B
    }
  }
  return out;
}

describe('the written file', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tflite-rt-'));

  test('the CLI re-serializes (positional and --tflite_file forms) deterministically', () => {
    const src = modelPath('tflite_micro/micro_speech/micro_speech_quantized.tflite');
    const a = path.join(dir, 'a.tflite');
    const b = path.join(dir, 'b.tflite');
    expect(runCli([src, '-o', a]).code).toBe(0);
    expect(runCli(['--tflite_file', src, '--output_file', b]).code).toBe(0);
    expect(readFileSync(a).equals(readFileSync(b))).toBe(true);
    expect(readFileSync(a).equals(Buffer.from(reserializeTflite(readModel('tflite_micro/micro_speech/micro_speech_quantized.tflite'))))).toBe(true);
  });

  test.each(models)('%s: TFL3, buffer 0 empty, buffers 16-byte aligned and unique', (file) => {
    const out = reserializeTflite(readModel(file));
    expect(Buffer.from(out.subarray(4, 8)).toString('latin1')).toBe('TFL3');
    const layout = bufferLayout(out);
    expect(layout[0]).toEqual({ offset: -1, length: 0 });
    const seen = new Set<string>();
    for (const { offset, length } of layout.slice(1)) {
      if (length === 0) continue;
      expect(offset % 16).toBe(0);
      const key = Buffer.from(out.subarray(offset, offset + length)).toString('base64');
      expect(seen.has(key)).toBe(false);
      seen.add(key);
    }
  });
});

/** Each buffer's data offset in the file and length, read with the raw flatbuffers API. */
function bufferLayout(bytes: Uint8Array): { offset: number; length: number }[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u32 = (at: number) => view.getUint32(at, true);
  const table = (at: number) => at + u32(at);
  const field = (tableAt: number, slot: number) => {
    const vtable = tableAt - view.getInt32(tableAt, true);
    const vsize = view.getUint16(vtable, true);
    const o = 4 + 2 * slot;
    return o < vsize ? view.getUint16(vtable + o, true) : 0;
  };
  const model = table(0);
  const buffersField = field(model, 4); // Model.buffers is field 4
  const vec = table(model + buffersField);
  return Array.from({ length: u32(vec) }, (_, i) => {
    const buffer = table(vec + 4 + 4 * i);
    const data = field(buffer, 0);
    if (data === 0) return { offset: -1, length: 0 };
    const dataVec = table(buffer + data);
    return { offset: dataVec + 4, length: u32(dataVec) };
  });
}
