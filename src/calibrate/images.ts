/**
 * A folder of JPEG/PNG images as a representative dataset for a model with one NHWC image input,
 * preprocessed the way a Keras/TF input pipeline usually does it: decode to 8-bit RGB (alpha
 * dropped, as tf.io.decode_png(channels=3) does), bilinear resize to the input's H×W with half
 * pixel centers and no antialiasing (tf.image.resize's default), luminance for one-channel
 * inputs, then scale: (x - mean) / std per channel (TF's --mean_values/--std_dev_values
 * meaning), or x/255 mapped onto an --input_range. Files are taken in code-unit name order, so
 * the same folder always gives the same samples whatever the locale.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { DatasetError, UsageError } from '../util/errors.js';
import type { InputSpec } from './samples.js';

export const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png']);

/** Pixels, row-major, `channels` interleaved values per pixel. */
export interface Pixels {
  width: number;
  height: number;
  channels: number;
  data: ArrayLike<number>;
}

/** A decoded image: 8-bit RGB. */
export interface DecodedImage extends Pixels {
  data: Uint8Array;
}

export interface ImagePreprocessing {
  /** Subtracted per channel (one value for all channels, or one per channel). */
  meanValues?: number[] | undefined;
  /** Divides per channel after the mean is subtracted. */
  stdDevValues?: number[] | undefined;
  /** Maps pixel values 0..255 linearly onto this range (instead of mean/std). */
  inputRange?: [number, number] | undefined;
}

/** The image files of a folder in a deterministic order (code units, not the locale's collation). */
export function imageFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => IMAGE_EXTENSIONS.has(path.extname(f).toLowerCase()))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47];

/** Decodes a PNG or JPEG (told apart by content, not by extension) to 8-bit RGB. */
export function decodeImage(bytes: Uint8Array): DecodedImage {
  if (PNG_MAGIC.every((b, i) => bytes[i] === b)) {
    // pngjs expands palette and gray images to RGBA and scales 16-bit samples to 8 bits.
    const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    return dropAlpha(png.width, png.height, png.data);
  }
  if (bytes[0] === 0xff && bytes[1] === 0xd8) {
    // Strict decoding: a truncated file is an error rather than an image with grey blocks.
    const image = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false, tolerantDecoding: false });
    return { width: image.width, height: image.height, channels: 3, data: image.data };
  }
  throw new Error('not a PNG or JPEG image');
}

function dropAlpha(width: number, height: number, rgba: Uint8Array): DecodedImage {
  const data = new Uint8Array(width * height * 3);
  for (let p = 0, q = 0; q < data.length; p += 4, q += 3) {
    data[q] = rgba[p]!;
    data[q + 1] = rgba[p + 1]!;
    data[q + 2] = rgba[p + 2]!;
  }
  return { width, height, channels: 3, data };
}

/** One channel: ITU-R BT.601 luma (PIL's convert('L') weights), exact for gray pixels. */
export function toLuminance(image: Pixels): Pixels {
  if (image.channels === 1) return image;
  const data = new Float32Array(image.width * image.height);
  for (let i = 0, p = 0; i < data.length; i++, p += image.channels) {
    data[i] = (299 * image.data[p]! + 587 * image.data[p + 1]! + 114 * image.data[p + 2]!) / 1000;
  }
  return { width: image.width, height: image.height, channels: 1, data };
}

/** Source coordinates of each output row/column (TF's HalfPixelScaler and interpolation weights). */
function interpolation(outSize: number, inSize: number): { lower: Int32Array; upper: Int32Array; lerp: Float32Array } {
  const scale = inSize / outSize;
  const lower = new Int32Array(outSize);
  const upper = new Int32Array(outSize);
  const lerp = new Float32Array(outSize);
  for (let i = 0; i < outSize; i++) {
    const at = (i + 0.5) * scale - 0.5;
    const floor = Math.floor(at);
    lower[i] = Math.max(floor, 0);
    upper[i] = Math.min(Math.ceil(at), inSize - 1);
    lerp[i] = at - floor;
  }
  return { lower, upper, lerp };
}

/**
 * Bilinear resize to height×width as tf.image.resize(method='bilinear') computes it: half pixel
 * centers, edges clamped, no antialiasing; float results, not rounded. Same size is the identity.
 */
export function resizeBilinear(image: Pixels, height: number, width: number): Float32Array {
  const { channels, data } = image;
  const ys = interpolation(height, image.height);
  const xs = interpolation(width, image.width);
  const out = new Float32Array(height * width * channels);
  const rowStride = image.width * channels;
  let o = 0;
  for (let y = 0; y < height; y++) {
    const top = ys.lower[y]! * rowStride;
    const bottom = ys.upper[y]! * rowStride;
    const dy = ys.lerp[y]!;
    for (let x = 0; x < width; x++) {
      const left = xs.lower[x]! * channels;
      const right = xs.upper[x]! * channels;
      const dx = xs.lerp[x]!;
      for (let c = 0; c < channels; c++) {
        const topValue = data[top + left + c]! + (data[top + right + c]! - data[top + left + c]!) * dx;
        const bottomValue = data[bottom + left + c]! + (data[bottom + right + c]! - data[bottom + left + c]!) * dx;
        out[o++] = topValue + (bottomValue - topValue) * dy;
      }
    }
  }
  return out;
}

/**
 * Per-channel mean and std: value' = (value - mean[c]) / std[c]. An input range [lo, hi] is
 * the same map with mean = -lo·255/(hi-lo) and std = 255/(hi-lo) (0,1 → x/255; -1,1 → (x-127.5)/127.5).
 */
function normalizationFor(options: ImagePreprocessing, channels: number, file: string): { mean: number[]; std: number[] } {
  const { meanValues, stdDevValues, inputRange } = options;
  if (inputRange !== undefined && (meanValues !== undefined || stdDevValues !== undefined)) {
    throw new UsageError('give either --input_range or --mean_values/--std_dev_values for images, not both', { file });
  }
  if (inputRange !== undefined) {
    const [lo, hi] = inputRange;
    return { mean: Array<number>(channels).fill((-lo * 255) / (hi - lo)), std: Array<number>(channels).fill(255 / (hi - lo)) };
  }
  const perChannel = (values: number[] | undefined, fallback: number, flag: string): number[] => {
    if (values === undefined) return Array<number>(channels).fill(fallback);
    if (values.length === 1) return Array<number>(channels).fill(values[0]!);
    if (values.length !== channels) throw new UsageError(`${flag} has ${values.length} values; the input has ${channels} channels (give 1 or ${channels})`, { file });
    return values;
  };
  const mean = perChannel(meanValues, 0, '--mean_values');
  const std = perChannel(stdDevValues, 1, '--std_dev_values');
  if (mean.some((m) => !Number.isFinite(m))) throw new UsageError('--mean_values must be finite', { file });
  if (std.some((s) => !Number.isFinite(s) || s === 0)) throw new UsageError('--std_dev_values must be finite and non-zero', { file });
  return { mean, std };
}

/** [H, W, C] of the one image input, or a DatasetError saying why the model does not take images. */
function imageInputShape(inputs: readonly InputSpec[], dir: string): [number, number, number] {
  if (inputs.length !== 1) {
    throw new DatasetError(`a folder of images feeds a model with one image input; this one has ${inputs.length} (write a dataset script)`, { file: dir });
  }
  const { name, shape } = inputs[0]!;
  const hwc = shape.length === 4 && shape[0] === 1 ? shape.slice(1) : shape;
  const [h = 0, w = 0, c = 0] = hwc;
  if (hwc.length !== 3 || (c !== 1 && c !== 3)) {
    throw new DatasetError(`input "${name}" has shape [${shape}]; a folder of images feeds [1,H,W,3] or [1,H,W,1] (NHWC) inputs`, { file: dir });
  }
  return [h, w, c];
}

/**
 * One image sample described rather than decoded: a plain object (structured-cloneable), so a
 * calibration worker can decode it itself (decodeImageSample) and images decode on every core.
 */
export interface ImageSample {
  kind: 'image';
  file: string;
  height: number;
  width: number;
  channels: number;
  mean: number[];
  std: number[];
}

/** The image files of `dir` in name order as samples for the model's one image input, not yet decoded. */
export function* imageSamples(
  dir: string,
  inputs: readonly InputSpec[],
  options: ImagePreprocessing & { maxSamples?: number | undefined; notice?: ((message: string) => void) | undefined },
): Generator<ImageSample> {
  const [height, width, channels] = imageInputShape(inputs, dir);
  const { mean, std } = normalizationFor(options, channels, dir);
  if (options.inputRange === undefined && options.meanValues === undefined && options.stdDevValues === undefined) {
    options.notice?.('feeding raw pixel values 0..255; give --input_range or --mean_values/--std_dev_values to match the model\'s preprocessing');
  }
  const files = imageFiles(dir).slice(0, options.maxSamples ?? Infinity);
  for (const name of files) yield { kind: 'image', file: path.join(dir, name), height, width, channels, mean, std };
}

/** Decodes and preprocesses one image sample: Float32Array data of the input's shape without the batch dimension. */
export function decodeImageSample(sample: ImageSample): { data: Float32Array; shape: number[] } {
  const { file, height, width, channels, mean, std } = sample;
  let image: Pixels;
  try {
    image = decodeImage(readFileSync(file));
  } catch (err) {
    throw new DatasetError(`cannot decode the image: ${err instanceof Error ? err.message : String(err)}`, { file, cause: err });
  }
  if (channels === 1) image = toLuminance(image);
  const data = resizeBilinear(image, height, width);
  for (let i = 0; i < data.length; i++) {
    const c = i % channels;
    data[i] = (data[i]! - mean[c]!) / std[c]!;
  }
  return { data, shape: [height, width, channels] };
}
