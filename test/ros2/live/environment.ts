/**
 * Whether the live ROS 2 suite can run here: a sourced ROS 2 with the message packages pilot's node
 * and the suite's peers use, rclnodejs with a native addon that loads (the same check `pilot node`
 * makes before it loads rclnodejs, so a missing build is reported, never rebuilt), the `ros2` command,
 * python3 with rclpy, and pilot built (`bin/pilot.js` runs `dist/`).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { NODE_PACKAGES, ros2Problems } from '../../../src/ros2/preflight.js';

/** Packages the live suite uses beyond NODE_PACKAGES: e-stop service, Ackermann commands, /tf_static, /clock, odometry. */
export const LIVE_PACKAGES: readonly string[] = [...NODE_PACKAGES, 'std_srvs', 'ackermann_msgs', 'tf2_msgs', 'geometry_msgs', 'rosgraph_msgs', 'nav_msgs'];

function onPath(command: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => dir !== '' && existsSync(join(dir, command)));
}

/** Why the live suite cannot run here (one line), or undefined when it can. */
export function liveSkipReason(): string | undefined {
  const problems = ros2Problems({ packages: LIVE_PACKAGES });
  if (problems.length > 0) return problems.join('; ');
  if (!onPath('ros2')) return 'the ros2 command is not on PATH (ros2cli is not in the sourced ROS 2)';
  const rclpy = spawnSync('python3', ['-c', 'import rclpy'], { encoding: 'utf8' });
  if (rclpy.status !== 0) return `python3 cannot import rclpy (${(rclpy.stderr || rclpy.error?.message || '').trim().split('\n').at(-1)})`;
  if (!existsSync('dist/src/cli/main.js')) return 'pilot is not built (bin/pilot.js runs dist/): run `npm run build`';
  return undefined;
}
