"""Replay a rosbag2 recording into the pilot node on the bag's clock.

    ros2 launch launch/replay_bag.launch.py bag:=runs/oval
    ros2 launch launch/replay_bag.launch.py bag:=runs/oval rate:=0.5 topics:='/camera/image_raw /odom'

`ros2 bag play --clock` publishes the bag's time on /clock and the node runs with use_sim_time, so
its loop ticks in bag time. Only the sensor topics are played (`topics`): a bag of a drive also holds
the commands that were sent, which must not reach the robot a second time. Playback starts after
`start_delay` seconds, when the node has loaded its model. Bags written by `pilot drive --record` or
`pilot bag record` play as they are (MCAP; Humble needs ros-humble-rosbag2-storage-mcap).
"""

import os

from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, ExecuteProcess, IncludeLaunchDescription, OpaqueFunction, TimerAction
from launch.launch_description_sources import PythonLaunchDescriptionSource
from launch.substitutions import LaunchConfiguration

HERE = os.path.dirname(os.path.abspath(__file__))


def _bag_play(context):
    topics = LaunchConfiguration('topics').perform(context).split()
    cmd = [
        'ros2', 'bag', 'play', LaunchConfiguration('bag').perform(context),
        '--clock', LaunchConfiguration('clock_hz').perform(context),
        '--rate', LaunchConfiguration('rate').perform(context),
    ]
    if topics:
        cmd += ['--topics'] + topics
    delay = float(LaunchConfiguration('start_delay').perform(context))
    return [TimerAction(period=delay, actions=[ExecuteProcess(cmd=cmd, output='screen')])]


def generate_launch_description():
    arguments = [
        DeclareLaunchArgument('bag', description='rosbag2 folder (or file) to play'),
        DeclareLaunchArgument('rate', default_value='1.0', description='playback rate'),
        DeclareLaunchArgument('topics', default_value='/camera/image_raw /odom /imu',
                              description='space-separated topics to play (not the recorded commands)'),
        DeclareLaunchArgument('clock_hz', default_value='100',
                              description='/clock rate; at least the loop rate so every tick gets its time'),
        DeclareLaunchArgument('start_delay', default_value='5.0',
                              description='seconds to wait before playing (model loading)'),
        DeclareLaunchArgument('model', default_value='models/pilotnet-test.onnx', description='ONNX model'),
        DeclareLaunchArgument('config', default_value='launch/pilot.yaml', description='pilot YAML config'),
        DeclareLaunchArgument('calibration', default_value='calibration', description='calibration folder'),
        DeclareLaunchArgument('namespace', default_value='', description='node namespace'),
    ]
    pilot = IncludeLaunchDescription(
        PythonLaunchDescriptionSource(os.path.join(HERE, 'pilot.launch.py')),
        launch_arguments={
            'model': LaunchConfiguration('model'),
            'config': LaunchConfiguration('config'),
            'calibration': LaunchConfiguration('calibration'),
            'namespace': LaunchConfiguration('namespace'),
            'use_sim_time': 'true',
        }.items(),
    )
    return LaunchDescription(arguments + [pilot, OpaqueFunction(function=_bag_play)])
