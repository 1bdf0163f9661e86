/**
 * For the tests that hold the WebAssembly kernels to the plain JS ones: running code on the JS
 * path, and exact comparison of two outputs.
 */
import { expect } from 'vitest';

/** Runs fn with TFLITE_CONVERT_KERNELS=js (the plain JS kernels), restoring the setting after. */
export function onJs<T>(fn: () => T): T {
  const before = process.env.TFLITE_CONVERT_KERNELS;
  process.env.TFLITE_CONVERT_KERNELS = 'js';
  try {
    return fn();
  } finally {
    if (before === undefined) delete process.env.TFLITE_CONVERT_KERNELS;
    else process.env.TFLITE_CONVERT_KERNELS = before;
  }
}

/** got equals want element for element (the first difference named with `where`). */
export function expectSame(got: ArrayLike<number>, want: ArrayLike<number>, where: string): void {
  expect(got.length, where).toBe(want.length);
  for (let i = 0; i < want.length; i++) if (got[i] !== want[i]) throw new Error(`${where}: element ${i} of ${want.length} is ${got[i]}, JS ${want[i]}`);
}
