#ifndef OSR_CUDALIB_PROBE_H
#define OSR_CUDALIB_PROBE_H
#include <stddef.h>

#define PROBE_MAX_GPUS 16

typedef struct {
	char name[256];
	size_t memory;
	int major, minor;
} probe_gpu;

typedef struct {
	int loaded;   // libcuda.so.1 opened
	int version;  // cuDriverGetVersion: 1000*major + 10*minor
	int init_error;       // cuInit's CUresult, 0 = success
	char init_message[256];
	int count;
	probe_gpu gpus[PROBE_MAX_GPUS];
} probe_driver_info;

// probe_load dlopens name as the dynamic loader would, and returns NULL and
// the file it resolved to (malloc'ed, or NULL), or the loader's message.
char *probe_load(const char *name, char **path);
// probe_driver opens libcuda.so.1 and asks the driver API about the GPUs.
char *probe_driver(probe_driver_info *info);
#endif
