// Slots in the OrtApi table (index of the function pointer), from
// onnxruntime_c_api.h of ONNX Runtime 1.24 (ORT_API_VERSION 24), which
// onnxruntime_go v1.27.0 uses. TestSlotsMatchHeader regenerates them.
#define ORTEP_API_VERSION 24
#define SLOT_GetErrorMessage 2
#define SLOT_CreateEnv 3
#define SLOT_ReleaseEnv 92
#define SLOT_ReleaseStatus 93
#define SLOT_AddSessionConfigEntry 130
#define SLOT_GetKeyValue 297
#define SLOT_RegisterExecutionProviderLibrary 301
#define SLOT_UnregisterExecutionProviderLibrary 302
#define SLOT_GetEpDevices 303
#define SLOT_SessionOptionsAppendExecutionProvider_V2 304
#define SLOT_HardwareDevice_Type 307
#define SLOT_HardwareDevice_VendorId 308
#define SLOT_HardwareDevice_Vendor 309
#define SLOT_HardwareDevice_DeviceId 310
#define SLOT_EpDevice_EpName 312
#define SLOT_EpDevice_EpVendor 313
#define SLOT_EpDevice_EpOptions 315
#define SLOT_EpDevice_Device 316
