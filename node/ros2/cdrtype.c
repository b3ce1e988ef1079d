//go:build ros2

#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include "dds/dds.h"
#include "dds/ddsi/ddsi_sertype.h"
#include "dds/ddsi/ddsi_serdata.h"
#include "dds/ddsi/q_radmin.h"
#include "cdrtype.h"

// A serdata holds the serialised sample, encapsulation header included,
// padded with zeros to a multiple of 4 (Cyclone may ask for the padding).
struct osr_serdata {
  struct ddsi_serdata c;
  size_t len;
  unsigned char data[];
};

static const struct ddsi_serdata_ops osr_serdata_ops;
static const struct ddsi_sertype_ops osr_sertype_ops;

static struct osr_serdata *serdata_new(const struct ddsi_sertype *type, enum ddsi_serdata_kind kind, size_t len) {
  size_t padded = (len + 3) & ~(size_t)3;
  struct osr_serdata *d = malloc(sizeof(*d) + padded);
  if (d == NULL)
    return NULL;
  ddsi_serdata_init(&d->c, type, kind);
  d->len = len;
  memset(d->data + len, 0, padded - len);
  return d;
}

static bool sd_eqkey(const struct ddsi_serdata *a, const struct ddsi_serdata *b) {
  (void)a; (void)b;
  return true; // ROS 2 topics have no key
}

static uint32_t sd_size(const struct ddsi_serdata *dc) {
  return (uint32_t)((const struct osr_serdata *)dc)->len;
}

static struct ddsi_serdata *sd_from_ser(const struct ddsi_sertype *type, enum ddsi_serdata_kind kind,
                                        const struct nn_rdata *frag, size_t size) {
  struct osr_serdata *d = serdata_new(type, kind, size);
  if (d == NULL)
    return NULL;
  // Fragments may overlap; copy only the bytes each one adds.
  uint32_t off = 0;
  for (; frag != NULL; frag = frag->nextfrag) {
    if (frag->maxp1 > off) {
      const unsigned char *payload = NN_RMSG_PAYLOADOFF(frag->rmsg, NN_RDATA_PAYLOAD_OFF(frag));
      uint32_t end = frag->maxp1 < size ? frag->maxp1 : (uint32_t)size;
      if (end > off)
        memcpy(d->data + off, payload + (off - frag->min), end - off);
      off = frag->maxp1;
    }
  }
  return &d->c;
}

static struct ddsi_serdata *sd_from_ser_iov(const struct ddsi_sertype *type, enum ddsi_serdata_kind kind,
                                            ddsrt_msg_iovlen_t niov, const ddsrt_iovec_t *iov, size_t size) {
  struct osr_serdata *d = serdata_new(type, kind, size);
  if (d == NULL)
    return NULL;
  size_t off = 0;
  for (ddsrt_msg_iovlen_t i = 0; i < niov && off < size; i++) {
    size_t n = iov[i].iov_len < size - off ? iov[i].iov_len : size - off;
    memcpy(d->data + off, iov[i].iov_base, n);
    off += n;
  }
  return &d->c;
}

static struct ddsi_serdata *sd_from_keyhash(const struct ddsi_sertype *type, const struct ddsi_keyhash *kh) {
  (void)kh;
  struct osr_serdata *d = serdata_new(type, SDK_KEY, 0);
  return d ? &d->c : NULL;
}

static struct ddsi_serdata *sd_from_sample(const struct ddsi_sertype *type, enum ddsi_serdata_kind kind, const void *sample) {
  const osr_cdr_sample *s = sample;
  size_t len = kind == SDK_DATA ? s->len : 0;
  struct osr_serdata *d = serdata_new(type, kind, len);
  if (d == NULL)
    return NULL;
  if (len > 0)
    memcpy(d->data, s->buf, len);
  return &d->c;
}

static void sd_to_ser(const struct ddsi_serdata *dc, size_t off, size_t sz, void *buf) {
  memcpy(buf, ((const struct osr_serdata *)dc)->data + off, sz);
}

static struct ddsi_serdata *sd_to_ser_ref(const struct ddsi_serdata *dc, size_t off, size_t sz, ddsrt_iovec_t *ref) {
  ref->iov_base = (void *)(((const struct osr_serdata *)dc)->data + off);
  ref->iov_len = (ddsrt_iov_len_t)sz;
  return ddsi_serdata_ref(dc);
}

static void sd_to_ser_unref(struct ddsi_serdata *dc, const ddsrt_iovec_t *ref) {
  (void)ref;
  ddsi_serdata_unref(dc);
}

// to_sample serves dds_take/dds_read (osr uses dds_takecdr): the sample
// gets a malloc'd copy that free_samples releases.
static bool sd_to_sample(const struct ddsi_serdata *dc, void *sample, void **bufptr, void *buflim) {
  (void)bufptr; (void)buflim;
  const struct osr_serdata *d = (const struct osr_serdata *)dc;
  osr_cdr_sample *s = sample;
  void *copy = malloc(d->len ? d->len : 1);
  if (copy == NULL)
    return false;
  memcpy(copy, d->data, d->len);
  free((void *)s->buf);
  s->buf = copy;
  s->len = d->len;
  return true;
}

static struct ddsi_serdata *sd_to_untyped(const struct ddsi_serdata *dc) {
  struct osr_serdata *d = serdata_new(dc->type, SDK_KEY, 0);
  if (d == NULL)
    return NULL;
  d->c.type = NULL;
  return &d->c;
}

static bool sd_untyped_to_sample(const struct ddsi_sertype *type, const struct ddsi_serdata *d, void *sample, void **bufptr, void *buflim) {
  (void)type; (void)d; (void)sample; (void)bufptr; (void)buflim;
  return true;
}

static void sd_free(struct ddsi_serdata *dc) { free(dc); }

static size_t sd_print(const struct ddsi_sertype *type, const struct ddsi_serdata *dc, char *buf, size_t size) {
  (void)type;
  return (size_t)snprintf(buf, size, "(%zu bytes of CDR)", ((const struct osr_serdata *)dc)->len);
}

static void sd_get_keyhash(const struct ddsi_serdata *d, struct ddsi_keyhash *buf, bool force_md5) {
  (void)d; (void)force_md5;
  memset(buf, 0, sizeof(*buf));
}

static const struct ddsi_serdata_ops osr_serdata_ops = {
  .eqkey = sd_eqkey,
  .get_size = sd_size,
  .from_ser = sd_from_ser,
  .from_ser_iov = sd_from_ser_iov,
  .from_keyhash = sd_from_keyhash,
  .from_sample = sd_from_sample,
  .to_ser = sd_to_ser,
  .to_ser_ref = sd_to_ser_ref,
  .to_ser_unref = sd_to_ser_unref,
  .to_sample = sd_to_sample,
  .to_untyped = sd_to_untyped,
  .untyped_to_sample = sd_untyped_to_sample,
  .free = sd_free,
  .print = sd_print,
  .get_keyhash = sd_get_keyhash,
};

static void st_free(struct ddsi_sertype *tp) {
  ddsi_sertype_fini(tp);
  free(tp);
}

static void st_zero_samples(const struct ddsi_sertype *d, void *samples, size_t count) {
  (void)d;
  memset(samples, 0, count * sizeof(osr_cdr_sample));
}

static void st_realloc_samples(void **ptrs, const struct ddsi_sertype *d, void *old, size_t oldcount, size_t count) {
  (void)d;
  osr_cdr_sample *s = realloc(old, count * sizeof(*s));
  if (s == NULL && count > 0) {
    ptrs[0] = NULL;
    return;
  }
  if (count > oldcount)
    memset(s + oldcount, 0, (count - oldcount) * sizeof(*s));
  for (size_t i = 0; i < count; i++)
    ptrs[i] = &s[i];
}

static void st_free_samples(const struct ddsi_sertype *d, void **ptrs, size_t count, dds_free_op_t op) {
  (void)d;
  if (count == 0)
    return;
  if (op & DDS_FREE_CONTENTS_BIT) {
    for (size_t i = 0; i < count; i++) {
      osr_cdr_sample *s = ptrs[i];
      free((void *)s->buf);
      s->buf = NULL;
      s->len = 0;
    }
  }
  if (op & DDS_FREE_ALL_BIT)
    free(ptrs[0]);
}

static bool st_equal(const struct ddsi_sertype *a, const struct ddsi_sertype *b) {
  return strcmp(a->type_name, b->type_name) == 0;
}

static uint32_t st_hash(const struct ddsi_sertype *tp) {
  (void)tp;
  return 0;
}

static size_t st_serialized_size(const struct ddsi_sertype *d, const void *sample) {
  (void)d;
  return ((const osr_cdr_sample *)sample)->len;
}

static bool st_serialize_into(const struct ddsi_sertype *d, const void *sample, void *dst, size_t sz) {
  (void)d;
  const osr_cdr_sample *s = sample;
  if (sz < s->len)
    return false;
  memcpy(dst, s->buf, s->len);
  return true;
}

static const struct ddsi_sertype_ops osr_sertype_ops = {
  .version = ddsi_sertype_v0,
  .arg = NULL,
  .free = st_free,
  .zero_samples = st_zero_samples,
  .realloc_samples = st_realloc_samples,
  .free_samples = st_free_samples,
  .equal = st_equal,
  .hash = st_hash,
  .get_serialized_size = st_serialized_size,
  .serialize_into = st_serialize_into,
};

dds_entity_t osr_create_topic(dds_entity_t participant, const char *name, const char *type_name, const dds_qos_t *qos) {
  struct ddsi_sertype *st = calloc(1, sizeof(*st));
  if (st == NULL)
    return DDS_RETCODE_OUT_OF_RESOURCES;
  ddsi_sertype_init(st, type_name, &osr_sertype_ops, &osr_serdata_ops, true);
  // XCDR1 only: ROS 2 peers neither send nor expect XCDR2.
  st->allowed_data_representation = DDS_DATA_REPRESENTATION_FLAG_XCDR1;
  // On success Cyclone owns st (it may swap in an equal, registered one).
  dds_entity_t tp = dds_create_topic_sertype(participant, name, &st, qos, NULL, NULL);
  if (tp < 0)
    st_free(st);
  return tp;
}

dds_return_t osr_write(dds_entity_t writer, const void *buf, size_t len) {
  osr_cdr_sample s = {buf, len};
  return dds_write(writer, &s);
}

int osr_take(dds_entity_t reader, void **ref, const void **data, size_t *len, int *valid) {
  struct ddsi_serdata *sd = NULL;
  dds_sample_info_t si;
  dds_return_t n = dds_takecdr(reader, &sd, 1, &si, DDS_ANY_STATE);
  if (n <= 0)
    return n;
  const struct osr_serdata *d = (const struct osr_serdata *)sd;
  *ref = sd;
  *data = d->data;
  *len = d->len;
  *valid = si.valid_data ? 1 : 0;
  return 1;
}

void osr_release(void *ref) { ddsi_serdata_unref(ref); }

int osr_take_from(dds_entity_t reader, void **ref, const void **data, size_t *len, int *valid, dds_instance_handle_t *publication) {
  struct ddsi_serdata *sd = NULL;
  dds_sample_info_t si;
  dds_return_t n = dds_takecdr(reader, &sd, 1, &si, DDS_ANY_STATE);
  if (n <= 0)
    return n;
  const struct osr_serdata *d = (const struct osr_serdata *)sd;
  *ref = sd;
  *data = d->data;
  *len = d->len;
  *valid = si.valid_data ? 1 : 0;
  *publication = si.publication_handle;
  return 1;
}

// user_data_value finds key=value; in an endpoint's USER_DATA, as
// rmw_cyclonedds writes it.
static bool user_data_value(const dds_qos_t *qos, const char *key, char *out, size_t outsz) {
  void *ud = NULL;
  size_t sz = 0;
  if (!dds_qget_userdata(qos, &ud, &sz) || ud == NULL)
    return false;
  bool found = false;
  size_t klen = strlen(key);
  const char *s = ud, *end = s + sz;
  while (s < end && !found) {
    const char *semi = memchr(s, ';', (size_t)(end - s));
    const char *stop = semi ? semi : end;
    if ((size_t)(stop - s) > klen && memcmp(s, key, klen) == 0 && s[klen] == '=') {
      size_t n = (size_t)(stop - s) - klen - 1;
      if (n >= outsz)
        n = outsz - 1;
      memcpy(out, s + klen + 1, n);
      out[n] = 0;
      found = true;
    }
    s = stop + 1;
  }
  dds_free(ud);
  return found;
}

static void free_endpoint(dds_builtintopic_endpoint_t *e) {
  dds_delete_qos(e->qos);
  dds_free(e->topic_name);
  dds_free(e->type_name);
  dds_free(e);
}

int osr_client_reader_matched(dds_entity_t reader, dds_entity_t writer, dds_instance_handle_t publication) {
  dds_builtintopic_endpoint_t *req = dds_get_matched_publication_data(reader, publication);
  if (req == NULL)
    return -1;
  char clientid[128];
  bool has = user_data_value(req->qos, "clientid", clientid, sizeof clientid);
  free_endpoint(req);
  if (!has)
    return 1; // a client without an id: assume its reader is there
  dds_instance_handle_t handles[64];
  dds_return_t n = dds_get_matched_subscriptions(writer, handles, 64);
  if (n < 0)
    return -1;
  if (n > 64)
    n = 64;
  for (dds_return_t i = 0; i < n; i++) {
    dds_builtintopic_endpoint_t *rd = dds_get_matched_subscription_data(writer, handles[i]);
    if (rd == NULL)
      continue;
    char id[128];
    bool same = user_data_value(rd->qos, "clientid", id, sizeof id) && strcmp(id, clientid) == 0;
    free_endpoint(rd);
    if (same)
      return 1;
  }
  return 0;
}
