/** This package's name and version, written into every .tflite it produces. Kept equal to package.json by a test. */
export const CONVERTER_NAME = 'tflite-convert';
export const CONVERTER_VERSION = '0.1.0';
