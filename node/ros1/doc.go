// Package ros1 is the ROS 1 (TCPROS) transport of the perception node,
// built on goroslib. It registers with the master in the namespace ROS 1
// gives the node (__ns:=, then ROS_NAMESPACE, then the config), subscribes
// to the camera topic (raw or compressed), publishes the pipeline's outputs
// and the latched label info, tracks which outputs have subscribers,
// honours use_sim_time, re-registers when the master restarts and ends when
// the master shuts the node down. Log lines also go to /rosout, with
// roscpp's ~get_loggers and ~set_logger_level; the private namespace on the
// parameter server sets the node's parameters, at start and live.
package ros1
