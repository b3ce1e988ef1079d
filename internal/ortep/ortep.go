// Package ortep reaches the parts of ONNX Runtime's C API that choose an
// execution provider's device: registering a provider plugin library,
// listing the (provider, device) pairs it offers, and appending one to a
// session's options. onnxruntime_go loads the runtime and creates the
// environment; this package uses the same library and environment.
package ortep

/*
#cgo LDFLAGS: -ldl
#include <stdlib.h>
#include "shim.h"
#include "slots.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"unsafe"
)

// Hardware device types, as OrtHardwareDeviceType numbers them.
const (
	CPU = 0
	GPU = 1
	NPU = 2
)

// Runtime is a handle on a loaded ONNX Runtime and a reference to its
// environment. It is not safe for concurrent use.
type Runtime struct {
	rt C.ortep_rt
}

// Device is one execution provider on one hardware device.
type Device struct {
	EP       string // provider name, e.g. CUDAExecutionProvider
	EPVendor string
	Type     int // CPU, GPU or NPU
	Vendor   string
	VendorID uint32 // PCI vendor, 0x10de for NVIDIA
	DeviceID uint32 // PCI device id, not the CUDA ordinal
	// Options are the provider's defaults for this device that osr reads
	// (device_id: the CUDA ordinal).
	Options map[string]string

	ptr unsafe.Pointer
}

// Open attaches to the ONNX Runtime library at path, which must already be
// loaded and initialised (onnxruntime_go's InitializeEnvironment).
func Open(path string) (*Runtime, error) {
	r := &Runtime{}
	cp := C.CString(path)
	defer C.free(unsafe.Pointer(cp))
	if err := take(C.ortep_open(cp, C.ORTEP_API_VERSION, &r.rt)); err != nil {
		return nil, err
	}
	return r, nil
}

// Close drops the environment reference and the library handle.
func (r *Runtime) Close() {
	if r != nil {
		C.ortep_close(&r.rt)
	}
}

// Register loads a provider plugin library under name. The error is ONNX
// Runtime's, which carries the dynamic loader's message (a missing CUDA
// library, say).
func (r *Runtime) Register(name, path string) error {
	cn, cp := C.CString(name), C.CString(path)
	defer C.free(unsafe.Pointer(cn))
	defer C.free(unsafe.Pointer(cp))
	return take(C.ortep_register(&r.rt, cn, cp))
}

// Unregister unloads the plugin registered under name.
func (r *Runtime) Unregister(name string) error {
	cn := C.CString(name)
	defer C.free(unsafe.Pointer(cn))
	return take(C.ortep_unregister(&r.rt, cn))
}

// Devices lists every (provider, device) pair the environment offers: the
// built-in CPU provider and those of registered plugins.
func (r *Runtime) Devices() ([]Device, error) {
	var devs *unsafe.Pointer
	var n C.size_t
	if err := take(C.ortep_devices(&r.rt, (**unsafe.Pointer)(unsafe.Pointer(&devs)), &n)); err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, nil
	}
	ptrs := unsafe.Slice(devs, int(n))
	out := make([]Device, len(ptrs))
	for i, p := range ptrs {
		var info C.ortep_device_info
		C.ortep_device(&r.rt, p, &info)
		out[i] = Device{
			EP:       C.GoString(info.ep_name),
			EPVendor: C.GoString(info.ep_vendor),
			Type:     int(info.hw_type),
			Vendor:   C.GoString(info.hw_vendor),
			VendorID: uint32(info.hw_vendor_id),
			DeviceID: uint32(info.hw_device_id),
			Options:  map[string]string{},
			ptr:      p,
		}
		key := C.CString("device_id")
		if v := C.ortep_device_option(&r.rt, p, key); v != nil {
			out[i].Options["device_id"] = C.GoString(v)
		}
		C.free(unsafe.Pointer(key))
	}
	return out, nil
}

// Append adds the devices' provider (all must be one provider's, from
// Devices) to the session options, with provider options.
// sessionOptions is an OrtSessionOptions*.
func (r *Runtime) Append(sessionOptions unsafe.Pointer, devs []Device, options map[string]string) error {
	if sessionOptions == nil {
		return errors.New("nil session options")
	}
	if len(devs) == 0 {
		return errors.New("no device to append")
	}
	// C memory, so that the array passed to C holds no Go pointers.
	arr := C.malloc(C.size_t(len(devs)) * C.size_t(unsafe.Sizeof(unsafe.Pointer(nil))))
	defer C.free(arr)
	cdevs := unsafe.Slice((*unsafe.Pointer)(arr), len(devs))
	for i, d := range devs {
		if d.ptr == nil {
			return fmt.Errorf("device %d did not come from Devices", i)
		}
		cdevs[i] = d.ptr
	}
	keys, vals := cstrings(len(options)), cstrings(len(options))
	defer freeAll(keys)
	defer freeAll(vals)
	i := 0
	for k, v := range options {
		keys[i], vals[i] = C.CString(k), C.CString(v)
		i++
	}
	return take(C.ortep_append(&r.rt, sessionOptions, (*unsafe.Pointer)(arr), C.size_t(len(devs)),
		first(keys), first(vals), C.size_t(len(options))))
}

// AddConfigEntry sets a session configuration entry through this package's
// view of the API; osr's tests use it to check that a session options
// pointer taken from onnxruntime_go is the real one.
func (r *Runtime) AddConfigEntry(sessionOptions unsafe.Pointer, key, value string) error {
	ck, cv := C.CString(key), C.CString(value)
	defer C.free(unsafe.Pointer(ck))
	defer C.free(unsafe.Pointer(cv))
	return take(C.ortep_add_config_entry(&r.rt, sessionOptions, ck, cv))
}

// cstrings allocates n C string pointers in C memory.
func cstrings(n int) []*C.char {
	if n == 0 {
		return nil
	}
	p := C.malloc(C.size_t(n) * C.size_t(unsafe.Sizeof(uintptr(0))))
	return unsafe.Slice((**C.char)(p), n)
}

func freeAll(s []*C.char) {
	if len(s) == 0 {
		return
	}
	for _, p := range s {
		C.free(unsafe.Pointer(p))
	}
	C.free(unsafe.Pointer(&s[0]))
}

func first(s []*C.char) **C.char {
	if len(s) == 0 {
		return nil
	}
	return &s[0]
}

func take(msg *C.char) error {
	if msg == nil {
		return nil
	}
	defer C.free(unsafe.Pointer(msg))
	return errors.New(C.GoString(msg))
}
