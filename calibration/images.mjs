/**
 * Representative data from a folder of JPEG/PNG images, with the preprocessing written out so you
 * can make it match your model's: center crop to the input's aspect ratio, bilinear resize,
 * scale to [-1, 1] (MobileNet/Inception style). For plain resize + (x - mean) / std, the built-in
 * `--representative_dataset FOLDER --mean_values ... --std_dev_values ...` needs no script.
 *
 *   CALIBRATION_DATA   folder of .jpg/.jpeg/.png files (default: calibration-images)
 *   CALIBRATION_SHAPE  the model input's shape, NHWC (default: 1,224,224,3; channels 3 or 1)
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { decodeImage, resizeBilinear, toLuminance } from 'tflite-convert';

const FOLDER = process.env.CALIBRATION_DATA ?? 'calibration-images';
const SHAPE = (process.env.CALIBRATION_SHAPE ?? '1,224,224,3').split(',').map(Number);
const [HEIGHT, WIDTH, CHANNELS] = SHAPE.slice(-3);

/** The largest centered window with the target's aspect ratio (width / height). */
function centerCrop(image, aspect) {
  const width = Math.min(image.width, Math.round(image.height * aspect));
  const height = Math.min(image.height, Math.round(image.width / aspect));
  const left = Math.floor((image.width - width) / 2);
  const top = Math.floor((image.height - height) / 2);
  const data = new Uint8Array(width * height * image.channels);
  for (let y = 0; y < height; y++) {
    const from = ((top + y) * image.width + left) * image.channels;
    data.set(image.data.subarray(from, from + width * image.channels), y * width * image.channels);
  }
  return { width, height, channels: image.channels, data };
}

/** Pixel values 0..255 → [-1, 1]. Change this to your model's normalization. */
function normalize(values) {
  for (let i = 0; i < values.length; i++) values[i] = values[i] / 127.5 - 1;
  // ImageNet mean/std instead (RGB):
  //   const mean = [123.675, 116.28, 103.53], std = [58.395, 57.12, 57.375];
  //   values[i] = (values[i] - mean[i % 3]) / std[i % 3];
  return values;
}

export default function* representativeDataset() {
  const files = readdirSync(FOLDER)
    .filter((f) => /\.(jpe?g|png)$/i.test(f))
    .sort(); // name order (UTF-16 code units): the same samples on every machine
  if (files.length === 0) throw new Error(`${FOLDER}: no .jpg/.jpeg/.png images`);
  for (const name of files) {
    const file = path.join(FOLDER, name);
    let image;
    try {
      image = decodeImage(readFileSync(file));
    } catch (err) {
      throw new Error(`${file}: ${err instanceof Error ? err.message : String(err)}`);
    }
    const cropped = centerCrop(image, WIDTH / HEIGHT);
    const pixels = CHANNELS === 1 ? toLuminance(cropped) : cropped;
    // One sample = the input's values in NHWC order; the batch dimension of 1 may be left out.
    yield normalize(resizeBilinear(pixels, HEIGHT, WIDTH));
  }
}
