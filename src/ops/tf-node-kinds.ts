/** Kinds of TF nodes the converter treats specially, by op type. */

/** Op types that end a graph without being outputs: checkpoint and initialization bookkeeping. */
const BOOKKEEPING =
  /^(Const|NoOp|Placeholder|Save|SaveV2|SaveSlices|Restore|RestoreV2|RestoreSlice|MergeV2Checkpoints|Assign|AssignAdd|AssignSub|AssignVariableOp|ShardedFilename|StringJoin|Assert)$/;

export function isBookkeepingOp(type: string): boolean {
  return BOOKKEEPING.test(type);
}

/** Ops that forward their inputs unchanged at inference (output i is input i). */
export const IDENTITY_OPS = new Set(['Identity', 'IdentityN', 'StopGradient', 'Snapshot', 'PreventGradient', 'CheckNumerics', 'EnsureShape']);

/** Ops that draw random numbers: anything computed from them is a training-time mask. */
export const RANDOM_OPS = new Set(['RandomUniform', 'RandomStandardNormal', 'RandomUniformInt', 'TruncatedNormal', 'StatelessRandomUniformV2', 'StatelessRandomUniform']);
