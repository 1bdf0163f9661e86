// Shared by the LiteRT.js harness tests: the fixture models (in ../shared/models) and typed views of
// runTflite outputs.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import type { TfliteOutput } from './litert.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const modelsDir = path.resolve(repoRoot, '../shared/models');
export const loadModel = (relative: string) => new Uint8Array(readFileSync(path.join(modelsDir, relative)));

export const HELLO_FLOAT = 'tflite_micro/hello_world/hello_world_float.tflite';
export const HELLO_INT8 = 'tflite_micro/hello_world/hello_world_int8.tflite';
export const SIMPLE_ADD = 'tflite_micro/memory_footprint/simple_add_model.tflite';

export function floats(output: TfliteOutput | undefined): Float32Array {
  expect(output?.data).toBeInstanceOf(Float32Array);
  return output!.data as Float32Array;
}

export function int8s(output: TfliteOutput | undefined): Int8Array {
  expect(output?.data).toBeInstanceOf(Int8Array);
  return output!.data as Int8Array;
}
