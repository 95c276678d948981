"""Launch pilot as a managed (lifecycle) ROS 2 node.

pilot is a Node.js program, not an ament package, so there is nothing for `ros2 run` to find: the node
is started by path (`bin/pilot.js node`, Node 20 on PATH, `npm install && npm run build` done) with
launch_ros's LifecycleNode action and no `package`. launch_ros appends the usual ROS arguments
(`--ros-args -r __node:=pilot -r __ns:=... --params-file ...`), which rcl reads through rclnodejs.

    source /opt/ros/$ROS_DISTRO/setup.bash
    ros2 launch launch/pilot.launch.py                     # from the pilot checkout
    ros2 launch launch/pilot.launch.py model:=models/my.onnx namespace:=robot1 use_sim_time:=true

With autostart:=true (default) the node configures and activates itself; with false it waits:
`ros2 lifecycle set /pilot configure`, then `activate`.
"""

import os

from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument
from launch.substitutions import LaunchConfiguration, PathJoinSubstitution
from launch_ros.actions import LifecycleNode
from launch_ros.parameter_descriptions import ParameterValue

# The pilot checkout this file lives in (launch/..).
PILOT_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def generate_launch_description():
    pilot_dir = LaunchConfiguration('pilot_dir')
    calibration = LaunchConfiguration('calibration')
    arguments = [
        DeclareLaunchArgument('pilot_dir', default_value=PILOT_DIR,
                              description='pilot checkout; relative paths (model, config, calibration) resolve here'),
        DeclareLaunchArgument('model', default_value='models/pilotnet-test.onnx',
                              description='ONNX model with a pilot.contract (model.path)'),
        DeclareLaunchArgument('config', default_value='launch/pilot.yaml',
                              description='pilot YAML config (config_file); parameters given here override it'),
        DeclareLaunchArgument('params_file', default_value=PathJoinSubstitution([pilot_dir, 'launch', 'pilot.params.yaml']),
                              description='ROS 2 parameter file (/**: ros__parameters:)'),
        DeclareLaunchArgument('calibration', default_value='calibration',
                              description='folder with camera.yaml, vehicle.yaml and camera_mount.yaml'),
        DeclareLaunchArgument('namespace', default_value='',
                              description="node namespace; pilot's topics resolve in it"),
        DeclareLaunchArgument('use_sim_time', default_value='false',
                              description='follow /clock (simulator, ros2 bag play --clock)'),
        DeclareLaunchArgument('autostart', default_value='true',
                              description='configure and activate at start (false: wait for lifecycle requests)'),
        DeclareLaunchArgument('executable', default_value=PathJoinSubstitution([pilot_dir, 'bin', 'pilot.js']),
                              description='the pilot command line (bin/pilot.js, or an installed `pilot`)'),
    ]

    pilot = LifecycleNode(
        executable=LaunchConfiguration('executable'),
        name='pilot',
        namespace=LaunchConfiguration('namespace'),
        arguments=['node', '--autostart', LaunchConfiguration('autostart')],
        parameters=[
            LaunchConfiguration('params_file'),
            {
                'config_file': LaunchConfiguration('config'),
                'model.path': LaunchConfiguration('model'),
                'calibration.camera': PathJoinSubstitution([calibration, 'camera.yaml']),
                'calibration.vehicle': PathJoinSubstitution([calibration, 'vehicle.yaml']),
                'ros2.camera_mount': PathJoinSubstitution([calibration, 'camera_mount.yaml']),
                'use_sim_time': ParameterValue(LaunchConfiguration('use_sim_time'), value_type=bool),
            },
        ],
        cwd=pilot_dir,
        output='screen',
        emulate_tty=True,
    )

    return LaunchDescription(arguments + [pilot])
