// A ROS 2-style test peer on eProsima Fast DDS, a second DDS vendor for
// osr's ROS 2 transport. It publishes sensor_msgs/msg/Image frames on the
// camera topic and waits for osr's labels, outlier_mask and overlay.
//
//   peer DOMAIN RELIABILITY FRAME.rgb WIDTH HEIGHT TIMEOUT_S [--expect-no-match]
//
// RELIABILITY (reliable or best_effort) is the camera writer's. The output
// readers are reliable, as ROS 2's default QoS. Samples sent right after
// matching can be lost (best effort, or before the reader's history is
// set up), so the peer resends a frame with a new stamp every 300 ms until
// every output has come back. It prints one JSON line per received output
// and exits 0 when all three came with a stamp and frame_id it sent.
// The endpoints use fixed-size preallocated samples, sized by fastddsgen
// from the IDL: that is where the data sequence's bound matters (see
// image.idl).
// With --expect-no-match it only checks that the camera writer never
// matches a reader within TIMEOUT_S (exit 0) and sends nothing.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <fastdds/dds/domain/DomainParticipant.hpp>
#include <fastdds/dds/domain/DomainParticipantFactory.hpp>
#include <fastdds/dds/publisher/DataWriter.hpp>
#include <fastdds/dds/publisher/Publisher.hpp>
#include <fastdds/dds/subscriber/DataReader.hpp>
#include <fastdds/dds/subscriber/SampleInfo.hpp>
#include <fastdds/dds/subscriber/Subscriber.hpp>
#include <fastdds/dds/topic/TypeSupport.hpp>
#include <fastdds/rtps/transport/UDPv4TransportDescriptor.h>
#include <fastrtps/utils/IPLocator.h>

#include "imagePubSubTypes.h"

using namespace eprosima::fastdds::dds;
using eprosima::fastrtps::rtps::IPLocator;
using eprosima::fastrtps::rtps::Locator_t;
using Clock = std::chrono::steady_clock;

static double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

int main(int argc, char **argv) {
  if (argc < 7) {
    std::fprintf(stderr, "usage: %s DOMAIN RELIABILITY FRAME.rgb WIDTH HEIGHT TIMEOUT_S [--expect-no-match]\n", argv[0]);
    return 2;
  }
  const int domain = std::atoi(argv[1]);
  const bool reliable = std::string(argv[2]) == "reliable";
  const uint32_t width = std::atoi(argv[4]), height = std::atoi(argv[5]);
  const double timeout_ms = std::atof(argv[6]) * 1000;
  const bool expect_no_match = argc > 7 && std::string(argv[7]) == "--expect-no-match";
  std::ifstream in(argv[3], std::ios::binary);
  std::vector<uint8_t> pixels((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (pixels.size() != size_t(width) * height * 3) {
    std::fprintf(stderr, "peer: %s holds %zu bytes, want %u\n", argv[3], pixels.size(), width * height * 3);
    return 2;
  }

  // Loopback only: UDPv4 on 127.0.0.1 with unicast discovery, and receive
  // buffers of 4 MiB, which a 480x360 RGB image (518 kB in fragments that
  // arrive in one burst) needs; the system default (208 kB) loses fragments.
  DomainParticipantQos pqos;
  pqos.name("osr_fastdds_peer");
  auto udp = std::make_shared<eprosima::fastdds::rtps::UDPv4TransportDescriptor>();
  udp->interfaceWhiteList.push_back("127.0.0.1");
  udp->receiveBufferSize = 4 << 20;
  udp->sendBufferSize = 4 << 20;
  pqos.transport().use_builtin_transports = false;
  pqos.transport().user_transports.push_back(udp);
  Locator_t lo;
  IPLocator::setIPv4(lo, 127, 0, 0, 1);
  pqos.wire_protocol().builtin.initialPeersList.push_back(lo);
  pqos.wire_protocol().builtin.metatrafficUnicastLocatorList.push_back(lo);
  pqos.wire_protocol().default_unicast_locator_list.push_back(lo);
  pqos.wire_protocol().builtin.discovery_config.leaseDuration_announcementperiod = eprosima::fastrtps::Duration_t(0, 200000000);
  DomainParticipant *pp = DomainParticipantFactory::get_instance()->create_participant(domain, pqos);
  if (pp == nullptr) {
    std::fprintf(stderr, "peer: cannot create a participant on domain %d\n", domain);
    return 2;
  }
  TypeSupport type(new sensor_msgs::msg::dds_::Image_PubSubType());
  type.register_type(pp);

  Publisher *pub = pp->create_publisher(PUBLISHER_QOS_DEFAULT);
  Subscriber *sub = pp->create_subscriber(SUBSCRIBER_QOS_DEFAULT);
  Topic *cam_topic = pp->create_topic("rt/camera/image_raw", type.get_type_name(), TOPIC_QOS_DEFAULT);
  DataWriterQos wqos = pub->get_default_datawriter_qos();
  wqos.reliability().kind = reliable ? RELIABLE_RELIABILITY_QOS : BEST_EFFORT_RELIABILITY_QOS;
  wqos.durability().kind = VOLATILE_DURABILITY_QOS;
  wqos.history().kind = KEEP_LAST_HISTORY_QOS;
  wqos.history().depth = 1;
  wqos.endpoint().history_memory_policy = eprosima::fastrtps::rtps::PREALLOCATED_MEMORY_MODE;
  wqos.publish_mode().kind = ASYNCHRONOUS_PUBLISH_MODE;
  DataWriter *writer = pub->create_datawriter(cam_topic, wqos);

  const char *outputs[] = {"labels", "outlier_mask", "overlay"};
  std::map<std::string, DataReader *> readers;
  DataReaderQos rqos = sub->get_default_datareader_qos();
  rqos.reliability().kind = RELIABLE_RELIABILITY_QOS;
  rqos.durability().kind = VOLATILE_DURABILITY_QOS;
  rqos.history().kind = KEEP_LAST_HISTORY_QOS;
  rqos.history().depth = 5;
  rqos.endpoint().history_memory_policy = eprosima::fastrtps::rtps::PREALLOCATED_MEMORY_MODE;
  for (const char *o : outputs) {
    Topic *t = pp->create_topic(std::string("rt/osr/") + o, type.get_type_name(), TOPIC_QOS_DEFAULT);
    readers[o] = sub->create_datareader(t, rqos);
  }
  // Late joiners on transient-local topics: history arrives on matching.
  TypeSupport li_type(new vision_msgs::msg::dds_::LabelInfo_PubSubType());
  TypeSupport pei_type(new rmw_dds_common::msg::dds_::ParticipantEntitiesInfo_PubSubType());
  li_type.register_type(pp);
  pei_type.register_type(pp);
  DataReaderQos lqos = rqos;
  lqos.durability().kind = TRANSIENT_LOCAL_DURABILITY_QOS;
  lqos.history().depth = 1;
  DataReader *li_reader = sub->create_datareader(
      pp->create_topic("rt/osr/label_info", li_type.get_type_name(), TOPIC_QOS_DEFAULT), lqos);
  DataReader *pei_reader = sub->create_datareader(
      pp->create_topic("ros_discovery_info", pei_type.get_type_name(), TOPIC_QOS_DEFAULT), lqos);
  if (writer == nullptr || readers.size() != 3 || li_reader == nullptr || pei_reader == nullptr) {
    std::fprintf(stderr, "peer: cannot create endpoints\n");
    return 2;
  }

  const auto start = Clock::now();
  auto writer_matched = [&] {
    PublicationMatchedStatus st;
    writer->get_publication_matched_status(st);
    return st.current_count;
  };
  if (expect_no_match) {
    while (ms_since(start) < timeout_ms) {
      if (writer_matched() > 0) {
        std::printf("{\"event\":\"matched\",\"after_ms\":%.1f}\n", ms_since(start));
        return 1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    std::printf("{\"event\":\"no_match\",\"waited_ms\":%.1f}\n", ms_since(start));
    return 0;
  }

  // Wait for matching on all four endpoints.
  for (;;) {
    bool all = writer_matched() > 0;
    for (auto &r : readers) {
      SubscriptionMatchedStatus st;
      r.second->get_subscription_matched_status(st);
      all = all && st.current_count > 0;
    }
    if (all)
      break;
    if (ms_since(start) > timeout_ms) {
      std::printf("{\"event\":\"timeout\",\"stage\":\"matching\",\"writer_matched\":%d}\n", writer_matched());
      return 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::printf("{\"event\":\"matched\",\"after_ms\":%.1f}\n", ms_since(start));
  std::fflush(stdout);

  sensor_msgs::msg::dds_::Image_ frame;
  frame.header().frame_id("fastdds_cam");
  frame.width(width);
  frame.height(height);
  frame.encoding("rgb8");
  frame.is_bigendian(0);
  frame.step(width * 3);
  frame.data(pixels);

  std::map<int32_t, Clock::time_point> sent; // by stamp.sec
  std::map<std::string, bool> got;
  int32_t sec = 1700000000;
  Clock::time_point last_send;
  int sends = 0;
  while (got.size() < readers.size()) {
    if (ms_since(start) > timeout_ms) {
      std::printf("{\"event\":\"timeout\",\"stage\":\"outputs\",\"sent\":%d,\"got\":%zu}\n", sends, got.size());
      return 1;
    }
    if (sends == 0 || ms_since(last_send) > 300) {
      frame.header().stamp().sec(++sec);
      frame.header().stamp().nanosec(123456789);
      last_send = Clock::now();
      sent[sec] = last_send;
      writer->write(&frame);
      sends++;
    }
    for (auto &r : readers) {
      sensor_msgs::msg::dds_::Image_ out;
      SampleInfo info;
      while (r.second->take_next_sample(&out, &info) == ReturnCode_t::RETCODE_OK) {
        if (!info.valid_data)
          continue;
        const auto &h = out.header();
        auto it = sent.find(h.stamp().sec());
        const bool ours = it != sent.end() && h.stamp().nanosec() == 123456789 && h.frame_id() == "fastdds_cam";
        std::printf("{\"event\":\"output\",\"topic\":\"%s\",\"sec\":%d,\"nanosec\":%u,\"frame_id\":\"%s\",\"width\":%u,"
                    "\"height\":%u,\"encoding\":\"%s\",\"step\":%u,\"bytes\":%zu,\"latency_ms\":%.2f,\"ours\":%s}\n",
                    r.first.c_str(), h.stamp().sec(), h.stamp().nanosec(), h.frame_id().c_str(), out.width(), out.height(),
                    out.encoding().c_str(), out.step(), out.data().size(), ours ? ms_since(it->second) : -1.0,
                    ours ? "true" : "false");
        if (ours)
          got[r.first] = true;
      }
    }
    std::fflush(stdout);
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  // The GUID of osr's labels writer, as the matched status reports it.
  SubscriptionMatchedStatus labels_match;
  readers["labels"]->get_subscription_matched_status(labels_match);
  bool got_li = false, got_pei = false;
  while (!(got_li && got_pei)) {
    if (ms_since(start) > timeout_ms) {
      std::printf("{\"event\":\"timeout\",\"stage\":\"label_info and ros_discovery_info\",\"label_info\":%s,\"discovery\":%s}\n",
                  got_li ? "true" : "false", got_pei ? "true" : "false");
      return 1;
    }
    vision_msgs::msg::dds_::LabelInfo_ li;
    SampleInfo info;
    if (li_reader->take_next_sample(&li, &info) == ReturnCode_t::RETCODE_OK && info.valid_data) {
      const auto &m = li.class_map();
      std::printf("{\"event\":\"label_info\",\"classes\":%zu,\"first\":\"%s\",\"last_id\":%u,\"last\":\"%s\",\"threshold\":%.4f}\n",
                  m.size(), m.empty() ? "" : m.front().class_name().c_str(), m.empty() ? 0u : unsigned(m.back().class_id()),
                  m.empty() ? "" : m.back().class_name().c_str(), li.threshold());
      got_li = true;
    }
    rmw_dds_common::msg::dds_::ParticipantEntitiesInfo_ pei;
    while (pei_reader->take_next_sample(&pei, &info) == ReturnCode_t::RETCODE_OK) {
      if (!info.valid_data)
        continue;
      for (const auto &n : pei.node_entities_info_seq()) {
        bool listed = false;
        for (const auto &g : n.writer_gid_seq()) {
          bool same = true;
          for (int i = 0; i < 16; i++)
            same = same && g.data()[i] == labels_match.last_publication_handle.value[i];
          listed = listed || same;
        }
        std::printf("{\"event\":\"discovery\",\"namespace\":\"%s\",\"node\":\"%s\",\"readers\":%zu,\"writers\":%zu,\"labels_writer_listed\":%s}\n",
                    n.node_namespace().c_str(), n.node_name().c_str(), n.reader_gid_seq().size(), n.writer_gid_seq().size(),
                    listed ? "true" : "false");
        got_pei = got_pei || listed;
      }
    }
    std::fflush(stdout);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::printf("{\"event\":\"done\",\"sent\":%d,\"after_ms\":%.1f}\n", sends, ms_since(start));
  pp->delete_contained_entities();
  DomainParticipantFactory::get_instance()->delete_participant(pp);
  return 0;
}
