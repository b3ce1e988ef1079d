// Package train owns osr's offline training: the networks (the LDN
// segmenter, the Real NVP outlier generator, the image-wide classifier),
// their training runs (`osr train`: msp, noise and
// so modes, checkpoints and resumption; `osr train imagewide`), their
// export to model packages, and the training benchmarks.
package train
