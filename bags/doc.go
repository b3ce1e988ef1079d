// Package bags owns recorded drives as files: reading ROS 1 bags (chunks
// stored plain, bz2 or lz4) and ROS 2 MCAP files, decoding their camera
// and label messages, writing both formats, and turning a labelled
// dataset into a bag for replay. It knows no model and no metrics: the
// evaluation of a bag is calibration.EvaluateBag. Corrupt chunks and
// messages of unknown types are counted and skipped, never fatal.
package bags
