// Opaque-CDR sertype for Cyclone DDS 0.10: samples are serialised bytes
// (encapsulation header included) that osr's Go codec produces and parses,
// so Cyclone needs no type description, as with ROS 2's rmw_cyclonedds.
#ifndef OSR_CDRTYPE_H
#define OSR_CDRTYPE_H

#include <stddef.h>
#include "dds/dds.h"

// osr_cdr_sample is the application sample: a buffer of CDR bytes.
typedef struct osr_cdr_sample {
  const void *buf;
  size_t len;
} osr_cdr_sample;

// osr_create_topic creates a topic whose type is type_name, carried as opaque CDR.
dds_entity_t osr_create_topic(dds_entity_t participant, const char *name, const char *type_name, const dds_qos_t *qos);

// osr_write publishes len bytes of CDR; Cyclone copies them before returning.
dds_return_t osr_write(dds_entity_t writer, const void *buf, size_t len);

// osr_take takes one sample. It returns 1 with *data/*len pointing into
// *ref, which the caller releases with osr_release, 0 when the reader is
// empty, or a negative DDS return code. *valid is 0 for samples that only
// carry a state change (no data).
int osr_take(dds_entity_t reader, void **ref, const void **data, size_t *len, int *valid);
void osr_release(void *ref);

// osr_take_from is osr_take that also gives the writer's instance handle.
int osr_take_from(dds_entity_t reader, void **ref, const void **data, size_t *len, int *valid, dds_instance_handle_t *publication);

// osr_client_reader_matched reports whether a service's reply writer has
// matched the reply reader of the client whose request writer (publication,
// matched by the request reader) sent a request, by the clientid in their
// USER_DATA as rmw_cyclonedds sets it: 1 yes (or the client has no id), 0 not
// yet, -1 the client is gone.
int osr_client_reader_matched(dds_entity_t reader, dds_entity_t writer, dds_instance_handle_t publication);
#endif
