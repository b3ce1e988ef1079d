// Package cudalib finds the NVIDIA driver and the CUDA, cuDNN and TensorRT
// libraries ONNX Runtime's GPU provider plugins load, as the dynamic loader
// would and in the places pip and NVIDIA's packages put them, and says what
// to install for each missing one. It loads them with dlopen only: osr does
// not link against CUDA.
package cudalib

/*
#cgo LDFLAGS: -ldl
#include <stdlib.h>
#include "probe.h"
*/
import "C"

import (
	"errors"
	"unsafe"
)

// Load opens name (a soname or a path) as the dynamic loader would for a
// plugin, and returns the file it resolved to, or the loader's message.
func Load(name string) (string, error) {
	cn := C.CString(name)
	defer C.free(unsafe.Pointer(cn))
	var path *C.char
	if msg := C.probe_load(cn, &path); msg != nil {
		defer C.free(unsafe.Pointer(msg))
		return "", errors.New(C.GoString(msg))
	}
	if path == nil {
		return name, nil
	}
	defer C.free(unsafe.Pointer(path))
	return C.GoString(path), nil
}

// GPU is one device as the CUDA driver reports it.
type GPU struct {
	Name       string
	MemoryMiB  int
	Capability string // compute capability, e.g. 8.7
}

// Driver is what the CUDA driver (libcuda.so.1) reports.
type Driver struct {
	Path string
	// CUDA is the newest CUDA version the driver supports, e.g. 13.0.
	CUDAMajor, CUDAMinor int
	// InitError is cuInit's error when the driver loads but cannot start
	// (no device, or a kernel module that does not match).
	InitError string
	GPUs      []GPU
}

// ProbeDriver loads libcuda.so.1 and lists the GPUs. The error is the
// loader's when the driver is not installed.
func ProbeDriver() (Driver, error) {
	var info C.probe_driver_info
	if msg := C.probe_driver(&info); msg != nil {
		defer C.free(unsafe.Pointer(msg))
		return Driver{}, errors.New(C.GoString(msg))
	}
	d := Driver{CUDAMajor: int(info.version) / 1000, CUDAMinor: int(info.version) % 1000 / 10}
	d.Path, _ = Load(DriverLibrary)
	if info.init_error != 0 {
		d.InitError = C.GoString(&info.init_message[0])
		if d.InitError == "" {
			d.InitError = "cuInit failed"
		}
	}
	for i := 0; i < int(info.count); i++ {
		g := info.gpus[i]
		d.GPUs = append(d.GPUs, GPU{
			Name:       C.GoString(&g.name[0]),
			MemoryMiB:  int(g.memory >> 20),
			Capability: itoa(int(g.major)) + "." + itoa(int(g.minor)),
		})
	}
	return d, nil
}

func itoa(i int) string {
	if i < 0 || i > 99 {
		return "?"
	}
	if i < 10 {
		return string(rune('0' + i))
	}
	return string(rune('0'+i/10)) + string(rune('0'+i%10))
}
