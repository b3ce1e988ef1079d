// Serialises ROS 2 messages with @foxglove/rosmsg2-serialization, an
// implementation independent of osr's, for msgs' CDR byte-for-byte test.
// usage: node serialize.js < request.json > hex lines
const { parse } = require("@foxglove/rosmsg");
const { MessageWriter } = require("@foxglove/rosmsg2-serialization");

const header = `================================================================================
MSG: std_msgs/Header
builtin_interfaces/Time stamp
string frame_id
================================================================================
MSG: builtin_interfaces/Time
int32 sec
uint32 nanosec`;

const defs = {
  "sensor_msgs/msg/Image": `std_msgs/Header header
uint32 height
uint32 width
string encoding
uint8 is_bigendian
uint32 step
uint8[] data
${header}`,
  "sensor_msgs/msg/CompressedImage": `std_msgs/Header header
string format
uint8[] data
${header}`,
  "std_msgs/msg/String": `string data`,
};

let input = "";
process.stdin.on("data", (d) => (input += d));
process.stdin.on("end", () => {
  for (const req of JSON.parse(input)) {
    const writer = new MessageWriter(parse(defs[req.type], { ros2: true }));
    const msg = req.msg;
    if (msg.data !== undefined && req.type !== "std_msgs/msg/String") {
      msg.data = Uint8Array.from(msg.data);
    }
    process.stdout.write(Buffer.from(writer.writeMessage(msg)).toString("hex") + "\n");
  }
});
