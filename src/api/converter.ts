/**
 * TFLiteConverter: the shape of TensorFlow's `tf.lite.TFLiteConverter` for people who script
 * conversions. Options are properties; `convert()` returns the .tflite bytes.
 *
 *   const converter = TFLiteConverter.fromFrozenGraph('model.pb', ['x'], ['y'], { x: [1, 224, 224, 3] });
 *   converter.allowCustomOps = true;
 *   const tflite = await converter.convert();
 *
 * Full-integer quantization as in TF: `optimizations = ['DEFAULT']` with a `representativeDataset`
 * quantizes to int8 (ops without an int8 kernel stay float); `targetSpec.supportedOps =
 * ['TFLITE_BUILTINS_INT8']` makes such ops an error; `supportedOps =
 * ['EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8']` selects 16x8 (add
 * 'TFLITE_BUILTINS' to let unsupported ops stay float there too). A quantization-aware-trained
 * graph (FakeQuant nodes) with optimizations ['DEFAULT'] and no dataset is full integer too, from
 * its FakeQuant ranges, as TF makes it.
 */
import path from 'node:path';
import { UsageError, withFile } from '../util/errors.js';
import type { CalibrationOptions } from './calibrate.js';
import { convertGraphDef, type ConversionResult, type WeightQuantization } from './convert.js';
import { readModelFile } from './files.js';
import { importModel, type SavedModelChoice } from '../import/index.js';
import { convertGraphDefInt8, type Denylist, type InferenceType, type Int8Options, type Int8Result } from './quantize-int8.js';

/** TF's OpsSet names that choose how full-integer quantization may fall back to float. */
export type OpsSet = 'TFLITE_BUILTINS' | 'TFLITE_BUILTINS_INT8' | 'EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8';

/** TF's inference_input_type / inference_output_type, by dtype name. */
export type InferenceTypeName = 'FLOAT' | 'INT8' | 'UINT8' | 'INT16';

const INFERENCE_TYPES: Record<InferenceTypeName, InferenceType> = { FLOAT: 'float32', INT8: 'int8', UINT8: 'uint8', INT16: 'int16' };
const INT16X8: OpsSet = 'EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8';

export class TFLiteConverter {
  /** Emit TF ops without a TFLite builtin as CUSTOM ops instead of failing. */
  allowCustomOps = false;
  /** Only FLOAT for now; quantized inference types come with post-training quantization. */
  inferenceType: 'FLOAT' = 'FLOAT';
  /**
   * As TF's target_spec: supportedTypes ['float16'] stores the weights as float16; supportedOps
   * (default ['TFLITE_BUILTINS']) restricts full-integer models to int8 or selects 16x8.
   */
  targetSpec: { supportedTypes: string[]; supportedOps?: OpsSet[] } = { supportedTypes: [] };
  /**
   * As TF's representative_dataset: calibration samples (a dataset source as the CLI takes it, or
   * full calibration options). With optimizations ['DEFAULT'] it makes the model full integer.
   */
  representativeDataset: string | CalibrationOptions | undefined = undefined;
  /** The full-integer model's input and output types (FLOAT: QUANTIZE/DEQUANTIZE at the edges). */
  inferenceInputType: InferenceTypeName = 'FLOAT';
  inferenceOutputType: InferenceTypeName = 'FLOAT';
  /** TF's _experimental_disable_per_channel. */
  disablePerChannel = false;
  /** Full-integer only: ops kept float, by type (CONV_2D) or by op / output tensor name. */
  denylist: Denylist | undefined = undefined;
  /** What the last full-integer convert() did (null for other conversions). */
  lastQuantization: Int8Result | null = null;
  /**
   * As TF's `optimizations`: ['DEFAULT'] (or its deprecated aliases) without a float16 supported
   * type quantizes the weights to int8 for the hybrid kernels (dynamic range), as TF does when no
   * representative dataset is given.
   */
  optimizations: ('DEFAULT' | 'OPTIMIZE_FOR_SIZE' | 'OPTIMIZE_FOR_LATENCY' | 'EXPERIMENTAL_SPARSITY')[] = [];
  /** What the last convert() did, pass by pass. */
  lastResult: ConversionResult | null = null;

  private constructor(
    private readonly source: { bytes: Uint8Array; name: string; savedModel?: SavedModelChoice },
    readonly inputArrays: string[] | undefined,
    readonly outputArrays: string[] | undefined,
    readonly inputShapes: Record<string, number[]> | undefined,
  ) {}

  /**
   * A converter for a frozen GraphDef (`.pb` or `.pbtxt`), given as a path or as bytes. Like TF's
   * from_frozen_graph: input and output node names, and shapes by input name where the graph's
   * own are not fully known.
   */
  static fromFrozenGraph(
    graphDef: string | Uint8Array,
    inputArrays?: string[],
    outputArrays?: string[],
    inputShapes?: Record<string, number[]>,
  ): TFLiteConverter {
    const source = typeof graphDef === 'string' ? { bytes: readModelFile(graphDef), name: graphDef } : { bytes: graphDef, name: '' };
    return new TFLiteConverter(source, inputArrays, outputArrays, inputShapes);
  }

  /**
   * A converter for a SavedModel folder (its saved_model.pb), like TF's from_saved_model: the
   * signature (default serving_default) gives the inputs and outputs, `tags` pick the meta graph
   * (default serve). The graph must be frozen already (no variables); one that reads variables is
   * refused at convert() with the nodes that do.
   */
  static fromSavedModel(savedModelDir: string, signatureKeys?: string[], tags?: string[]): TFLiteConverter {
    if (signatureKeys !== undefined && signatureKeys.length > 1) throw new UsageError('one signature at a time: TFLite models with several signatures are not written yet');
    const file = path.join(savedModelDir, 'saved_model.pb');
    return new TFLiteConverter({ bytes: readModelFile(file), name: file, savedModel: { tags, signatureKey: signatureKeys?.[0] } }, undefined, undefined, undefined);
  }

  async convert(): Promise<Uint8Array> {
    const { bytes, name, savedModel } = this.source;
    const integer = this.integerQuantization();
    this.lastQuantization = null;
    if (integer !== null) {
      try {
        const options = { inputArrays: this.inputArrays, outputArrays: this.outputArrays, inputShapesByName: this.inputShapes, allowCustomOps: this.allowCustomOps, savedModel };
        this.lastQuantization = await convertGraphDefInt8(bytes, name, options, integer.calibration, integer.options);
      } catch (err) {
        throw name === '' ? err : withFile(err, name);
      }
      return this.lastQuantization.tflite;
    }
    try {
      this.lastResult = convertGraphDef(bytes, name, {
        inputArrays: this.inputArrays,
        outputArrays: this.outputArrays,
        inputShapesByName: this.inputShapes,
        allowCustomOps: this.allowCustomOps,
        quantize: this.weightQuantization(),
        savedModel,
      });
    } catch (err) {
      throw name === '' ? err : withFile(err, name);
    }
    return this.lastResult.tflite;
  }

  private quantizing(): boolean {
    return this.optimizations.some((o) => o === 'DEFAULT' || o === 'OPTIMIZE_FOR_SIZE' || o === 'OPTIMIZE_FOR_LATENCY');
  }

  /**
   * lite.py's QuantizationMode for full integer: optimizations plus a representative dataset,
   * int8 unless the 16x8 op set is asked for; float fallback unless TFLITE_BUILTINS is missing
   * from the op sets. Null when the model is not to be full integer.
   */
  private integerQuantization(): { calibration: CalibrationOptions; options: Int8Options } | null {
    const ops = this.targetSpec.supportedOps ?? ['TFLITE_BUILTINS'];
    const int16 = ops.includes(INT16X8);
    const integerOnly = (int16 || ops.includes('TFLITE_BUILTINS_INT8')) && !ops.includes('TFLITE_BUILTINS');
    // A quantization-aware-trained graph is full integer with optimizations alone: its FakeQuant
    // ranges stand in for the dataset (lite.py's QAT quantization mode).
    const qat = this.representativeDataset === undefined && this.quantizing() && !this.targetSpec.supportedTypes.includes('float16') && !int16 && this.hasFakeQuantNodes();
    if ((this.representativeDataset === undefined && !qat) || !this.quantizing()) {
      if (integerOnly || int16) throw new UsageError(`targetSpec.supportedOps ${ops.join(', ')} needs optimizations ['DEFAULT'] and a representativeDataset`);
      return null;
    }
    if (this.targetSpec.supportedTypes.includes('float16')) throw new UsageError("targetSpec.supportedTypes ['float16'] conflicts with full-integer quantization (a representativeDataset)");
    const dataset = this.representativeDataset;
    const calibration = dataset === undefined ? {} : typeof dataset === 'string' ? { dataset } : dataset;
    return {
      calibration,
      options: {
        perChannel: !this.disablePerChannel,
        inferenceInputType: INFERENCE_TYPES[this.inferenceInputType],
        inferenceOutputType: INFERENCE_TYPES[this.inferenceOutputType],
        int8OpsOnly: integerOnly,
        activations: int16 ? 'int16' : 'int8',
        denylist: this.denylist,
      },
    };
  }

  /** Whether the graph has TF FakeQuant nodes (import only: weights stay views of the bytes). */
  private hasFakeQuantNodes(): boolean {
    const { model } = importModel(this.source.bytes, this.source.name, undefined, this.source.savedModel);
    return model.main.ops.some((op) => op.dialect === 'tf' && op.type.startsWith('FakeQuantWithMinMax'));
  }

  /** TF's choice (lite.py's QuantizationMode): float16 weights, dynamic range, or none. */
  private weightQuantization(): WeightQuantization | undefined {
    if (this.targetSpec.supportedTypes.includes('float16')) return 'float16';
    return this.quantizing() ? 'dynamic' : undefined;
  }
}
