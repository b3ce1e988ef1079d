// Serialises ROS 2 messages with @foxglove/rosmsg2-serialization, an
// implementation independent of osr's, for msgs' CDR byte-for-byte test.
// With --mcap FILE it also stores every message in an MCAP file written by
// @mcap/core (ros2msg schemas, cdr encoding), which the test reads back
// through osr's decoders.
// usage: node serialize.js [--mcap FILE] < request.json > hex lines
// A request is {type, msg}; {"$bytes": "hex"} in msg stands for a Uint8Array.
const fs = require("fs");
const { parse } = require("@foxglove/rosmsg");
const { MessageWriter } = require("@foxglove/rosmsg2-serialization");
const { McapWriter } = require("@mcap/core");

const sep = "================================================================================";
const header = `${sep}
MSG: std_msgs/Header
builtin_interfaces/Time stamp
string frame_id
${sep}
MSG: builtin_interfaces/Time
int32 sec
uint32 nanosec`;

const entities = (gid) => `Gid gid
NodeEntitiesInfo[] node_entities_info_seq
${sep}
MSG: rmw_dds_common/Gid
${gid} data
${sep}
MSG: rmw_dds_common/NodeEntitiesInfo
string<=256 node_namespace
string<=256 node_name
Gid[] reader_gid_seq
Gid[] writer_gid_seq`;

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
  "std_msgs/msg/Header": `builtin_interfaces/Time stamp
string frame_id
${sep}
MSG: builtin_interfaces/Time
int32 sec
uint32 nanosec`,
  "diagnostic_msgs/msg/DiagnosticArray": `std_msgs/Header header
DiagnosticStatus[] status
${header}
${sep}
MSG: diagnostic_msgs/DiagnosticStatus
byte OK=0
byte WARN=1
byte ERROR=2
byte STALE=3
byte level
string name
string message
string hardware_id
KeyValue[] values
${sep}
MSG: diagnostic_msgs/KeyValue
string key
string value`,
  "vision_msgs/msg/LabelInfo": `std_msgs/Header header
VisionClass[] class_map
float32 threshold
${header}
${sep}
MSG: vision_msgs/VisionClass
uint16 class_id
string class_name`,
  // Iron and later; Humble's Gid is char[24].
  "rmw_dds_common/msg/ParticipantEntitiesInfo": entities("uint8[16]"),
  "rmw_dds_common/msg/ParticipantEntitiesInfo#humble": entities("char[24]"),
};

function bytes(v) {
  if (Array.isArray(v)) return v.map(bytes);
  if (v !== null && typeof v === "object") {
    if (typeof v.$bytes === "string") return Uint8Array.from(Buffer.from(v.$bytes, "hex"));
    const o = {};
    for (const [k, x] of Object.entries(v)) o[k] = bytes(x);
    return o;
  }
  return v;
}

async function writeMcap(file, reqs, out) {
  const fd = fs.openSync(file, "w");
  let pos = 0n;
  const writer = new McapWriter({
    writable: {
      position: () => pos,
      write: async (buf) => {
        fs.writeSync(fd, buf);
        pos += BigInt(buf.byteLength);
      },
    },
  });
  await writer.start({ profile: "ros2", library: "osr cdr test" });
  const channels = {};
  for (let i = 0; i < reqs.length; i++) {
    const type = reqs[i].type;
    if (channels[type] === undefined) {
      const schemaId = await writer.registerSchema({ name: type.split("#")[0], encoding: "ros2msg", data: Buffer.from(defs[type]) });
      channels[type] = await writer.registerChannel({ schemaId, topic: "/" + type, messageEncoding: "cdr", metadata: new Map() });
    }
    const t = BigInt(i);
    await writer.addMessage({ channelId: channels[type], sequence: i, logTime: t, publishTime: t, data: out[i] });
  }
  await writer.end();
  fs.closeSync(fd);
}

let input = "";
process.stdin.on("data", (d) => (input += d));
process.stdin.on("end", async () => {
  const reqs = JSON.parse(input);
  const out = [];
  for (const req of reqs) {
    if (!defs[req.type]) throw new Error(`no definition for ${req.type}`);
    const writer = new MessageWriter(parse(defs[req.type], { ros2: true }));
    const data = writer.writeMessage(bytes(req.msg));
    out.push(data);
    process.stdout.write(Buffer.from(data).toString("hex") + "\n");
  }
  const i = process.argv.indexOf("--mcap");
  if (i > 0) await writeMcap(process.argv[i + 1], reqs, out);
});
