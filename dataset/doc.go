// Package dataset reads segmentation datasets laid out as dataset.yaml plus
// <split>/images and <split>/labels (the CamVid layout in ../shared), and
// applies open-set protocols such as camvid-ood that hold classes out.
package dataset
