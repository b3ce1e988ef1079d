// Package train owns osr's offline training: the networks, their training
// loops and their export to model packages. For now it holds SmallNet, the
// small CPU segmenter that the bundled first model is trained with; the
// ladder segmenter and the joint Real NVP training build on package nn.
package train
