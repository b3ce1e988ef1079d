// Package ros1 is the ROS 1 (TCPROS) transport of the perception node,
// built on goroslib. It registers with the master, subscribes to the camera
// topic (raw or compressed), publishes the pipeline's outputs and the
// latched label info, tracks which outputs have subscribers, honours
// use_sim_time, and re-registers when the master restarts.
package ros1
