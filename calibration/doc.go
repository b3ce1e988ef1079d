// Package calibration owns osr's measurements of a model and the choice of
// its scoring: outlier-detection metrics (AP, FPR and TNR at 95 % TPR,
// AUROC, detection accuracy) computed in one pass over millions of pixels,
// closed-set and open-set mIoU, per-image averages, and the temperature and
// threshold chosen from inlier pixels only. It evaluates a dataset split
// (Evaluate) or a recorded drive (EvaluateBag: a report when the bag has
// labels, else the outlier share over time), and calibrates on a split
// (Calibrate), through the small Engine interface it declares.
//
// Ranking metrics over a whole split use a score histogram of 2^20 uniform
// bins on [0, 1]: memory stays fixed whatever the number of pixels, and the
// result is exact for scores quantised to 2^-20 (scores that fall in one
// bin are ties, which AP and AUROC handle as sklearn does). Per-image
// metrics sort the image's pixels and are exact.
package calibration
