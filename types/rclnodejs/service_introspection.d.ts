declare module 'rclnodejs' {
  /**
   * State identifiers for service introspection support.
   */
  export const enum ServiceIntrospectionStates {
    OFF = 0,
    METADATA = 1,
    CONTENTS = 2,
  }
}
