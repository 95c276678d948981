/** Robot arm kinematics: URDF subset, forward kinematics, the arm description in calibration/. */
export { parseUrdf, type UrdfJoint, type UrdfRobot, type Vec3 } from './urdf.js';
export { fromOrigin, identity, jointMotion, jointMotionAt, KinematicChain, multiply, type Mat4 } from './forward-kinematics.js';
export { describeArm, loadArmDescription, type ArmDescription, type ArmJointLimits } from './arm-description.js';
export { InverseKinematics, type IkOptions, type IkPointing, type IkResult } from './inverse-kinematics.js';
