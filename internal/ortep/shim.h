// A minimal view of ONNX Runtime's C API for the execution-provider device
// calls that onnxruntime_go does not wrap. OrtApi is a table of function
// pointers that only ever grows, so a function's slot is fixed from the API
// version that added it; slots.h lists them and TestSlotsMatchHeader checks
// them against onnxruntime_go's onnxruntime_c_api.h.
#ifndef OSR_ORTEP_SHIM_H
#define OSR_ORTEP_SHIM_H
#include <stddef.h>
#include <stdint.h>

typedef struct {
	void *lib;        // dlopen handle of libonnxruntime
	void *const *api; // the OrtApi function table
	void *env;        // a reference to the process's OrtEnv
} ortep_rt;

// All calls return NULL on success or a malloc'ed message the caller frees.
char *ortep_open(const char *path, uint32_t version, ortep_rt *rt);
void ortep_close(ortep_rt *rt);
char *ortep_register(ortep_rt *rt, const char *name, const char *path);
char *ortep_unregister(ortep_rt *rt, const char *name);
char *ortep_devices(ortep_rt *rt, const void *const **devs, size_t *n);

typedef struct {
	const char *ep_name, *ep_vendor, *hw_vendor;
	int hw_type; // 0 CPU, 1 GPU, 2 NPU
	uint32_t hw_vendor_id, hw_device_id;
} ortep_device_info;

void ortep_device(ortep_rt *rt, const void *dev, ortep_device_info *info);
// ortep_device_option is the EP's default for key on this device, or NULL.
const char *ortep_device_option(ortep_rt *rt, const void *dev, const char *key);
char *ortep_append(ortep_rt *rt, void *session_options, const void *const *devs, size_t ndevs,
		   const char *const *keys, const char *const *vals, size_t nopts);
char *ortep_add_config_entry(ortep_rt *rt, void *session_options, const char *key, const char *val);
#endif
