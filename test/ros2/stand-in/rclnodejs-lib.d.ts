/**
 * Types for rclnodejs's pure-JavaScript parameter module, which the stand-in uses as is (it loads
 * without the native addon). rclnodejs publishes declarations only for its main entry; these say the
 * module's classes are the ones those declarations describe.
 */
declare module 'rclnodejs/lib/parameter.js' {
  import type * as rclnodejs from 'rclnodejs';

  export const Parameter: typeof rclnodejs.Parameter;
  export const ParameterDescriptor: typeof rclnodejs.ParameterDescriptor;
  export const FloatingPointRange: typeof rclnodejs.FloatingPointRange;
  export const IntegerRange: typeof rclnodejs.IntegerRange;
  export const Range: abstract new (fromValue: number, toValue: number, step?: number) => rclnodejs.Range;
}
