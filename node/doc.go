// Package node owns the transport-independent perception pipeline: a
// latest-frame slot that drops stale frames instead of blocking the
// transport, frame decoding, inference, the four output images with the
// input header copied through, and the diagnostics (rates, latency, drops,
// bad frames, outlier share). Transports (node/ros1, node/ros2) feed it
// frames and give it sinks to publish on.
package node
