package main

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"osr/config"
	"osr/internal/cudalib"
	"osr/internal/ortep"
	"osr/model"
)

var doctorFlagKeys = map[string]string{
	"model":  "model",
	"device": "runtime.device",
	"gpu-id": "runtime.gpu_id",
}

func newDoctorCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "doctor [--device cpu|cuda|tensorrt]",
		Short: "Say which devices this machine can run the model on, and what is missing",
		Long: `Checks, for the configured device (runtime.device, or --device): the ONNX
Runtime library and its version; for cuda and tensorrt, the provider plugin,
the NVIDIA driver (libcuda.so.1) with its CUDA version and GPUs, each CUDA 13,
cuDNN 9 (and TensorRT 10) library the plugin loads and where it was found
(the loader's path, LD_LIBRARY_PATH, NVIDIA's CUDA folders, a Python
environment's nvidia/*/lib), what to install for each missing one, and
finally registers the plugin and opens the model there as osr would.
The exit status is 0 when the configured device will work.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := a.loadConfig(cmd.Flags(), doctorFlagKeys)
			if err != nil {
				return err
			}
			return doctor(cmd.OutOrStdout(), cfg, a)
		},
	}
	d := config.Default()
	cmd.Flags().String("model", d.Model, "model package directory to open on the device as the last check")
	cmd.Flags().String("device", d.Runtime.Device, "device to check: cpu, cuda or tensorrt")
	cmd.Flags().Int("gpu-id", d.Runtime.GPUID, "CUDA device number")
	return cmd
}

// doctor prints what the machine offers for cfg's device, and returns an
// error naming the first thing that stops it.
func doctor(w io.Writer, cfg config.Config, a *app) error {
	device := cfg.Runtime.Device
	opts := engineOptions(cfg, a.log)
	var problems []string
	fail := func(format string, args ...any) {
		problems = append(problems, fmt.Sprintf(format, args...))
	}
	fmt.Fprintf(w, "osr doctor: device %s, gpu_id %d\n\nONNX Runtime\n", device, cfg.Runtime.GPUID)
	gpu := device == "cuda" || device == "tensorrt"
	if !gpu {
		pr, err := model.ProbeDevice(opts)
		if err != nil {
			line(w, "MISSING", "library", err.Error())
			return verdict(w, cfg, []string{err.Error()})
		}
		line(w, "ok", "library", fmt.Sprintf("%s (version %s)", pr.Library, pr.Version))
		for _, d := range []string{"cuda", "tensorrt"} {
			if p, err := model.FindPlugin(d, opts.GPU.Plugins); err == nil {
				line(w, "ok", d+" plugin", p+" (osr doctor --device "+d+" checks it)")
			} else {
				line(w, "-", d+" plugin", "not installed (OSR_GPU=1 bash scripts/setup.sh)")
			}
		}
		return verdict(w, cfg, nil)
	}

	// The plugin and what it needs, found independently of ONNX Runtime so
	// that every missing piece is listed, not only the first the loader meets.
	if lib, err := model.FindLibrary(opts.Library); err == nil {
		line(w, "ok", "library", lib)
	} else {
		line(w, "MISSING", "library", err.Error())
	}
	for _, d := range []string{"cuda", "tensorrt"} {
		if p, err := model.FindPlugin(d, opts.GPU.Plugins); err == nil {
			line(w, "ok", d+" plugin", p)
		} else if d == device {
			line(w, "MISSING", d+" plugin", err.Error())
			fail("%s", err)
		} else {
			line(w, "-", d+" plugin", "not found")
		}
	}
	fmt.Fprintln(w, "\nNVIDIA driver")
	drv, err := cudalib.ProbeDriver()
	switch {
	case err != nil:
		line(w, "MISSING", cudalib.DriverLibrary, err.Error())
		fix(w, cudalib.Hint(cudalib.DriverLibrary))
		fail("%s is missing: %s", cudalib.DriverLibrary, cudalib.Hint(cudalib.DriverLibrary))
	case drv.InitError != "":
		line(w, "FAIL", cudalib.DriverLibrary, fmt.Sprintf("%s loads (CUDA %d.%d) but cuInit fails: %s", drv.Path, drv.CUDAMajor, drv.CUDAMinor, drv.InitError))
		fail("the CUDA driver does not start: %s", drv.InitError)
	default:
		line(w, "ok", cudalib.DriverLibrary, fmt.Sprintf("%s, driver supports CUDA %d.%d", drv.Path, drv.CUDAMajor, drv.CUDAMinor))
		if drv.CUDAMajor < 13 {
			fix(w, "the plugin needs CUDA 13: update the NVIDIA driver to 580 or newer")
			fail("the driver supports CUDA %d.%d; the plugin needs 13", drv.CUDAMajor, drv.CUDAMinor)
		}
		for i, g := range drv.GPUs {
			line(w, "ok", fmt.Sprintf("GPU %d", i), fmt.Sprintf("%s, %d MiB, compute capability %s", g.Name, g.MemoryMiB, g.Capability))
		}
		if len(drv.GPUs) == 0 {
			line(w, "MISSING", "GPU", "the driver reports no GPU")
			fail("the driver reports no GPU")
		} else if cfg.Runtime.GPUID >= len(drv.GPUs) {
			fail("runtime.gpu_id is %d but the driver reports %d GPU(s)", cfg.Runtime.GPUID, len(drv.GPUs))
		}
	}

	fmt.Fprintf(w, "\nLibraries the %s plugin loads\n", device)
	dirs := cudalib.SearchDirs()
	var extra []string
	for _, lib := range cudalib.Required(device) {
		f := cudalib.Find(lib, dirs)
		switch {
		case f.OK():
			line(w, "ok", lib.Name, f.Path)
		case len(f.Elsewhere) > 0:
			line(w, "NOT ON PATH", lib.Name, strings.Join(f.Elsewhere, ", ")+": the loader does not look there")
			extra = appendNew(extra, filepath.Dir(f.Elsewhere[0]))
			fail("%s is in %s, which the loader does not search", lib.Name, filepath.Dir(f.Elsewhere[0]))
		default:
			line(w, "MISSING", lib.Name, lib.What)
			fix(w, lib.Fix)
			fail("%s is missing: %s", lib.Name, lib.Fix)
		}
	}
	if len(extra) > 0 {
		fix(w, "export LD_LIBRARY_PATH="+strings.Join(extra, ":")+"${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}")
	}

	fmt.Fprintln(w, "\nONNX Runtime with the plugin")
	pr, err := model.ProbeDevice(opts)
	if pr.Version != "" {
		line(w, "ok", "version", pr.Version)
	}
	for _, d := range pr.Devices {
		line(w, "ok", "provider", fmt.Sprintf("%s on %s (%s %04x:%04x)", d.EP, kind(d.Type), d.Vendor, d.VendorID, d.DeviceID))
	}
	if err != nil {
		line(w, "FAIL", "register", err.Error())
		if len(problems) == 0 {
			fail("%s", err)
		} else {
			fail("so the %s plugin does not load (ONNX Runtime's message above)", device)
		}
	} else {
		line(w, "ok", "selected", pr.Chosen)
		// The last word: open the model there, as osr would.
		cfg.Runtime.Fallback = "fail"
		if eng, err := openEngine(cfg, a); err != nil {
			line(w, "FAIL", "model", err.Error())
			fail("%s", err)
		} else {
			line(w, "ok", "model", fmt.Sprintf("%s opens on %s (%s)", cfg.Model, eng.Provider(), eng.Device()))
			eng.Close()
		}
	}
	return verdict(w, cfg, problems)
}

func verdict(w io.Writer, cfg config.Config, problems []string) error {
	device := cfg.Runtime.Device
	fmt.Fprintln(w)
	if len(problems) == 0 {
		fmt.Fprintf(w, "%s: will work\n", device)
		return nil
	}
	then := "osr runs on the CPU instead, with a warning"
	if cfg.Runtime.Fallback == "fail" || device == "cpu" {
		then = "osr exits with this message"
	}
	fmt.Fprintf(w, "%s: will not work here (runtime.fallback: %s, so %s):\n", device, cfg.Runtime.Fallback, then)
	for _, p := range problems {
		fmt.Fprintf(w, "  - %s\n", p)
	}
	return errors.New(device + " will not work on this machine (see above)")
}

func line(w io.Writer, status, what, detail string) {
	fmt.Fprintf(w, "  %-11s %-22s %s\n", status, what, detail)
}

func fix(w io.Writer, hint string) {
	fmt.Fprintf(w, "  %-11s %-22s %s\n", "", "fix:", hint)
}

func kind(t int) string {
	switch t {
	case ortep.CPU:
		return "CPU"
	case ortep.GPU:
		return "GPU"
	case ortep.NPU:
		return "NPU"
	}
	return "device type " + fmt.Sprint(t)
}

func appendNew(s []string, v string) []string {
	for _, x := range s {
		if x == v {
			return s
		}
	}
	return append(s, v)
}
