// An rclcpp camera for osr's tests: publishes the raw rgb8 frame in FILE
// (WIDTH x HEIGHT) on TOPIC at RATE Hz with sensor-data or reliable QoS,
// stamped sec = 2000 + i, nanosec = 900, frame_id rclcpp_camera.
//   camera TOPIC FILE WIDTH HEIGHT sensor|reliable RATE
#include <chrono>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "rclcpp/rclcpp.hpp"
#include "sensor_msgs/msg/image.hpp"

int main(int argc, char ** argv)
{
  rclcpp::init(argc, argv);
  auto args = rclcpp::remove_ros_arguments(argc, argv);
  if (args.size() != 7) {
    fprintf(stderr, "usage: camera TOPIC FILE WIDTH HEIGHT sensor|reliable RATE\n");
    return 2;
  }
  std::ifstream in(args[2], std::ios::binary);
  std::vector<uint8_t> pixels((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto node = std::make_shared<rclcpp::Node>("rclcpp_camera");
  rclcpp::QoS qos = args[5] == "sensor" ? rclcpp::SensorDataQoS() : rclcpp::QoS(5).reliable();
  auto pub = node->create_publisher<sensor_msgs::msg::Image>(args[1], qos);
  sensor_msgs::msg::Image msg;
  msg.header.frame_id = "rclcpp_camera";
  msg.width = std::stoul(args[3]);
  msg.height = std::stoul(args[4]);
  msg.encoding = "rgb8";
  msg.step = 3 * msg.width;
  msg.data = pixels;
  int32_t i = 0;
  auto timer = node->create_wall_timer(
    std::chrono::duration<double>(1.0 / std::stod(args[6])), [&]() {
      msg.header.stamp.sec = 2000 + i++;
      msg.header.stamp.nanosec = 900;
      pub->publish(msg);
    });
  printf("publishing\n");
  fflush(stdout);
  rclcpp::spin(node);
  rclcpp::shutdown();
  return 0;
}
