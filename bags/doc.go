// Package bags owns recorded drives: reading ROS 1 bags (chunks stored
// plain, bz2 or lz4) and ROS 2 MCAP files, writing both, turning a
// labelled dataset into a bag for replay, and evaluating a model over the
// images of a bag. Corrupt chunks and messages of unknown types are
// counted and skipped, never fatal.
package bags
