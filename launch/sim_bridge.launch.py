"""The simulator drives a ROS 2 graph: `pilot sim` (ZeroMQ) + `pilot bridge` + the pilot node on /clock.

    ros2 launch launch/sim_bridge.launch.py track:=hairpin

The simulator runs in real time and publishes camera, IMU, odometry and /clock over ZeroMQ; the
bridge relays them into ROS 2 and relays /cmd/ackermann back; the node runs with use_sim_time and
launch/drive.params.yaml (the settings of `pilot drive`). Any other ROS 2 node (rviz2, a recorder,
your own controller instead of pilot's) can join the graph.
"""

import os

from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, ExecuteProcess, IncludeLaunchDescription
from launch.launch_description_sources import PythonLaunchDescriptionSource
from launch.substitutions import LaunchConfiguration, PathJoinSubstitution

HERE = os.path.dirname(os.path.abspath(__file__))
PILOT_DIR = os.path.dirname(HERE)


def generate_launch_description():
    pilot_dir = LaunchConfiguration('pilot_dir')
    pilot_js = PathJoinSubstitution([pilot_dir, 'bin', 'pilot.js'])
    arguments = [
        DeclareLaunchArgument('pilot_dir', default_value=PILOT_DIR, description='pilot checkout'),
        DeclareLaunchArgument('track', default_value='oval', description='simulator track (pilot drive --list-tracks)'),
        DeclareLaunchArgument('model', default_value='models/pilotnet-test.onnx', description='ONNX model'),
    ]
    sim = ExecuteProcess(cmd=[pilot_js, 'sim', '--track', LaunchConfiguration('track')], cwd=pilot_dir, output='screen')
    bridge = ExecuteProcess(cmd=[pilot_js, 'bridge', '--config', 'launch/bridge.yaml'], cwd=pilot_dir, output='screen')
    pilot = IncludeLaunchDescription(
        PythonLaunchDescriptionSource(os.path.join(HERE, 'pilot.launch.py')),
        launch_arguments={
            'pilot_dir': pilot_dir,
            'model': LaunchConfiguration('model'),
            'config': 'launch/drive.yaml',
            'params_file': PathJoinSubstitution([pilot_dir, 'launch', 'drive.params.yaml']),
            'use_sim_time': 'true',
        }.items(),
    )
    return LaunchDescription(arguments + [sim, bridge, pilot])
