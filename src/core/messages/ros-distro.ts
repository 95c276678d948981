/**
 * ROS 2 distributions whose standard message definitions pilot can fall back on: the sets that
 * @foxglove/rosmsg-msgs-common ships (msgdefs/ros2<distro>/<pkg>/msg/<Name>.msg).
 */
export const ROS_DISTROS = ['humble', 'iron', 'jazzy'] as const;
export type RosDistro = (typeof ROS_DISTROS)[number];

/** The distro assumed for a bag that names none. */
export const DEFAULT_ROS_DISTRO: RosDistro = 'humble';

export function isRosDistro(name: string): name is RosDistro {
  return (ROS_DISTROS as readonly string[]).includes(name);
}

/** Distros without a set of their own, and the nearest set: newer ones use jazzy's, older ones humble's. */
const NEAREST: Readonly<Record<string, RosDistro>> = {
  kilted: 'jazzy',
  lyrical: 'jazzy',
  rolling: 'jazzy',
  foxy: 'humble',
  galactic: 'humble',
};

/**
 * The standard set for a distro name as a bag records it (`ros_distro` in metadata.yaml or the
 * db3 `schema` table): the distro itself (`exact`), the nearest shipped set, or undefined for a
 * name pilot does not know.
 */
export function standardDistroFor(name: string): { readonly distro: RosDistro; readonly exact: boolean } | undefined {
  const key = name.trim().toLowerCase();
  if (isRosDistro(key)) return { distro: key, exact: true };
  const nearest = NEAREST[key];
  return nearest ? { distro: nearest, exact: false } : undefined;
}
