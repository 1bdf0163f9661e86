// AssemblyScript helpers that write rows of int16 values, shared by the integer kernels of
// gemm-int8.as.ts (offsetRows, im2col) and int16x8.as.ts (copyRows16, im2col16); asc inlines them.

/** Stores `count` int16 values x − zp at dst for the int8 values at src: 8 at a time, then one at a time. */
@inline
export function offsetCopy(dst: usize, src: usize, count: i32, zp: i32, vzp: v128): void {
  let i = 0;
  for (; i + 8 <= count; i += 8) v128.store(dst + (<usize>i << 1), i16x8.sub(v128.load8x8_s(src + <usize>i), vzp));
  for (; i < count; i++) store<i16>(dst + (<usize>i << 1), <i32>load<i8>(src + <usize>i) - zp);
}

/** Stores `count` zero int16 values at dst. */
@inline
export function zeroShorts(dst: usize, count: i32): void {
  let i = 0;
  for (; i + 8 <= count; i += 8) v128.store(dst + (<usize>i << 1), i16x8.splat(0));
  for (; i < count; i++) store<i16>(dst + (<usize>i << 1), 0);
}
