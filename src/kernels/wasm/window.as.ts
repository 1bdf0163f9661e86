// AssemblyScript helpers the convolution kernels share (imported by depthwise.as.ts,
// depthwise-int8.as.ts and int16x8.as.ts; asc inlines them): the in-bounds part of a window
// along one axis, so the kernels' inner loops need no bounds tests.

/** The first tap index whose position start + t·dilation is ≥ 0. */
@inline
export function firstInside(start: i32, dilation: i32): i32 {
  return start >= 0 ? 0 : (dilation - 1 - start) / dilation;
}

/** One past the last tap index (at most taps) whose position start + t·dilation is < size. */
@inline
export function endInside(start: i32, dilation: i32, size: i32, taps: i32): i32 {
  const room = size - start;
  if (room <= 0) return 0;
  const end = (room + dilation - 1) / dilation;
  return end < taps ? end : taps;
}
