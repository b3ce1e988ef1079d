#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>

#include "probe.h"

char *probe_load(const char *name, char **path) {
	*path = NULL;
	dlerror();
	void *h = dlopen(name, RTLD_LAZY | RTLD_LOCAL);
	if (!h) {
		const char *e = dlerror();
		return strdup(e ? e : "dlopen failed");
	}
	struct link_map *lm = NULL;
	if (dlinfo(h, RTLD_DI_LINKMAP, &lm) == 0 && lm && lm->l_name) *path = strdup(lm->l_name);
	dlclose(h);
	return NULL;
}

typedef int (*cu_init)(unsigned);
typedef int (*cu_int)(int *);
typedef int (*cu_device_get)(int *, int);
typedef int (*cu_name)(char *, int, int);
typedef int (*cu_mem)(size_t *, int);
typedef int (*cu_attr)(int *, int, int);
typedef int (*cu_errstr)(int, const char **);

char *probe_driver(probe_driver_info *info) {
	memset(info, 0, sizeof *info);
	dlerror();
	void *h = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		const char *e = dlerror();
		return strdup(e ? e : "dlopen libcuda.so.1 failed");
	}
	info->loaded = 1;
	cu_init init = (cu_init)dlsym(h, "cuInit");
	cu_int version = (cu_int)dlsym(h, "cuDriverGetVersion");
	cu_int count = (cu_int)dlsym(h, "cuDeviceGetCount");
	cu_device_get get = (cu_device_get)dlsym(h, "cuDeviceGet");
	cu_name name = (cu_name)dlsym(h, "cuDeviceGetName");
	cu_mem mem = (cu_mem)dlsym(h, "cuDeviceTotalMem_v2");
	cu_attr attr = (cu_attr)dlsym(h, "cuDeviceGetAttribute");
	cu_errstr errstr = (cu_errstr)dlsym(h, "cuGetErrorString");
	if (!init || !version || !count || !get || !name || !mem || !attr) {
		dlclose(h);
		return strdup("libcuda.so.1 lacks the CUDA driver API (cuInit, cuDeviceGet...)");
	}
	version(&info->version);
	int rc = init(0);
	if (rc != 0) {
		const char *s = NULL;
		if (errstr) errstr(rc, &s);
		info->init_error = rc;
		if (s) strncpy(info->init_message, s, sizeof info->init_message - 1);
		dlclose(h);
		return NULL;
	}
	int n = 0;
	count(&n);
	if (n > PROBE_MAX_GPUS) n = PROBE_MAX_GPUS;
	for (int i = 0; i < n; i++) {
		int dev = 0;
		if (get(&dev, i) != 0) continue;
		name(info->gpus[i].name, sizeof info->gpus[i].name, dev);
		mem(&info->gpus[i].memory, dev);
		attr(&info->gpus[i].major, 75, dev); // CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR
		attr(&info->gpus[i].minor, 76, dev); // CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR
		info->count = i + 1;
	}
	dlclose(h);
	return NULL;
}
