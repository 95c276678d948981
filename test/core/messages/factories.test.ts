import { describe, expect, it } from 'vitest';
import {
  DiagnosticLevel,
  KNOWN_TYPE_NAMES,
  MessageRegistry,
  makeAckermannDriveStamped,
  makeCameraInfo,
  makeHeader,
  makeImage,
  makeImu,
  makeMessage,
  makeOdometry,
  makeQuaternion,
  timeFromMs,
} from '../../../src/core/messages/index.js';

describe('message factories', () => {
  it('cover every vendored type', () => {
    expect([...KNOWN_TYPE_NAMES].sort()).toEqual(MessageRegistry.builtin().types());
  });

  it('fill fixed-size arrays at their ROS length', () => {
    const info = makeCameraInfo();
    expect([info.k.length, info.r.length, info.p.length, info.d.length]).toEqual([9, 9, 12, 0]);
    const imu = makeImu();
    expect([imu.orientation_covariance, imu.angular_velocity_covariance, imu.linear_acceleration_covariance].map((c) => c.length)).toEqual([9, 9, 9]);
    const odom = makeOdometry();
    expect(odom.pose.covariance).toBeInstanceOf(Float64Array);
    expect([odom.pose.covariance.length, odom.twist.covariance.length]).toEqual([36, 36]);
  });

  it('match the .msg defaults: zero stamps, empty strings, identity quaternion', () => {
    expect(makeHeader()).toStrictEqual({ stamp: { sec: 0, nanosec: 0 }, frame_id: '' });
    expect(makeQuaternion()).toStrictEqual({ x: 0, y: 0, z: 0, w: 1 });
    expect(makeMessage('diagnostic_msgs/msg/DiagnosticStatus').level).toBe(DiagnosticLevel.OK);
    expect(makeImage().data).toBeInstanceOf(Uint8Array);
  });

  it('merge a partial and never share nested defaults between calls', () => {
    const cmd = makeAckermannDriveStamped({ header: makeHeader({ stamp: timeFromMs(1500), frame_id: 'base_link' }) });
    expect(cmd.header).toStrictEqual({ stamp: { sec: 1, nanosec: 500_000_000 }, frame_id: 'base_link' });
    expect(cmd.drive.speed).toBe(0);
    const a = makeOdometry();
    const b = makeOdometry();
    a.pose.covariance[0] = 1;
    a.header.stamp.sec = 5;
    expect(b.pose.covariance[0]).toBe(0);
    expect(b.header.stamp.sec).toBe(0);
  });

  it('DiagnosticLevel equals the .msg constants', () => {
    const [root] = MessageRegistry.builtin().definitionsFor('diagnostic_msgs/msg/DiagnosticStatus');
    const constants = Object.fromEntries(root!.definitions.filter((f) => f.isConstant).map((f) => [f.name, f.value]));
    expect(constants).toEqual(DiagnosticLevel);
  });
});
