/**
 * The .npz and image-folder dataset forms. Archives are written here by a small zip writer
 * (stored and deflated, plain and with NumPy's zip64 local headers) from known arrays; images by
 * pngjs/jpeg-js at known sizes, with expected pixels computed independently (block means for a
 * 2× downscale, tfjs's resizeBilinear for odd ratios).
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { crc32, deflateRawSync } from 'node:zlib';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { describe, expect, test } from 'vitest';
import { calibrateModel } from '../../src/api/calibrate.js';
import { convertGraphDef } from '../../src/api/convert.js';
import { decodeImageSample, imageSamples, resizeBilinear } from '../../src/calibrate/images.js';
import { writeNpy } from '../../src/calibrate/npy.js';
import { readNpz } from '../../src/calibrate/npz.js';
import type { Value } from '../../src/kernels/value.js';
import { ConverterError, DatasetError, UsageError } from '../../src/util/errors.js';
import { attr, GraphDefBuilder } from '../helpers/graphdef-builder.js';

const dir = mkdtempSync(path.join(tmpdir(), 'tflite-npz-images-'));
const F = { T: attr.type('float32') };

function model(inputs: [string, number[]][]) {
  const builder = new GraphDefBuilder();
  for (const [name, shape] of inputs) builder.placeholder(name, shape);
  inputs.forEach(([name], i) => builder.node(`neg${i}`, 'Neg', [name], F));
  return convertGraphDef(builder.encode(), 'm.pb').model;
}

function folder(name: string): string {
  const p = path.join(dir, name);
  mkdirSync(p);
  return p;
}

// ------------------------------------------------------------------------------------------
// A zip writer, as Python's zipfile lays archives out (numpy.savez goes through it).

interface ZipOptions {
  deflate: boolean;
  /** NumPy's force_zip64: local headers with 0xFFFFFFFF sizes and a zip64 extra field. */
  zip64Local?: boolean;
}

function writeZip(entries: [string, Uint8Array][], { deflate, zip64Local = false }: ZipOptions): Uint8Array {
  const chunks: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const [name, data] of entries) {
    const nameBytes = new TextEncoder().encode(name);
    const body = deflate ? new Uint8Array(deflateRawSync(data)) : data;
    const crc = crc32(data);
    const extra = new Uint8Array(zip64Local ? 20 : 0);
    if (zip64Local) {
      const ev = new DataView(extra.buffer);
      ev.setUint16(0, 1, true);
      ev.setUint16(2, 16, true);
      ev.setBigUint64(4, BigInt(data.length), true);
      ev.setBigUint64(12, BigInt(body.length), true);
    }
    const local = new Uint8Array(30 + nameBytes.length + extra.length);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint16(4, zip64Local ? 45 : 20, true);
    lv.setUint16(8, deflate ? 8 : 0, true);
    lv.setUint32(14, crc, true);
    lv.setUint32(18, zip64Local ? 0xffffffff : body.length, true);
    lv.setUint32(22, zip64Local ? 0xffffffff : data.length, true);
    lv.setUint16(26, nameBytes.length, true);
    lv.setUint16(28, extra.length, true);
    local.set(nameBytes, 30);
    local.set(extra, 30 + nameBytes.length);
    const entry = new Uint8Array(46 + nameBytes.length);
    const cv = new DataView(entry.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(4, 20, true);
    cv.setUint16(6, 20, true);
    cv.setUint16(10, deflate ? 8 : 0, true);
    cv.setUint32(16, crc, true);
    cv.setUint32(20, body.length, true);
    cv.setUint32(24, data.length, true);
    cv.setUint16(28, nameBytes.length, true);
    cv.setUint32(42, offset, true);
    entry.set(nameBytes, 46);
    chunks.push(local, body);
    central.push(entry);
    offset += local.length + body.length;
  }
  const centralSize = central.reduce((a, c) => a + c.length, 0);
  const end = new Uint8Array(22);
  const ev = new DataView(end.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, entries.length, true);
  ev.setUint16(10, entries.length, true);
  ev.setUint32(12, centralSize, true);
  ev.setUint32(16, offset, true);
  return Buffer.concat([...chunks, ...central, end]);
}

function writeNpz(arrays: Record<string, Value>, options: ZipOptions): Uint8Array {
  return writeZip(Object.entries(arrays).map(([key, value]) => [`${key}.npy`, writeNpy(value)]), options);
}

/** The one line the CLI would print for the rejection: `file: message`. */
async function described(promise: Promise<unknown>): Promise<string> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConverterError);
  return (err as ConverterError).describe();
}

const f32 = (shape: number[], values: number[]): Value => ({ dtype: 'float32', shape, data: Float32Array.from(values) });

describe('.npz archives', () => {
  const a = f32([2, 3], [1, -2, 3, 4, 5, -6]);
  const b = f32([2, 1, 3], [0, 0.5, 0, -7, 0, 9]);

  test.each([
    ['stored', { deflate: false }],
    ['deflated', { deflate: true }],
    ['deflated with NumPy zip64 local headers', { deflate: true, zip64Local: true }],
    ['stored with NumPy zip64 local headers', { deflate: false, zip64Local: true }],
  ])('%s: members read back as the arrays written', (_, options) => {
    const members = readNpz(writeNpz({ 'in/a': a, b }, options));
    expect(members.map((m) => m.key)).toEqual(['in/a', 'b']);
    expect(members[0]!.read()).toEqual(a);
    expect(members[1]!.read()).toEqual(b);
  });

  test('calibration takes one array per input by name (or its file-safe spelling), split along the first axis', async () => {
    const twoInputs = model([
      ['in/a', [1, 3]],
      ['b', [1, 3]],
    ]);
    const byName = path.join(dir, 'byname.npz');
    writeFileSync(byName, writeNpz({ b, 'in/a': a, unused: f32([1], [100]) }, { deflate: true }));
    const result = await calibrateModel(twoInputs, { dataset: byName });
    expect(result.samples).toBe(2);
    expect(result.ranges['in/a']).toEqual({ min: -6, max: 5 });
    expect(result.ranges.b).toEqual({ min: -7, max: 9 });
    expect(result.ranges.neg1).toEqual({ min: -9, max: 7 });

    const safe = path.join(dir, 'safe.npz');
    writeFileSync(safe, writeNpz({ in_a: a, b }, { deflate: false }));
    expect((await calibrateModel(twoInputs, { dataset: safe, maxSamples: 1 })).ranges['in/a']).toEqual({ min: -2, max: 3 });
  });

  test('a single-input model takes the only array whatever its key (numpy.savez(f, x) writes arr_0)', async () => {
    const npz = path.join(dir, 'positional.npz');
    writeFileSync(npz, writeNpz({ arr_0: f32([3, 2, 2], [...Array(12).keys()]) }, { deflate: true, zip64Local: true }));
    const result = await calibrateModel(model([['x', [1, 2, 2]]]), { dataset: npz });
    expect(result.samples).toBe(3);
    expect(result.ranges.x).toEqual({ min: 0, max: 11 });
  });

  test('errors: a missing input lists the keys found; corrupt data names the file', async () => {
    const twoInputs = model([
      ['in/a', [1, 3]],
      ['b', [1, 3]],
    ]);
    const missing = path.join(dir, 'missing.npz');
    writeFileSync(missing, writeNpz({ 'in/a': a, c: b }, { deflate: true }));
    const err = await calibrateModel(twoInputs, { dataset: missing }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatasetError);
    expect((err as DatasetError).file).toBe(missing);
    expect((err as DatasetError).message).toBe('no array for input "b" in the .npz (found: in/a, c)');

    const bytes = writeNpz({ x: f32([2, 2], [1, 2, 3, 4]) }, { deflate: false });
    bytes[bytes.length - 22 - 46 - 5 - 1] ^= 0xff; // the last data byte, just before the central directory
    const corrupt = path.join(dir, 'corrupt.npz');
    writeFileSync(corrupt, bytes);
    expect(await described(calibrateModel(model([['x', [1, 2]]]), { dataset: corrupt }))).toMatch(/corrupt\.npz: \.npz archive: member "x\.npy" fails its CRC check/);
    const dataset = path.join(dir, 'notzip.npz');
    writeFileSync(dataset, 'hello');
    expect(await described(calibrateModel(model([['x', [1, 2]]]), { dataset }))).toMatch(/notzip\.npz: \.npz archive: file is too short/);
  });
});

// ------------------------------------------------------------------------------------------
// Images

/** An RGBA PNG of width×height whose pixel (x, y) is rgb(x, y). */
function png(width: number, height: number, rgb: (x: number, y: number) => [number, number, number], alpha = 255): Buffer {
  const image = new PNG({ width, height });
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = (y * width + x) * 4;
      const [r, g, b] = rgb(x, y);
      image.data[p] = r;
      image.data[p + 1] = g;
      image.data[p + 2] = b;
      image.data[p + 3] = alpha;
    }
  }
  return PNG.sync.write(image);
}

/** Distinct, irregular pixel values, so any misplaced pixel or channel shows. */
const pattern = (x: number, y: number): [number, number, number] => [(x * 37 + y * 11) % 256, (x * 5 + y * 71 + 3) % 256, (x * y * 13 + 200) % 256];

async function collect(dir: string, shape: number[], options: Parameters<typeof imageSamples>[2] = {}): Promise<Float32Array[]> {
  return [...imageSamples(dir, [{ name: 'img', dtype: 'float32', shape }], options)].map((s) => decodeImageSample(s).data);
}

describe('a folder of images', () => {
  test('PNG, 2× downscale: every value is the exact 2×2 block mean, then (x - mean) / std per channel', async () => {
    const images = folder('png');
    writeFileSync(path.join(images, 'one.png'), png(12, 8, pattern, 128)); // alpha is dropped, not blended
    const raw = await collect(images, [1, 4, 6, 3], { inputRange: [0, 255] });
    const mean = [10, 20, 30];
    const std = [1, 2, 4];
    const [normalized] = await collect(images, [1, 4, 6, 3], { meanValues: mean, stdDevValues: std });
    let checked = 0;
    for (let y = 0; y < 4; y++) {
      for (let x = 0; x < 6; x++) {
        for (let c = 0; c < 3; c++) {
          const block = [pattern(2 * x, 2 * y), pattern(2 * x + 1, 2 * y), pattern(2 * x, 2 * y + 1), pattern(2 * x + 1, 2 * y + 1)];
          const expected = block.reduce((s, p) => s + p[c]!, 0) / 4;
          const i = (y * 6 + x) * 3 + c;
          expect(raw[0]![i]).toBe(expected);
          expect(normalized![i]).toBe(Math.fround((expected - mean[c]!) / std[c]!));
          checked++;
        }
      }
    }
    expect(checked).toBe(72);
  });

  test('odd ratios, up and down, match tfjs resizeBilinear with half pixel centers', async () => {
    for (const [h, w, outH, outW] of [
      [5, 7, 3, 4],
      [3, 4, 7, 9],
      [6, 6, 6, 6],
    ] as const) {
      const data = Uint8Array.from({ length: h * w * 3 }, (_, i) => (i * 97 + 13) % 256);
      const ours = resizeBilinear({ width: w, height: h, channels: 3, data }, outH, outW);
      const theirs = tf.image.resizeBilinear(tf.tensor4d(Float32Array.from(data), [1, h, w, 3]), [outH, outW], false, true);
      const expected = theirs.dataSync();
      theirs.dispose();
      expect(ours.length).toBe(expected.length);
      ours.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 3));
    }
  });

  test('grayscale inputs get luminance (exact for gray pixels); --input_range maps 0..255 onto it', async () => {
    const images = folder('gray');
    writeFileSync(path.join(images, 'g.png'), png(2, 2, (x, y) => [60 * (x + 2 * y), 60 * (x + 2 * y), 60 * (x + 2 * y)]));
    writeFileSync(path.join(images, 'h.png'), png(2, 2, () => [255, 0, 0]));
    const [gray, red] = await collect(images, [2, 2, 1], { inputRange: [-1, 1] });
    expect(Array.from(gray!)).toEqual([0, 60, 120, 180].map((v) => Math.fround((v - 127.5) / 127.5)));
    expect(red![0]).toBeCloseTo((0.299 * 255 - 127.5) / 127.5, 6);
  });

  test('JPEG: decoded and resized within JPEG error of the colors encoded', async () => {
    const images = folder('jpeg');
    // Four flat 8×8 quadrants, aligned to JPEG's blocks, so the decoded colors stay close.
    const colors: [number, number, number][] = [
      [250, 10, 10],
      [10, 240, 20],
      [20, 30, 230],
      [128, 128, 128],
    ];
    const rgba = Buffer.alloc(16 * 16 * 4);
    for (let y = 0; y < 16; y++) {
      for (let x = 0; x < 16; x++) {
        const [r, g, b] = colors[(y >> 3) * 2 + (x >> 3)]!;
        rgba.set([r, g, b, 255], (y * 16 + x) * 4);
      }
    }
    writeFileSync(path.join(images, 'q.jpg'), jpeg.encode({ width: 16, height: 16, data: rgba }, 95).data);
    const [sample] = await collect(images, [1, 4, 4, 3], { inputRange: [0, 1] });
    for (let y = 0; y < 4; y++) {
      for (let x = 0; x < 4; x++) {
        const color = colors[(y >> 1) * 2 + (x >> 1)]!;
        for (let c = 0; c < 3; c++) expect(Math.abs(sample![(y * 4 + x) * 3 + c]! * 255 - color[c]!)).toBeLessThanOrEqual(6);
      }
    }
  });

  test('files are taken in code-unit name order, mixed PNG and JPEG, through calibrateModel', async () => {
    const images = folder('order');
    const level = { '9.png': 9, '10.png': 10, 'B.png': 66, 'a.jpg': 97, 'b.PNG': 98 } as Record<string, number>;
    for (const [name, v] of Object.entries(level)) {
      const bytes = name.endsWith('.jpg') ? jpeg.encode({ width: 8, height: 8, data: Buffer.alloc(256, v) }, 100).data : png(8, 8, () => [v, v, v]);
      writeFileSync(path.join(images, name), bytes);
    }
    writeFileSync(path.join(images, 'notes.txt'), 'not an image');
    const samples = await collect(images, [1, 2, 2, 3]);
    expect(samples.map((s) => Math.round(s[0]!))).toEqual([10, 9, 66, 97, 98]);
    const notices: string[] = [];
    const result = await calibrateModel(model([['img', [1, 2, 2, 3]]]), { dataset: images, maxSamples: 3, notice: (m) => notices.push(m) });
    expect(result.samples).toBe(3);
    expect(result.ranges.img).toEqual({ min: 9, max: 66 });
    expect(notices.join('\n')).toMatch(/raw pixel values 0\.\.255/);
  });

  test('errors: a corrupt image names the file; an empty folder; a model that takes no images; conflicting flags', async () => {
    const bad = folder('bad');
    writeFileSync(path.join(bad, 'a.png'), png(4, 4, pattern));
    const good = readFileSync(path.join(bad, 'a.png'));
    writeFileSync(path.join(bad, 'b.png'), good.subarray(0, 40));
    const err = await calibrateModel(model([['img', [1, 4, 4, 3]]]), { dataset: bad }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatasetError);
    expect((err as DatasetError).file).toBe(path.join(bad, 'b.png'));
    expect((err as DatasetError).message).toMatch(/^cannot decode the image: /);

    const badJpeg = folder('badjpeg');
    const jpg = jpeg.encode({ width: 16, height: 16, data: Buffer.alloc(1024, 77) }, 90).data;
    writeFileSync(path.join(badJpeg, 'cut.jpg'), jpg.subarray(0, jpg.length >> 1));
    expect(await described(calibrateModel(model([['img', [1, 4, 4, 3]]]), { dataset: badJpeg }))).toMatch(/cut\.jpg: cannot decode the image: /);

    const empty = folder('empty');
    expect(await described(calibrateModel(model([['img', [1, 4, 4, 3]]]), { dataset: empty }))).toMatch(/empty: the folder holds no \.npy files and no \.jpg\/\.jpeg\/\.png images/);

    const images = folder('fine');
    writeFileSync(path.join(images, 'a.png'), png(4, 4, pattern));
    const two = model([
      ['a', [1, 4, 4, 3]],
      ['b', [1, 4, 4, 3]],
    ]);
    await expect(calibrateModel(two, { dataset: images })).rejects.toThrow(/one image input; this one has 2/);
    await expect(calibrateModel(model([['v', [1, 10]]]), { dataset: images })).rejects.toThrow(/input "v" has shape \[1,10\]/);
    const rgb = model([['img', [1, 4, 4, 3]]]);
    await expect(calibrateModel(rgb, { dataset: images, meanValues: [1, 2] })).rejects.toThrow(/--mean_values has 2 values; the input has 3 channels/);
    await expect(calibrateModel(rgb, { dataset: images, stdDevValues: [0] })).rejects.toThrow(UsageError);
    await expect(calibrateModel(rgb, { dataset: images, inputRange: [0, 1], meanValues: [127] })).rejects.toThrow(/either --input_range or --mean_values/);
    const npy = path.join(dir, 'x.npy');
    writeFileSync(npy, writeNpy(f32([1, 1, 4, 4, 3], Array(48).fill(0))));
    await expect(calibrateModel(rgb, { dataset: npy, meanValues: [127] })).rejects.toThrow(/apply to a folder of images only/);
  });
});
