// Package dataset reads segmentation datasets: the CamVid layout in
// ../shared (dataset.yaml plus <split>/images and <split>/labels), and the
// public layouts of Cityscapes, StreetHazards and Mapillary Vistas as they
// are downloaded (recognised by their folders, or named by `layout:` in a
// dataset.yaml), with their label mappings and open-set protocols
// (camvid-ood, streethazards, vistas-np); the image-wide sets (Fashion-MNIST,
// MNIST); and it writes pasted-object anomaly splits
// (PasteObjects, in the style of Fishyscapes Static).
package dataset
