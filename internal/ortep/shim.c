#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shim.h"
#include "slots.h"

typedef void *status; // OrtStatus*; NULL is success

typedef struct {
	void *const *(*GetApi)(uint32_t version);
	const char *(*GetVersionString)(void);
} api_base;

#define FN(rt, name) (rt->api[SLOT_##name])

static char *fail(const char *fmt, const char *arg) {
	size_t n = strlen(fmt) + (arg ? strlen(arg) : 0) + 1;
	char *s = malloc(n);
	if (s) snprintf(s, n, fmt, arg ? arg : "");
	return s;
}

static char *take(ortep_rt *rt, status st) {
	if (!st) return NULL;
	const char *(*msg)(const void *) = FN(rt, GetErrorMessage);
	void (*release)(void *) = FN(rt, ReleaseStatus);
	char *s = strdup(msg(st));
	release(st);
	return s;
}

char *ortep_open(const char *path, uint32_t version, ortep_rt *rt) {
	memset(rt, 0, sizeof *rt);
	// RTLD_NOLOAD: the runtime onnxruntime_go loaded, never a second copy.
	rt->lib = dlopen(path, RTLD_NOW | RTLD_NOLOAD);
	if (!rt->lib) return fail("ONNX Runtime %s is not loaded in this process", path);
	const api_base *(*get_base)(void) = (const api_base *(*)(void))dlsym(rt->lib, "OrtGetApiBase");
	if (!get_base) {
		dlclose(rt->lib);
		return fail("%s has no OrtGetApiBase: not an ONNX Runtime library", path);
	}
	rt->api = get_base()->GetApi(version);
	if (!rt->api) {
		dlclose(rt->lib);
		return fail("ONNX Runtime %s does not offer the C API version osr was built for", get_base()->GetVersionString());
	}
	status (*create_env)(int, const char *, void **) = FN(rt, CreateEnv);
	// The environment is a process-wide singleton: this takes a reference
	// to the one onnxruntime_go created.
	char *err = take(rt, create_env(3, "osr", &rt->env));
	if (err) {
		dlclose(rt->lib);
		rt->api = NULL;
	}
	return err;
}

void ortep_close(ortep_rt *rt) {
	if (rt->env) {
		void (*release)(void *) = FN(rt, ReleaseEnv);
		release(rt->env);
	}
	if (rt->lib) dlclose(rt->lib);
	memset(rt, 0, sizeof *rt);
}

char *ortep_register(ortep_rt *rt, const char *name, const char *path) {
	status (*reg)(void *, const char *, const char *) = FN(rt, RegisterExecutionProviderLibrary);
	return take(rt, reg(rt->env, name, path));
}

char *ortep_unregister(ortep_rt *rt, const char *name) {
	status (*unreg)(void *, const char *) = FN(rt, UnregisterExecutionProviderLibrary);
	return take(rt, unreg(rt->env, name));
}

char *ortep_devices(ortep_rt *rt, const void *const **devs, size_t *n) {
	status (*get)(const void *, const void *const **, size_t *) = FN(rt, GetEpDevices);
	return take(rt, get(rt->env, devs, n));
}

void ortep_device(ortep_rt *rt, const void *dev, ortep_device_info *info) {
	const char *(*ep_name)(const void *) = FN(rt, EpDevice_EpName);
	const char *(*ep_vendor)(const void *) = FN(rt, EpDevice_EpVendor);
	const void *(*hw)(const void *) = FN(rt, EpDevice_Device);
	int (*hw_type)(const void *) = FN(rt, HardwareDevice_Type);
	uint32_t (*hw_vendor_id)(const void *) = FN(rt, HardwareDevice_VendorId);
	const char *(*hw_vendor)(const void *) = FN(rt, HardwareDevice_Vendor);
	uint32_t (*hw_device_id)(const void *) = FN(rt, HardwareDevice_DeviceId);
	const void *h = hw(dev);
	info->ep_name = ep_name(dev);
	info->ep_vendor = ep_vendor(dev);
	info->hw_type = hw_type(h);
	info->hw_vendor_id = hw_vendor_id(h);
	info->hw_vendor = hw_vendor(h);
	info->hw_device_id = hw_device_id(h);
}

const char *ortep_device_option(ortep_rt *rt, const void *dev, const char *key) {
	const void *(*options)(const void *) = FN(rt, EpDevice_EpOptions);
	const char *(*get)(const void *, const char *) = FN(rt, GetKeyValue);
	const void *kv = options(dev);
	return kv ? get(kv, key) : NULL;
}

char *ortep_append(ortep_rt *rt, void *so, const void *const *devs, size_t ndevs,
		   const char *const *keys, const char *const *vals, size_t nopts) {
	status (*append)(void *, void *, const void *const *, size_t, const char *const *, const char *const *, size_t) =
		FN(rt, SessionOptionsAppendExecutionProvider_V2);
	return take(rt, append(so, rt->env, devs, ndevs, keys, vals, nopts));
}

char *ortep_add_config_entry(ortep_rt *rt, void *so, const char *key, const char *val) {
	status (*add)(void *, const char *, const char *) = FN(rt, AddSessionConfigEntry);
	return take(rt, add(so, key, val));
}
