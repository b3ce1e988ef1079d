//go:build ros2

package ros2

/*
#cgo LDFLAGS: -lddsc
#include <stdlib.h>
#include "dds/dds.h"
#include "cdrtype.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"unsafe"

	"osr/msgs"
)

// The cgo layer: thin wrappers over Cyclone's C API, each returning a Go
// error that names the failed call and Cyclone's reason.

func ddsErr(what string, rc C.dds_return_t) error {
	return fmt.Errorf("%s: %s", what, C.GoString(C.dds_strretcode(rc)))
}

type entity C.dds_entity_t

// participant is a DDS domain participant and, where osr configured
// Cyclone itself, the domain it created.
type participant struct {
	pp, domain entity
}

func newParticipant(domain uint32, cycloneConfig, userData string) (*participant, error) {
	p := &participant{}
	if cycloneConfig != "" {
		cfg := C.CString(cycloneConfig)
		defer C.free(unsafe.Pointer(cfg))
		d := C.dds_create_domain(C.dds_domainid_t(domain), cfg)
		if d < 0 {
			return nil, ddsErr(fmt.Sprintf("Cyclone DDS domain %d with the ROS discovery settings and ros2.cyclonedds_config (else $CYCLONEDDS_URI)", domain), d)
		}
		p.domain = entity(d)
	}
	qos := C.dds_create_qos()
	defer C.dds_delete_qos(qos)
	ud := C.CString(userData)
	defer C.free(unsafe.Pointer(ud))
	C.dds_qset_userdata(qos, unsafe.Pointer(ud), C.size_t(len(userData)))
	pp := C.dds_create_participant(C.dds_domainid_t(domain), qos, nil)
	if pp < 0 {
		p.close()
		return nil, ddsErr(fmt.Sprintf("DDS participant on domain %d (check CYCLONEDDS_URI)", domain), pp)
	}
	p.pp = entity(pp)
	return p, nil
}

// close deletes the participant and everything it created: readers and
// writers unregister from their peers.
func (p *participant) close() {
	if p.pp > 0 {
		C.dds_delete(C.dds_entity_t(p.pp))
		p.pp = 0
	}
	if p.domain > 0 {
		C.dds_delete(C.dds_entity_t(p.domain))
		p.domain = 0
	}
}

func endpointQoS(e Endpoint) *C.dds_qos_t {
	qos := C.dds_create_qos()
	if e.Reliable {
		// A writer waits at most this long for a slow reliable reader
		// before dropping the sample; it never blocks the pipeline.
		C.dds_qset_reliability(qos, C.DDS_RELIABILITY_RELIABLE, C.dds_duration_t(100e6))
	} else {
		C.dds_qset_reliability(qos, C.DDS_RELIABILITY_BEST_EFFORT, 0)
	}
	if e.TransientLocal {
		C.dds_qset_durability(qos, C.DDS_DURABILITY_TRANSIENT_LOCAL)
		// Late readers get the last Depth samples, as rmw_cyclonedds sets
		// it (Cyclone's default keeps one).
		C.dds_qset_durability_service(qos, 0, C.DDS_HISTORY_KEEP_LAST, C.int32_t(e.Depth),
			C.DDS_LENGTH_UNLIMITED, C.DDS_LENGTH_UNLIMITED, C.DDS_LENGTH_UNLIMITED)
	} else {
		C.dds_qset_durability(qos, C.DDS_DURABILITY_VOLATILE)
	}
	C.dds_qset_history(qos, C.DDS_HISTORY_KEEP_LAST, C.int32_t(e.Depth))
	// Jazzy's rmw reads each endpoint's type hash from its USER_DATA and
	// warns when it is missing (REP 2011).
	if ud := e.UserData(); ud != "" {
		cud := C.CString(ud)
		C.dds_qset_userdata(qos, unsafe.Pointer(cud), C.size_t(len(ud)))
		C.free(unsafe.Pointer(cud))
	}
	return qos
}

func (p *participant) topic(e Endpoint) (entity, error) {
	name, typ := C.CString(e.Topic), C.CString(e.Type)
	defer C.free(unsafe.Pointer(name))
	defer C.free(unsafe.Pointer(typ))
	qos := endpointQoS(e)
	defer C.dds_delete_qos(qos)
	tp := C.osr_create_topic(C.dds_entity_t(p.pp), name, typ, qos)
	if tp < 0 {
		return 0, ddsErr(fmt.Sprintf("topic %s (%s)", e.Topic, e.Type), tp)
	}
	return entity(tp), nil
}

func (p *participant) writer(e Endpoint) (entity, error) {
	tp, err := p.topic(e)
	if err != nil {
		return 0, err
	}
	qos := endpointQoS(e)
	defer C.dds_delete_qos(qos)
	w := C.dds_create_writer(C.dds_entity_t(p.pp), C.dds_entity_t(tp), qos, nil)
	if w < 0 {
		return 0, ddsErr("writer on "+e.Topic, w)
	}
	return entity(w), nil
}

// reader creates a reader and its topic; closing the reader's topic (and
// with it the reader) lets the same topic name take another type.
func (p *participant) reader(e Endpoint) (rd, tp entity, err error) {
	tp, err = p.topic(e)
	if err != nil {
		return 0, 0, err
	}
	qos := endpointQoS(e)
	defer C.dds_delete_qos(qos)
	r := C.dds_create_reader(C.dds_entity_t(p.pp), C.dds_entity_t(tp), qos, nil)
	if r < 0 {
		C.dds_delete(C.dds_entity_t(tp))
		return 0, 0, ddsErr("reader on "+e.Topic, r)
	}
	return entity(r), tp, nil
}

func deleteEntity(e entity) {
	if e > 0 {
		C.dds_delete(C.dds_entity_t(e))
	}
}

// gid is the entity's DDS GUID as ROS 2 carries it.
func gid(e entity) (msgs.Gid, error) {
	var g C.dds_guid_t
	var out msgs.Gid
	if rc := C.dds_get_guid(C.dds_entity_t(e), &g); rc < 0 {
		return out, ddsErr("entity GUID", rc)
	}
	for i := range 16 {
		out[i] = byte(g.v[i])
	}
	return out, nil
}

func write(w entity, data []byte) error {
	if len(data) == 0 {
		return errors.New("empty sample")
	}
	if rc := C.osr_write(C.dds_entity_t(w), unsafe.Pointer(&data[0]), C.size_t(len(data))); rc < 0 {
		return ddsErr("write", rc)
	}
	return nil
}

// matched is how many readers a writer currently matches.
func matched(w entity) int {
	var st C.dds_publication_matched_status_t
	if C.dds_get_publication_matched_status(C.dds_entity_t(w), &st) < 0 {
		return 0
	}
	return int(st.current_count)
}

// publishers is how many writers a reader currently matches.
func publishers(r entity) int {
	var st C.dds_subscription_matched_status_t
	if C.dds_get_subscription_matched_status(C.dds_entity_t(r), &st) < 0 {
		return 0
	}
	return int(st.current_count)
}

// incompatible reports new QoS mismatches since the last call, for a
// reader (requested) or a writer (offered), with the last policy at fault.
func incompatible(e entity, isReader bool) (n int, policy string) {
	var change C.int32_t
	var id C.dds_qos_policy_id_t
	if isReader {
		var st C.dds_requested_incompatible_qos_status_t
		if C.dds_get_requested_incompatible_qos_status(C.dds_entity_t(e), &st) < 0 {
			return 0, ""
		}
		change, id = st.total_count_change, C.dds_qos_policy_id_t(st.last_policy_id)
	} else {
		var st C.dds_offered_incompatible_qos_status_t
		if C.dds_get_offered_incompatible_qos_status(C.dds_entity_t(e), &st) < 0 {
			return 0, ""
		}
		change, id = st.total_count_change, C.dds_qos_policy_id_t(st.last_policy_id)
	}
	return int(change), policyName(id)
}

func policyName(id C.dds_qos_policy_id_t) string {
	switch id {
	case C.DDS_RELIABILITY_QOS_POLICY_ID:
		return "reliability"
	case C.DDS_DURABILITY_QOS_POLICY_ID:
		return "durability"
	case C.DDS_DEADLINE_QOS_POLICY_ID:
		return "deadline"
	case C.DDS_LIVELINESS_QOS_POLICY_ID:
		return "liveliness"
	case C.DDS_HISTORY_QOS_POLICY_ID:
		return "history"
	case C.DDS_DATA_REPRESENTATION_QOS_POLICY_ID:
		return "data representation"
	}
	return fmt.Sprintf("policy %d", int(id))
}

// waiter blocks a goroutine until a reader has data or stop is triggered.
type waiter struct {
	ws entity
}

// guard is a condition that wakes every waiter it is attached to.
func (p *participant) guard() (entity, error) {
	gc := C.dds_create_guardcondition(C.dds_entity_t(p.pp))
	if gc < 0 {
		return 0, ddsErr("guard condition", gc)
	}
	return entity(gc), nil
}

func trigger(guard entity) { C.dds_set_guardcondition(C.dds_entity_t(guard), true) }

func untrigger(guard entity) { C.dds_set_guardcondition(C.dds_entity_t(guard), false) }

func (p *participant) waiter(r, stop entity) (*waiter, error) {
	ws := C.dds_create_waitset(C.dds_entity_t(p.pp))
	if ws < 0 {
		return nil, ddsErr("waitset", ws)
	}
	w := &waiter{ws: entity(ws)}
	rc := C.dds_create_readcondition(C.dds_entity_t(r), C.DDS_ANY_STATE)
	if rc < 0 {
		w.close()
		return nil, ddsErr("read condition", rc)
	}
	for _, e := range []C.dds_entity_t{rc, C.dds_entity_t(stop)} {
		if ret := C.dds_waitset_attach(ws, e, C.dds_attach_t(0)); ret < 0 {
			w.close()
			return nil, ddsErr("waitset attach", ret)
		}
	}
	return w, nil
}

// wait returns after data arrived, stop was triggered, or the timeout.
func (w *waiter) wait(timeoutNs int64) {
	C.dds_waitset_wait(C.dds_entity_t(w.ws), nil, 0, C.dds_duration_t(timeoutNs))
}

func (w *waiter) close() { deleteEntity(w.ws) }

// take returns the next sample's bytes (a copy), ok=false when the reader
// is empty. Samples without data (a writer went away) come back as nil.
func take(r entity) (data []byte, ok bool, err error) {
	var ref unsafe.Pointer
	var ptr unsafe.Pointer
	var n C.size_t
	var valid C.int
	rc := C.osr_take(C.dds_entity_t(r), &ref, &ptr, &n, &valid)
	if rc < 0 {
		return nil, false, ddsErr("take", C.dds_return_t(rc))
	}
	if rc == 0 {
		return nil, false, nil
	}
	defer C.osr_release(ref)
	if valid == 0 {
		return nil, true, nil
	}
	return C.GoBytes(ptr, C.int(n)), true, nil
}

// participantUserData lists the participants the given one has discovered
// (itself included) with their USER_DATA, as ROS 2 tools see them. The
// tests use it (cgo is not allowed in test files).
func participantUserData(p *participant) (map[msgs.Gid]string, error) {
	out := map[msgs.Gid]string{}
	err := readBuiltin(p, C.DDS_BUILTIN_TOPIC_DCPSPARTICIPANT, 64, "DCPSParticipant", func(sample unsafe.Pointer, _ *C.dds_sample_info_t) {
		s := (*C.dds_builtintopic_participant_t)(sample)
		var g msgs.Gid
		for j := range 16 {
			g[j] = byte(s.key.v[j])
		}
		out[g] = userData(s.qos)
	})
	return out, err
}

// readBuiltin reads up to max samples of a built-in topic (participants,
// publications, subscriptions) the participant has discovered and hands
// each valid one to fn.
func readBuiltin(p *participant, topic C.dds_entity_t, max int, what string, fn func(sample unsafe.Pointer, info *C.dds_sample_info_t)) error {
	rd := C.dds_create_reader(C.dds_entity_t(p.pp), topic, nil, nil)
	if rd < 0 {
		return ddsErr(what+" reader", rd)
	}
	defer C.dds_delete(rd)
	bufs := unsafe.Slice((*unsafe.Pointer)(C.calloc(C.size_t(max), C.size_t(unsafe.Sizeof(unsafe.Pointer(nil))))), max)
	defer C.free(unsafe.Pointer(&bufs[0]))
	infos := unsafe.Slice((*C.dds_sample_info_t)(C.calloc(C.size_t(max), C.size_t(unsafe.Sizeof(C.dds_sample_info_t{})))), max)
	defer C.free(unsafe.Pointer(&infos[0]))
	n := C.dds_read(rd, &bufs[0], &infos[0], C.size_t(max), C.uint32_t(max))
	if n < 0 {
		return ddsErr(what+" read", n)
	}
	defer C.dds_return_loan(rd, &bufs[0], n)
	for i := range int(n) {
		if infos[i].valid_data {
			fn(bufs[i], &infos[i])
		}
	}
	return nil
}

// userData is an entity's USER_DATA QoS as a string ("" without one).
func userData(qos *C.dds_qos_t) string {
	var v unsafe.Pointer
	var sz C.size_t
	if !C.dds_qget_userdata(qos, &v, &sz) || v == nil {
		return ""
	}
	defer C.dds_free(v)
	return C.GoStringN((*C.char)(v), C.int(sz))
}

// publicationsReader reads DCPSPublication: every writer the participant
// has discovered.
func (p *participant) publicationsReader() (entity, error) {
	rd := C.dds_create_reader(C.dds_entity_t(p.pp), C.DDS_BUILTIN_TOPIC_DCPSPUBLICATION, nil, nil)
	if rd < 0 {
		return 0, ddsErr("DCPSPublication reader", rd)
	}
	return entity(rd), nil
}

// publishedTypes lists the DDS type names of the live writers on topic.
func publishedTypes(rd entity, topic string) ([]string, error) {
	const max = 256
	bufs := (*[max]unsafe.Pointer)(C.calloc(max, C.size_t(unsafe.Sizeof(unsafe.Pointer(nil)))))
	defer C.free(unsafe.Pointer(bufs))
	infos := (*[max]C.dds_sample_info_t)(C.calloc(max, C.size_t(unsafe.Sizeof(C.dds_sample_info_t{}))))
	defer C.free(unsafe.Pointer(infos))
	n := C.dds_read(C.dds_entity_t(rd), &bufs[0], &infos[0], max, max)
	if n < 0 {
		return nil, ddsErr("DCPSPublication read", n)
	}
	defer C.dds_return_loan(C.dds_entity_t(rd), &bufs[0], n)
	var types []string
	for i := range int(n) {
		if !infos[i].valid_data || infos[i].instance_state != C.DDS_IST_ALIVE {
			continue
		}
		e := (*C.dds_builtintopic_endpoint_t)(bufs[i])
		if C.GoString(e.topic_name) == topic {
			types = append(types, C.GoString(e.type_name))
		}
	}
	return types, nil
}

// endpointInfo is a discovered reader or writer.
type endpointInfo struct {
	Topic, Type, UserData string
}

// discoveredEndpoints lists the live readers (DCPSSubscription) or
// writers (DCPSPublication) the participant has discovered, with their
// USER_DATA. The tests use it.
func discoveredEndpoints(p *participant, writers bool) ([]endpointInfo, error) {
	topic := C.dds_entity_t(C.DDS_BUILTIN_TOPIC_DCPSSUBSCRIPTION)
	if writers {
		topic = C.DDS_BUILTIN_TOPIC_DCPSPUBLICATION
	}
	var out []endpointInfo
	err := readBuiltin(p, topic, 512, "built-in endpoint", func(sample unsafe.Pointer, info *C.dds_sample_info_t) {
		if info.instance_state != C.DDS_IST_ALIVE {
			return
		}
		e := (*C.dds_builtintopic_endpoint_t)(sample)
		out = append(out, endpointInfo{Topic: C.GoString(e.topic_name), Type: C.GoString(e.type_name), UserData: userData(e.qos)})
	})
	return out, err
}

// takeFrom is take that also returns the instance handle of the writer
// that sent the sample.
func takeFrom(r entity) (data []byte, pub uint64, ok bool, err error) {
	var ref, ptr unsafe.Pointer
	var n C.size_t
	var valid C.int
	var h C.dds_instance_handle_t
	rc := C.osr_take_from(C.dds_entity_t(r), &ref, &ptr, &n, &valid, &h)
	if rc < 0 {
		return nil, 0, false, ddsErr("take", C.dds_return_t(rc))
	}
	if rc == 0 {
		return nil, 0, false, nil
	}
	defer C.osr_release(ref)
	if valid == 0 {
		return nil, uint64(h), true, nil
	}
	return C.GoBytes(ptr, C.int(n)), uint64(h), true, nil
}

// clientReaderMatched reports whether a reply writer matches the reply
// reader of the client whose request writer pub sent to reader: 1 yes,
// 0 not yet, -1 the client is gone.
func clientReaderMatched(reader, writer entity, pub uint64) int {
	return int(C.osr_client_reader_matched(C.dds_entity_t(reader), C.dds_entity_t(writer), C.dds_instance_handle_t(pub)))
}
