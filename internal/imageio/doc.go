// Package imageio decodes image files and buffers into packed 8-bit RGB,
// with a clear error for empty, truncated, unknown or oversized input, and
// writes the PNG outputs (8-bit gray, 16-bit gray, RGB) atomically.
package imageio
