/**
 * The module a calibration worker thread runs (src/calibrate/parallel.ts): it rebuilds the model
 * from the .tflite bytes the main thread wrote (calibrationWorkers in calibrate.ts) and serves
 * samples. It lives in api/ because only this layer may both read .tflite files and calibrate.
 */
import { workerData } from 'node:worker_threads';
import { activationTensors } from '../calibrate/calibrate.js';
import { serveCalibration } from '../calibrate/parallel.js';
import { readTflite } from '../import/tflite.js';
import { REGISTRY } from '../ops/registry.js';

const model = readTflite((workerData as { model: Uint8Array }).model);
serveCalibration(model, REGISTRY, [...activationTensors(model)]);
