declare module 'rclnodejs' {
  /**
   * Clock type identifiers
   */
  enum ClockType {
    ROS_TIME = 1,
    SYSTEM_TIME = 2,
    STEADY_TIME = 3,
  }
}
