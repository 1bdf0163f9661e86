/** Typed reads of a TF op's attributes, with errors that name the node. */
import type { DType } from '../ir/dtype.js';
import type { TfAttr, TfOp } from '../ir/op.js';
import { ModelFormatError } from '../util/errors.js';

function attr<K extends TfAttr['kind']>(op: TfOp, name: string, kind: K): Extract<TfAttr, { kind: K }> | undefined {
  const value = op.attrs.get(name);
  if (value === undefined) return undefined;
  if (value.kind !== kind) {
    throw new ModelFormatError(`node "${op.name}" (${op.type}) attribute "${name}" is a ${value.kind}, expected ${kind}`);
  }
  return value as Extract<TfAttr, { kind: K }>;
}

function missing(op: TfOp, name: string): never {
  throw new ModelFormatError(`node "${op.name}" (${op.type}) has no "${name}" attribute`);
}

export function attrInt(op: TfOp, name: string, fallback?: number): number {
  return attr(op, name, 'i')?.value ?? fallback ?? missing(op, name);
}

export function attrFloat(op: TfOp, name: string, fallback?: number): number {
  return attr(op, name, 'f')?.value ?? fallback ?? missing(op, name);
}

export function attrBool(op: TfOp, name: string, fallback?: boolean): boolean {
  return attr(op, name, 'b')?.value ?? fallback ?? missing(op, name);
}

export function attrString(op: TfOp, name: string, fallback?: string): string {
  return attr(op, name, 's')?.text ?? fallback ?? missing(op, name);
}

export function attrType(op: TfOp, name: string, fallback?: DType): DType {
  return attr(op, name, 'type')?.value ?? fallback ?? missing(op, name);
}

export function attrInts(op: TfOp, name: string, fallback?: number[]): number[] {
  return attr(op, name, 'list')?.value.i ?? fallback ?? missing(op, name);
}

export function attrStrings(op: TfOp, name: string, fallback?: string[]): string[] {
  return attr(op, name, 'list')?.value.s ?? fallback ?? missing(op, name);
}
